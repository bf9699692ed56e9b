"""Constant folding: unit names become constants, and operations on constants are computed.

Shared by the `canonicalize` pass and the builder (which uses it to read
constant effects such as `ge += 0.6*nS`).  Folding keeps dimensions, so a
folded model type-checks exactly as the original did.
"""
from __future__ import annotations

import math
from typing import Callable

from ._expr import Binary, Call, Const, Expr, Ref, Unary, transform
from ._units import get_unit

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
}

_PURE_FUNCTIONS: dict[str, Callable[..., float]] = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs,
    "sin": math.sin, "cos": math.cos, "tanh": math.tanh, "log10": math.log10, "expm1": math.expm1,
}


def _fold_binary(e: Binary) -> Expr | None:
    a, b = e.left, e.right
    if not (isinstance(a, Const) and isinstance(b, Const)) or e.op not in _ARITHMETIC:
        return None
    if e.op in ("+", "-") and a.dim != b.dim:
        return None  # leave the mismatch for the type checker to report
    if e.op == "**" and not b.dim.is_dimensionless:
        return None
    try:
        value = _ARITHMETIC[e.op](a.value, b.value)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    if e.op == "*":
        dim = a.dim * b.dim
    elif e.op == "/":
        dim = a.dim / b.dim
    elif e.op == "**":
        from fractions import Fraction
        dim = a.dim ** Fraction(b.value).limit_denominator(100)
    else:
        dim = a.dim
    return Const(value, dim)


def _fold_node(e: Expr, is_model_name: Callable[[str], bool]) -> Expr | None:
    if isinstance(e, Ref) and not is_model_name(e.name):
        unit = get_unit(e.name)
        if unit is not None:
            return Const(float(unit.internal()), unit.dim)
        return None
    if isinstance(e, Unary) and e.op == "-" and isinstance(e.operand, Const):
        return Const(-e.operand.value, e.operand.dim)
    if isinstance(e, Binary):
        return _fold_binary(e)
    if isinstance(e, Call) and e.func in _PURE_FUNCTIONS and all(isinstance(a, Const) for a in e.args):
        if any(not a.dim.is_dimensionless for a in e.args) and e.func != "abs":
            return None
        try:
            return Const(_PURE_FUNCTIONS[e.func](*(a.value for a in e.args)), e.args[0].dim)
        except (ValueError, OverflowError):
            return None
    return None


def fold(expr: Expr, is_model_name: Callable[[str], bool] = lambda name: False) -> Expr:
    """Fold constants in `expr`; names for which `is_model_name` is true are never units."""
    return transform(expr, lambda e: _fold_node(e, is_model_name))
