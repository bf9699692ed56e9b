"""Values in model files: the constants given to parameters, initial values, weights and settings.

A value is evaluated once its population's size is known, into what the Python builder
takes: a quantity (`20*ms`), an array of them (`i*mV`, `[1, 2, 3]*nA`, `load("x.npy")*nA`),
or a random draw (`normal(-55*mV, 2*mV)`).  Arithmetic runs on `Quantity`, in the same
order as Python would run `20*ms`, so a file and a builder script give the same numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..ir import (ARITHMETIC, FUNCTIONS, NUMPY, OPERATORS, UNIT_NAMES, Binary, Call, Const,
                  Dimension, DimensionMismatch, Expr, Function, Loc, ModelError, NeuroflowError,
                  Quantity, Random, Ref, Unary, check_fits, did_you_mean, exponential, get_unit,
                  lognormal, normal, uniform)
from . import _ast as ast
from ._dsl_errors import Errors, Failed, at

DISTRIBUTIONS: dict[str, Callable[..., Random]] = {
    "normal": normal, "uniform": uniform, "exponential": exponential, "lognormal": lognormal,
}
_SIGNATURES = {"normal": "normal(mean, std)", "uniform": "uniform(low, high)",
               "exponential": "exponential(scale)", "lognormal": "lognormal(mu, sigma, scale)"}
# What a name in a value may be, besides a unit: a parameter (by its final name), or the
# neuron index `i` and the population size `N`.
Lookup = Callable[[str], "Quantity | Random | None"]


class Values:
    """Evaluates the values of one population (`size` neurons; None outside a population)."""

    def __init__(self, size: int | None, directory: Path | None = None):
        self.size = size
        self.lookup: Lookup = lambda name: None  # the callers that have parameters set their own
        self.directory = directory

    def evaluate(self, value: ast.Value, rename: Callable[[str], str] = str) -> Quantity | Random:
        """The value of `value`; `rename` maps a name as written to the name to look up."""
        if isinstance(value, ast.ArrayValue):
            base = self._array(value.array, value.uses, rename)
        elif isinstance(value, ast.FileValue):
            base = self._file(value)
        else:
            return self._top(value.expr, value.uses, value.loc, rename)
        if value.scale is None:
            return base
        return base * self._number(value.scale, value.uses, value.loc, rename)

    # -- expressions -----------------------------------------------------------------------------
    def _top(self, expr: Expr, uses, loc: Loc, rename) -> Quantity | Random:
        if isinstance(expr, Call) and expr.func in DISTRIBUTIONS:
            args = [self._number(a, uses, loc, rename) for a in expr.args]
            if any(a.ndim for a in args):
                raise ModelError(f"the arguments of {expr.func}() are single numbers", loc,
                                 _SIGNATURES[expr.func])
            try:
                draw = DISTRIBUTIONS[expr.func](*args)
                draw.to_ir()  # checks the arguments' units and ranges
            except TypeError:
                raise ModelError(f"{expr.func}() got {len(args)} argument(s)", loc,
                                 _SIGNATURES[expr.func]) from None
            except ModelError as err:
                raise ModelError(err.message, loc, _SIGNATURES[expr.func]) from None
            return draw
        return self._number(expr, uses, loc, rename)

    def _number(self, expr: Expr, uses, loc: Loc, rename) -> Quantity:
        with np.errstate(all="ignore"):
            try:
                result = self._eval(expr, uses, loc, rename)
            except DimensionMismatch as err:
                raise ModelError(f"units do not match: {err}", loc,
                                 "both sides of + and - need the same units") from None
            except (ArithmeticError, ValueError) as err:
                raise ModelError(f"cannot compute this value: {err}", loc,
                                 "check what it divides by and that each function gets a value"
                                 " it is defined for (log of a positive number...)") from None
        if not np.all(np.isfinite(result.internal())):
            raise ModelError("this value is not a finite number", loc,
                             "check for a division by zero or an overflow")
        return result

    def plain(self, value: ast.Value, what: str) -> float:
        """`value` as one plain number (a rule's argument, a seed)."""
        number = self.evaluate(value)
        if not isinstance(number, Quantity) or number.ndim or not number.is_dimensionless:
            raise ModelError(f"{what} is one number without a unit", value.loc)
        return float(number)

    def _eval(self, expr: Expr, uses, loc: Loc, rename) -> Quantity:
        if isinstance(expr, Const):
            return Quantity(expr.value, expr.dim)
        if isinstance(expr, Ref):
            return self._name(expr.name, uses, loc, rename)
        if isinstance(expr, Unary) and expr.op == "-":
            return OPERATORS["-", 1].python(self._eval(expr.operand, uses, loc, rename))
        if isinstance(expr, Binary) and expr.op in ARITHMETIC:
            left = self._eval(expr.left, uses, loc, rename)
            right = self._eval(expr.right, uses, loc, rename)
            return OPERATORS[expr.op, 2].python(left, right)
        if isinstance(expr, Call) and expr.func in FUNCTIONS and not FUNCTIONS[expr.func].is_random:
            args = [self._eval(a, uses, loc, rename) for a in expr.args]
            return _function(FUNCTIONS[expr.func], args, loc)
        if isinstance(expr, Call) and expr.func in DISTRIBUTIONS:
            raise ModelError(f"a random value ({expr.func}(...)) must stand alone", loc,
                             "draw it as the whole value, e.g. v = normal(-55*mV, 2*mV)")
        raise ModelError("a value is a constant: numbers, units, parameters, i and N with"
                         " + - * / **", loc, "conditions and variables belong in equations")

    def _name(self, name: str, uses, loc: Loc, rename) -> Quantity:
        if name == "i" and self.size is not None:
            check_fits(8 * self.size, f"a value per neuron of {self.size} neurons",
                       _use(name, uses, loc))
            return Quantity(np.arange(self.size, dtype=float))
        if name == "N" and self.size is not None:
            return Quantity(float(self.size))
        try:
            found = self.lookup(rename(name))
        except ModelError as err:
            raise at(err, _use(name, uses, loc)) from None
        if isinstance(found, Random):
            raise ModelError(f"'{name}' is a random value and cannot be used in another value",
                             _use(name, uses, loc), "give the derived value its own distribution")
        if found is not None:
            return found
        unit = get_unit(name)
        if unit is not None:
            return unit
        where = "" if self.size is not None else " (i and N only exist in a population)"
        raise ModelError(f"unknown name '{name}' in a value{where}", _use(name, uses, loc),
                         did_you_mean(name, UNIT_NAMES)
                         or "a value may use numbers, units, parameters, i and N")

    # -- arrays and files -----------------------------------------------------------------------
    def _array(self, array: ast.Array, uses, rename) -> Quantity:
        entries = [self._array(item, uses, rename) if isinstance(item, ast.Array)
                   else self._number(item, uses, array.loc, rename) for item in array.items]
        if not entries:
            raise ModelError("an array needs at least one value", array.loc)
        dims = {e.dim for e in entries}
        if len(dims) > 1:
            raise ModelError("the values of an array have different units", array.loc,
                             "write the numbers without units and multiply the array: [1, 2, 3]*mV")
        shapes = {np.shape(e.internal()) for e in entries}
        if len(shapes) > 1:
            raise ModelError("the rows of an array have different lengths", array.loc)
        return Quantity(np.array([e.internal() for e in entries], dtype=float), dims.pop())

    def _file(self, value: ast.FileValue) -> Quantity:
        path = Path(value.path)
        if self.directory is not None and not path.is_absolute():
            path = self.directory / path
        if path.suffix != ".npy":
            raise ModelError(f"load() reads .npy files, got '{value.path}'", value.loc,
                             "save the array with numpy.save(\"values.npy\", array)")
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot read '{value.path}': {err}", value.loc) from None
        if data.dtype.kind not in "iuf" or data.ndim not in (1, 2):
            raise ModelError(f"'{value.path}' must hold a 1-d or 2-d array of numbers, got"
                             f" {data.dtype} with shape {data.shape}", value.loc)
        return Quantity(data.astype(float))


class Lazy:
    """Parameter values computed on first use, so that a value may use one written after it.  A
    cycle, or a value that cannot be computed, is reported once, at the value's location; a value
    that uses it raises `Failed` without a second report."""

    def __init__(self, errors: Errors, compute: Callable[[str], Quantity | Random]):
        self.errors = errors
        self.compute = compute
        self.done: dict[str, Quantity | Random] = {}
        self.failed: set[str] = set()
        self.active: list[str] = []  # being computed, innermost last

    def get(self, name: str, loc: Loc) -> Quantity | Random:
        if name in self.failed:
            raise Failed()
        if name not in self.done:
            try:
                if name in self.active:
                    cycle = " -> ".join(self.active[self.active.index(name):] + [name])
                    raise ModelError(f"parameters defined in a circle: {cycle}", loc,
                                     "give one of them a number")
                self.active.append(name)
                try:
                    self.done[name] = self.compute(name)
                finally:
                    self.active.pop()
            except NeuroflowError as err:
                self.errors.add(at(err, loc))
                self.failed.add(name)
                raise Failed() from None
        return self.done[name]


def unit_of(value: Quantity | Random) -> Dimension:
    return value.to_ir()[1] if isinstance(value, Random) else value.dim


def check_unit(what: str, value: Quantity | Random, declared: Dimension | None,
               default: Quantity | Random | None, loc: Loc) -> None:
    """A parameter's value must be in its declared unit; where none is declared, an override
    keeps the unit of the default it replaces (`tau = 10*ms` then `LIF(tau = 20)` is a mistake,
    not a plain number)."""
    if declared is not None:
        expected, how = declared, "is declared in"
    elif default is not None:
        expected, how = unit_of(default), "its default is in"
    else:
        return
    if unit_of(value) != expected:
        raise ModelError(f"{what} is in {unit_of(value)} but {how} {expected}", loc,
                         "multiply the number by its unit, e.g. 20*ms")


def _function(fn: Function, args: list[Quantity], loc: Loc) -> Quantity:
    if len(args) != fn.arity:
        raise ModelError(f"{fn.name}() takes {fn.arity} argument(s), got {len(args)}", loc,
                         f"{fn.name}: {fn.doc}")
    try:
        dim = fn.unit([a.dim for a in args])
    except ValueError as err:
        raise ModelError(str(err), loc) from None
    return Quantity(fn.evaluate(NUMPY, *(a.internal() for a in args)), dim)


def _use(name: str, uses, loc: Loc) -> Loc:
    """Where `name` is written inside a value, else the value's start."""
    return next((use.loc for use in uses if use.text == name), loc)
