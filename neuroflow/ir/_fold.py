"""Constant folding: unit names become constants, and operations on constants are computed.

Shared by the `canonicalize` pass and the builder (which uses it to read
constant effects such as `ge += 0.6*nS`).  Folding keeps dimensions, so a
folded model type-checks exactly as the original did.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy

from ._expr import ARITHMETIC, Binary, Call, Const, Expr, Ref, Unary, transform
from ._functions import FUNCTIONS, NUMPY, OPERATORS
from ._units import get_unit


def _fold_binary(e: Binary) -> Expr | None:
    a, b = e.left, e.right
    if not (isinstance(a, Const) and isinstance(b, Const)) or e.op not in ARITHMETIC:
        return None
    operator = OPERATORS[e.op, 2]
    try:
        dim = operator.unit(e, a.dim, b.dim)
        value = operator.python(a.value, b.value)
    except (ZeroDivisionError, OverflowError, ValueError):  # a unit mismatch: the type checker's
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return Const(value, dim)


def _fold_node(e: Expr, is_model_name: Callable[[str], bool]) -> Expr | None:
    if isinstance(e, Ref) and not is_model_name(e.name):
        unit = get_unit(e.name)
        return None if unit is None else Const(float(unit.internal()), unit.dim)
    if isinstance(e, Unary) and e.op == "-" and isinstance(e.operand, Const):
        return Const(-e.operand.value, e.operand.dim)
    if isinstance(e, Binary):
        return _fold_binary(e)
    if isinstance(e, Call) and all(isinstance(a, Const) for a in e.args):
        return _fold_call(e)
    return None


def _fold_call(e: Call) -> Const | None:
    fn = FUNCTIONS.get(e.func)
    if fn is None or fn.is_random or fn.dtype != "float" or len(e.args) != fn.arity:
        return None
    try:
        dim = fn.unit([a.dim for a in e.args])
    except ValueError:
        return None  # the type checker reports it
    with numpy.errstate(all="ignore"):
        value = float(fn.evaluate(NUMPY, *(a.value for a in e.args)))
    return Const(value, dim) if math.isfinite(value) else None


def fold(expr: Expr, is_model_name: Callable[[str], bool] = lambda name: False) -> Expr:
    """Fold constants in `expr`; names for which `is_model_name` is true are never units."""
    return transform(expr, lambda e: _fold_node(e, is_model_name))
