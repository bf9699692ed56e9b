"""Evaluating IR expressions with jax.numpy: a table keyed by node type.

`evaluate(expr, env)` walks the tree; `env` resolves names (state, parameters,
temporaries, built-ins) and supplies random numbers.  Missing rules raise a
clear error instead of falling through.
"""
from __future__ import annotations

from typing import Callable, Protocol

import jax
import jax.numpy as jnp

from ...ir import Binary, Call, Const, Expr, Ref, Unary, Where


class Environment(Protocol):
    dtype: jnp.dtype

    def lookup(self, name: str): ...
    def random(self, kind: str): ...
    def delayed(self, name: str, time): ...


def _exprel(x):
    # (exp(x) - 1)/x with its limit 1 at 0; the `where` on the input keeps gradients finite.
    small = jnp.abs(x) < 1e-6
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 + x / 2.0, jnp.expm1(safe) / safe)


FUNCTIONS: dict[str, Callable] = {
    "exp": jnp.exp, "expm1": jnp.expm1, "exprel": _exprel, "log": jnp.log, "log10": jnp.log10,
    "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "tanh": jnp.tanh, "sinh": jnp.sinh, "cosh": jnp.cosh,
    "sigmoid": jax.nn.sigmoid, "sqrt": jnp.sqrt, "abs": jnp.abs, "sign": jnp.sign, "floor": jnp.floor,
    "ceil": jnp.ceil, "clip": jnp.clip, "minimum": jnp.minimum, "maximum": jnp.maximum,
}

BINARY: dict[str, Callable] = {
    "+": jnp.add, "-": jnp.subtract, "*": jnp.multiply, "/": jnp.divide, "**": jnp.power,
    "<": jnp.less, "<=": jnp.less_equal, ">": jnp.greater, ">=": jnp.greater_equal,
    "==": jnp.equal, "!=": jnp.not_equal, "and": jnp.logical_and, "or": jnp.logical_or,
}


def _const(e: Const, env: Environment):
    return jnp.asarray(e.value, env.dtype)


def _ref(e: Ref, env: Environment):
    return env.lookup(e.name)


def _unary(e: Unary, env: Environment):
    x = evaluate(e.operand, env)
    return jnp.logical_not(x) if e.op == "not" else -x


def _binary(e: Binary, env: Environment):
    if e.op == "**" and isinstance(e.right, Const) and float(e.right.value).is_integer():
        # integer powers as repeated products: cheaper and exact for negative bases
        return jax.lax.integer_pow(evaluate(e.left, env), int(e.right.value))
    return BINARY[e.op](evaluate(e.left, env), evaluate(e.right, env))


def _call(e: Call, env: Environment):
    if e.func in ("rand", "randn"):
        return env.random(e.func)
    args = [evaluate(a, env) for a in e.args]
    if e.func not in FUNCTIONS and e.func != "int":  # `x(t - d)`: a state variable in the past
        return env.delayed(e.func, args[0])
    if e.func == "int":  # kept in the float dtype because it feeds arithmetic
        x = args[0]
        return x.astype(env.dtype) if x.dtype == jnp.bool_ else jnp.trunc(x)
    return FUNCTIONS[e.func](*args)


def _where(e: Where, env: Environment):
    return jnp.where(evaluate(e.cond, env), evaluate(e.then, env), evaluate(e.other, env))


_RULES: dict[type, Callable] = {Const: _const, Ref: _ref, Unary: _unary, Binary: _binary, Call: _call,
                                Where: _where}


def evaluate(expr: Expr, env: Environment):
    rule = _RULES.get(type(expr))
    if rule is None:
        raise NotImplementedError(f"no JAX lowering for expression node {type(expr).__name__}")
    return rule(expr, env)
