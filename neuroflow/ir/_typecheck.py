"""Type inference for expressions: which dimension and kind of number an expression has.

Used by `ir.verify` (invariants) and by the `resolve` pass (user-facing errors with source
locations).  Names are looked up in a scope: the parameters, state variables and subexpressions of a
population, the built-in names below, and finally unit names such as `mV`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ._dimensions import DIMENSIONLESS, TIME, Dimension
from ._errors import ModelError, did_you_mean
from ._expr import COMPARISONS, LOGICAL, Binary, Call, Const, Expr, Ref, Unary, Where, to_text
from ._functions import FUNCTIONS, OPERATORS, UnitError
from ._units import get_unit


@dataclass(frozen=True, slots=True)
class Kind:
    dtype: str  # "float", "int" or "bool"
    dim: Dimension


BUILTINS: dict[str, Kind] = {
    "t": Kind("float", TIME),  # time at the start of the step
    "dt": Kind("float", TIME),
    "i": Kind("int", DIMENSIONLESS),  # index of the neuron in its population
    "N": Kind("int", DIMENSIONLESS),  # size of the population
    "lastspike": Kind("float", TIME),
    "not_refractory": Kind("bool", DIMENSIONLESS),
    "True": Kind("bool", DIMENSIONLESS),
    "False": Kind("bool", DIMENSIONLESS),
}

# White noise, as in Brian2: `xi` and `xi_<suffix>` (`xi_1`, `xi_inh` …) are independent
# noise sources in differential equations, in second**-1/2 so that `sigma*xi*sqrt(tau)`
# has the units of `sigma`.  The `integrate` pass turns them into Brownian increments.
_NOISE_NAME = re.compile(r"xi(_[A-Za-z0-9_]+)?")


def is_noise(name: str) -> bool:
    """Whether `name` names a white-noise source (`xi`, `xi_1`, …) unless the model defines it."""
    return _NOISE_NAME.fullmatch(name) is not None


class TypeCheckError(ModelError):
    """Raised with `culprit`, the text of the offending subexpression, so callers can locate it."""

    def __init__(self, message: str, culprit: str, hint: str | None = None):
        self.culprit = culprit
        super().__init__(message, None, hint)


Lookup = Callable[[str], Kind | None]


def infer(expr: Expr, lookup: Lookup) -> Kind:
    """The kind of `expr`; `lookup(name)` gives the kind of a model name or None."""
    if isinstance(expr, Const):
        return Kind("float", expr.dim)
    if isinstance(expr, Ref):
        return _infer_name(expr.name, lookup)
    if isinstance(expr, Unary):
        inner = infer(expr.operand, lookup)
        need = _need_bool if expr.op == "not" else _need_number
        need(inner, expr.operand, expr.op)
        return inner
    if isinstance(expr, Binary):
        return _infer_binary(expr, lookup)
    if isinstance(expr, Call):
        return _infer_call(expr, lookup)
    if isinstance(expr, Where):
        _need_bool(infer(expr.cond, lookup), expr.cond, "where")
        a, b = infer(expr.then, lookup), infer(expr.other, lookup)
        if a.dim != b.dim:
            raise TypeCheckError(f"the branches of '{to_text(expr)}' have different units ({a.dim}"
                                 f" and {b.dim})", to_text(expr))
        return a
    raise TypeError(f"not an expression: {expr!r}")


def _infer_name(name: str, lookup: Lookup) -> Kind:
    kind = lookup(name)
    if kind is not None:
        return kind
    if name in BUILTINS:
        return BUILTINS[name]
    if is_noise(name):
        # 1/sqrt(time): second**-1/2, or a plain number where time is one (unitless models)
        return Kind("float", _infer_name("dt", lookup).dim ** Fraction(-1, 2))
    unit = get_unit(name)
    if unit is not None:
        return Kind("float", unit.dim)
    raise TypeCheckError(f"unknown name '{name}'", name)


def _need_bool(kind: Kind, e: Expr, where: str) -> None:
    if kind.dtype != "bool":
        raise TypeCheckError(f"'{where}' needs a condition, but '{to_text(e)}' is a number",
                             to_text(e), "write a comparison such as 'v > Vt'")


def _need_number(kind: Kind, e: Expr, where: str) -> None:
    if kind.dtype == "bool":
        raise TypeCheckError(f"'{where}' needs a number, but '{to_text(e)}' is a condition",
                             to_text(e), "convert a condition to 0/1 with int(...)")


def _infer_binary(e: Binary, lookup: Lookup) -> Kind:
    left, right = infer(e.left, lookup), infer(e.right, lookup)
    need = _need_bool if e.op in LOGICAL else _need_number
    need(left, e.left, e.op)
    need(right, e.right, e.op)
    try:
        dim = OPERATORS[e.op, 2].unit(e, left.dim, right.dim)
    except UnitError as err:
        raise TypeCheckError(str(err), to_text(e), err.hint) from None
    if e.op in LOGICAL or e.op in COMPARISONS:
        return Kind("bool", DIMENSIONLESS)
    floats = "float" in (left.dtype, right.dtype) or e.op in ("/", "**")
    return Kind("float" if floats else "int", dim)


def _infer_delayed(e: Call, kind: Kind, lookup: Lookup) -> Kind:
    """`x(t - d)`: the value of variable `x` a time `d` ago (a delay differential equation)."""
    if len(e.args) != 1 or infer(e.args[0], lookup).dim != _infer_name("t", lookup).dim:
        raise TypeCheckError(f"'{to_text(e)}' reads '{e.func}' in the past and needs one time"
                             " argument", to_text(e), f"write {e.func}(t - delay)")
    return kind


def _infer_call(e: Call, lookup: Lookup) -> Kind:
    fn = FUNCTIONS.get(e.func)
    if fn is None and lookup(e.func) is not None:
        return _infer_delayed(e, lookup(e.func), lookup)
    if fn is None:
        raise TypeCheckError(f"unknown function '{e.func}'", e.func,
                             did_you_mean(e.func, FUNCTIONS))
    if len(e.args) != fn.arity:
        raise TypeCheckError(f"{e.func}() takes {fn.arity} argument(s), got {len(e.args)}",
                             to_text(e), f"{e.func}: {fn.doc}")
    kinds = [infer(a, lookup) for a in e.args]
    if fn.dtype == "int":  # int() also takes conditions
        return Kind("int", DIMENSIONLESS)
    for a, k in zip(e.args, kinds):
        _need_number(k, a, e.func)
    try:
        dim = fn.unit([k.dim for k in kinds])
    except ValueError as err:
        raise TypeCheckError(f"{err} in '{to_text(e)}'", to_text(e)) from None
    return Kind("float", dim)
