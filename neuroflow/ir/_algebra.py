"""Algebra on expressions: linear structure (`expr` as `sum_j a_j*x_j + b`) and derivatives.

The integrators use the linear structure to find linear systems (for `exact`) and
conditionally linear equations (for `exponential_euler`); `differentiate` applies the chain
rule with the partial derivatives the registry of functions and operators gives.  Results
are built with light simplification so the printed IR stays readable.
"""
from __future__ import annotations

import functools

from ._expr import Binary, Call, Const, Expr, Ref, Unary, Where, names, substitute, to_text
from ._exprparse import parse_expr
from ._functions import ARGUMENTS, FUNCTIONS, OPERATORS

ZERO = Const(0.0)
ONE = Const(1.0)


def is_zero(e: Expr) -> bool:
    return isinstance(e, Const) and e.value == 0.0


def plus(a: Expr, b: Expr) -> Expr:
    if is_zero(a):
        return b
    if is_zero(b):
        return a
    return Binary("+", a, b)


def minus(a: Expr, b: Expr) -> Expr:
    if is_zero(b):
        return a
    if is_zero(a):
        return negate(b)
    return Binary("-", a, b)


def times(a: Expr, b: Expr) -> Expr:
    if is_zero(a) or is_zero(b):
        return ZERO
    if a == ONE:
        return b
    if b == ONE:
        return a
    return Binary("*", a, b)


def divided(a: Expr, b: Expr) -> Expr:
    if is_zero(a):
        return ZERO
    if b == ONE:
        return a
    return Binary("/", a, b)


def negate(a: Expr) -> Expr:
    if isinstance(a, Const):
        return Const(-a.value, a.dim)
    if isinstance(a, Unary) and a.op == "-":
        return a.operand
    return Unary("-", a)


Linear = tuple[dict[str, Expr], Expr]


def decompose(expr: Expr, variables: set[str]) -> Linear | None:
    """`({x: a_x, ...}, b)` with `expr == sum a_x*x + b`, or None if `expr` is not linear
    in `variables` (coefficients and `b` never mention them)."""
    if not names(expr) & variables:
        return {}, expr
    if isinstance(expr, Ref):
        return {expr.name: ONE}, ZERO
    if isinstance(expr, Unary) and expr.op == "-":
        inner = decompose(expr.operand, variables)
        return None if inner is None else _scale(inner, negate)
    if isinstance(expr, Binary) and expr.op in ("+", "-"):
        left, right = decompose(expr.left, variables), decompose(expr.right, variables)
        if left is None or right is None:
            return None
        combine = plus if expr.op == "+" else minus
        coeffs = dict(left[0])
        for var, c in right[0].items():
            coeffs[var] = combine(coeffs.get(var, ZERO), c)
        return coeffs, combine(left[1], right[1])
    if isinstance(expr, Binary) and expr.op == "*":
        for this, factor in ((expr.left, expr.right), (expr.right, expr.left)):
            if not names(factor) & variables:
                inner = decompose(this, variables)
                return None if inner is None else _scale(inner, lambda e, f=factor: times(e, f))
        return None
    if isinstance(expr, Binary) and expr.op == "/" and not names(expr.right) & variables:
        inner = decompose(expr.left, variables)
        return None if inner is None else _scale(inner, lambda e: divided(e, expr.right))
    return None  # calls, powers, conditions of the variables are nonlinear


def _scale(linear: Linear, fn) -> Linear:
    coeffs, rest = linear
    return {var: fn(c) for var, c in coeffs.items()}, fn(rest) if not is_zero(rest) else ZERO


@functools.cache
def _partial(text: str) -> Expr:
    return parse_expr(text)


def differentiate(expr: Expr, name: str) -> Expr:
    """The derivative of `expr` with respect to the variable `name`, as an expression.

    Raises ValueError where there is none: conditions, random numbers, reads of the past."""
    if isinstance(expr, Const) or name not in names(expr):
        return ZERO
    if isinstance(expr, Ref):
        return ONE if expr.name == name else ZERO
    if isinstance(expr, Where):
        then, other = differentiate(expr.then, name), differentiate(expr.other, name)
        return ZERO if is_zero(then) and is_zero(other) else Where(expr.cond, then, other)
    if isinstance(expr, Unary):
        rule, args = OPERATORS[expr.op, 1], (expr.operand,)
    elif isinstance(expr, Binary):
        rule, args = OPERATORS[expr.op, 2], (expr.left, expr.right)
    elif isinstance(expr, Call) and expr.func in FUNCTIONS:
        rule, args = FUNCTIONS[expr.func], expr.args
    else:
        raise ValueError(f"'{expr.func}(...)' reads the past and has no derivative")
    if not rule.derivatives:
        raise ValueError(f"'{to_text(expr)}' has no derivative (a condition or a random number)")
    total = ZERO
    for arg, partial in zip(args, rule.derivatives):
        inner = differentiate(arg, name)
        if not is_zero(inner):
            outer = substitute(_partial(partial), dict(zip(ARGUMENTS, args)))
            total = plus(total, times(outer, inner))
    return total
