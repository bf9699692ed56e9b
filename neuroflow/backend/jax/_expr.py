"""Evaluating IR expressions with jax.numpy: a table keyed by node type.

`evaluate(expr, env)` walks the tree; `env` resolves names (state, parameters,
temporaries, built-ins) and supplies random numbers.  Missing rules raise a
clear error instead of falling through.
"""
from __future__ import annotations

import functools
from typing import Callable, Protocol

import jax
import jax.numpy as jnp

from ...ir import FUNCTIONS, OPERATORS, ArrayLibrary, Binary, Call, Const, Expr, Ref, Unary, Where


class Environment(Protocol):
    dtype: jnp.dtype

    def lookup(self, name: str): ...
    def random(self, kind: str): ...
    def delayed(self, name: str, time): ...


@functools.cache
def array_library(dtype) -> ArrayLibrary:
    """The registry's functions evaluated with jax.numpy in `dtype`."""
    return ArrayLibrary(jnp, "jax.scipy.special", dtype)


def _const(e: Const, env: Environment):
    return jnp.asarray(e.value, env.dtype)


def _ref(e: Ref, env: Environment):
    return env.lookup(e.name)


def _unary(e: Unary, env: Environment):
    return OPERATORS[e.op, 1].evaluate(array_library(env.dtype), evaluate(e.operand, env))


def _binary(e: Binary, env: Environment):
    if e.op == "**" and isinstance(e.right, Const) and float(e.right.value).is_integer():
        # integer powers as repeated products: cheaper and exact for negative bases
        return jax.lax.integer_pow(evaluate(e.left, env), int(e.right.value))
    operator = OPERATORS[e.op, 2]
    return operator.evaluate(array_library(env.dtype), evaluate(e.left, env),
                             evaluate(e.right, env))


def _call(e: Call, env: Environment):
    fn = FUNCTIONS.get(e.func)
    if fn is not None and fn.is_random:
        return env.random(e.func)
    args = [evaluate(a, env) for a in e.args]
    if fn is None:  # `x(t - d)`: a state variable in the past
        return env.delayed(e.func, args[0])
    return fn.evaluate(array_library(env.dtype), *args)


def _where(e: Where, env: Environment):
    return jnp.where(evaluate(e.cond, env), evaluate(e.then, env), evaluate(e.other, env))


_RULES: dict[type, Callable] = {Const: _const, Ref: _ref, Unary: _unary, Binary: _binary,
                                Call: _call, Where: _where}


def evaluate(expr: Expr, env: Environment):
    rule = _RULES.get(type(expr))
    if rule is None:
        raise NotImplementedError(f"no JAX lowering for expression node {type(expr).__name__}")
    return rule(expr, env)
