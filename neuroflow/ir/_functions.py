"""The functions and operators of the expression language: one entry each, read by every evaluator.

An entry is all there is to know about one function or operator: its arity, how it maps units
(the type checker), its value on arrays, its C++ form in generated blocks and its partial
derivatives.  Constant folding and the values of model files evaluate an entry on numpy; the
JAX backend evaluates the same entry on jax.numpy: the IR imports no JAX, so an entry is
written against the `ArrayLibrary` it is handed.  Derivatives are expressions of the language
in the arguments `x`, `y`, `z`, so that `differentiate` builds IR the passes can read and fold.
Adding a function is one `register_function(Function(...))`; a test then checks it against numpy.
"""
from __future__ import annotations

import importlib
import operator
from dataclasses import dataclass
from fractions import Fraction
from types import ModuleType
from typing import Any, Callable

import numpy

from ._dimensions import DIMENSIONLESS, Dimension
from ._expr import Binary, Const, Expr, Unary, calls, to_text

ARGUMENTS = ("x", "y", "z")
"""How the derivatives of an entry name its arguments, in order."""


@dataclass(frozen=True)
class ArrayLibrary:
    """The array library an evaluation runs on: `numpy` (numpy, or jax.numpy, which mirrors
    it), `special` (scipy.special or jax.scipy.special, imported on first use: few models call
    it) and `float`, the float type of the evaluation."""

    numpy: ModuleType
    special_module: str
    float: Any

    @property
    def special(self) -> ModuleType:
        return importlib.import_module(self.special_module)


NUMPY = ArrayLibrary(numpy, "scipy.special", numpy.float64)

UnitRule = Callable[[list[Dimension]], Dimension]
OperatorUnitRule = Callable[..., Dimension]  # (the expression, its operands' dimensions)


class UnitError(ValueError):
    """An operator's unit rule refusing its operands: a message and a hint for the user."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Function:
    """A function expressions may call.

    `unit` maps the arguments' dimensions to the result's, raising ValueError with a message
    for the user; `array(library, *args)` computes it elementwise (None for random numbers,
    which the backend draws); `cpp` is its C++ expression with `{0}`, `{1}`… standing for the
    arguments (None: no native form); `derivatives` holds one expression per argument.
    """

    name: str
    arity: int
    unit: UnitRule
    doc: str
    array: Callable[..., Any] | None
    cpp: str | None
    derivatives: tuple[str, ...] = ()
    dtype: str = "float"

    @property
    def is_random(self) -> bool:
        return self.array is None

    def evaluate(self, library: ArrayLibrary, *args):
        return self.array(library, *args)


@dataclass(frozen=True, slots=True)
class Operator:
    """A unary or binary operator.  `python` is Python's operator, for numbers and unit-carrying
    quantities (folding, values in model files); `array` names the function of numpy's API
    that applies it to arrays; `cpp` is the C++ operator; `unit(expr, *dims)` gives the
    result's dimension or raises UnitError."""

    symbol: str
    arity: int
    python: Callable[..., Any]
    array: str
    cpp: str
    unit: OperatorUnitRule
    derivatives: tuple[str, ...] = ()

    def evaluate(self, library: ArrayLibrary, *args):
        return getattr(library.numpy, self.array)(*args)


def _dimensionless(name: str) -> UnitRule:
    def rule(dims: list[Dimension]) -> Dimension:
        for d in dims:
            if not d.is_dimensionless:
                raise ValueError(f"{name}() needs a dimensionless argument, got one in {d}")
        return DIMENSIONLESS
    return rule


def _same(name: str) -> UnitRule:
    def rule(dims: list[Dimension]) -> Dimension:
        for d in dims[1:]:
            if d != dims[0]:
                raise ValueError(f"{name}() needs arguments of one dimension, got {dims[0]}"
                                 f" and {d}")
        return dims[0]
    return rule


def _square_root(dims: list[Dimension]) -> Dimension:
    return dims[0] ** Fraction(1, 2)


def _plain_number(dims: list[Dimension]) -> Dimension:
    return DIMENSIONLESS


def _same_units(e: Binary, left: Dimension, right: Dimension) -> Dimension:
    if left != right:
        raise UnitError(f"unit mismatch in '{to_text(e)}': '{to_text(e.left)}' is in {left}"
                        f" but '{to_text(e.right)}' is in {right}",
                        "both sides of + - and comparisons need the same units")
    return left


def _power(e: Binary, base: Dimension, exponent: Dimension) -> Dimension:
    if not exponent.is_dimensionless:
        raise UnitError(f"the exponent in '{to_text(e)}' has units ({exponent})")
    if base.is_dimensionless:
        return DIMENSIONLESS
    power = constant_exponent(e.right)
    if power is None:
        raise UnitError(f"'{to_text(e)}' raises a quantity with units to a variable power",
                        "exponents of quantities with units must be constant numbers")
    return base ** power


def constant_exponent(e: Expr) -> Fraction | None:
    """`e` as an exact fraction where it is a constant number (a power of units), else None."""
    if isinstance(e, Const):
        return Fraction(e.value).limit_denominator(100)
    if isinstance(e, Unary) and e.op == "-":
        inner = constant_exponent(e.operand)
        return None if inner is None else -inner
    return None


def _product(e: Binary, left: Dimension, right: Dimension) -> Dimension:
    return left * right


def _quotient(e: Binary, left: Dimension, right: Dimension) -> Dimension:
    return left / right


def _unchanged(e: Expr, dim: Dimension) -> Dimension:
    return dim


def _no_units(e: Expr, *dims: Dimension) -> Dimension:
    return DIMENSIONLESS


def _numpy(name: str) -> Callable[..., Any]:
    """The function `name` of numpy's API (jax.numpy has the same)."""
    def apply(library: ArrayLibrary, *args):
        return getattr(library.numpy, name)(*args)
    apply.__name__ = name
    return apply


def _exprel(library: ArrayLibrary, x):
    # (exp(x) - 1)/x with its limit 1 at 0; the `where` on the input keeps gradients finite.
    np = library.numpy
    small = np.abs(x) < 1e-6
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2.0, np.expm1(safe) / safe)


def _sigmoid(library: ArrayLibrary, x):
    return library.special.expit(x)


def _erf(library: ArrayLibrary, x):
    return library.special.erf(x)


def _truncate(library: ArrayLibrary, x):
    # kept in the float type because it feeds arithmetic; a condition becomes 0 or 1
    x = library.numpy.asarray(x)
    return x.astype(library.float) if x.dtype == bool else library.numpy.trunc(x)


def _unary(name: str, doc: str, unit: UnitRule, cpp: str, derivative: str) -> Function:
    return Function(name, 1, unit, doc, _numpy(name), f"{cpp}({{0}})", (derivative,))


_KINK = "where(x <= y, 1, 0)"  # minimum's slope in x; the kink goes to x, as jnp.minimum's gradient

FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    _unary("exp", "e**x", _dimensionless("exp"), "nf_exp", "exp(x)"),
    _unary("expm1", "exp(x) - 1, accurate near 0", _dimensionless("expm1"), "nf_expm1", "exp(x)"),
    Function("exprel", 1, _dimensionless("exprel"), "(exp(x) - 1)/x, 1 at x = 0", _exprel,
             "nf_exprel({0})",
             ("where(abs(x) < 0.001, 0.5 + x/3 + x**2/8, (exp(x) - exprel(x))/x)",)),
    _unary("log", "natural logarithm", _dimensionless("log"), "nf_log", "1/x"),
    _unary("log10", "base-10 logarithm", _dimensionless("log10"), "nf_log10",
           "0.4342944819032518/x"),
    _unary("sin", "sine", _dimensionless("sin"), "nf_sin", "cos(x)"),
    _unary("cos", "cosine", _dimensionless("cos"), "nf_cos", "-sin(x)"),
    _unary("tan", "tangent", _dimensionless("tan"), "nf_tan", "1 + tan(x)**2"),
    _unary("tanh", "hyperbolic tangent", _dimensionless("tanh"), "nf_tanh", "1 - tanh(x)**2"),
    _unary("arctan", "inverse tangent", _dimensionless("arctan"), "nf_atan", "1/(1 + x**2)"),
    Function("erf", 1, _dimensionless("erf"), "the error function", _erf, "nf_erf({0})",
             ("1.1283791670955126*exp(-x**2)",)),
    _unary("sinh", "hyperbolic sine", _dimensionless("sinh"), "nf_sinh", "cosh(x)"),
    _unary("cosh", "hyperbolic cosine", _dimensionless("cosh"), "nf_cosh", "sinh(x)"),
    Function("sigmoid", 1, _dimensionless("sigmoid"), "1/(1 + exp(-x))", _sigmoid,
             "nf_sigmoid({0})", ("sigmoid(x)*(1 - sigmoid(x))",)),
    _unary("sqrt", "square root", _square_root, "nf_sqrt", "0.5/sqrt(x)"),
    _unary("abs", "absolute value", _same("abs"), "nf_fabs", "sign(x)"),
    _unary("sign", "-1, 0 or 1", _plain_number, "nf_sign", "0"),
    _unary("floor", "round down", _same("floor"), "nf_floor", "0"),
    _unary("ceil", "round up", _same("ceil"), "nf_ceil", "0"),
    Function("int", 1, _dimensionless("int"), "truncate to an integer (booleans to 0/1)",
             _truncate, "real(nf_trunc(real({0})))", ("0",), dtype="int"),
    Function("clip", 3, _same("clip"), "clip(x, low, high)", _numpy("clip"),
             "nf_clip({0}, {1}, {2})",
             ("where(x >= y and x <= z, 1, 0)", "where(x < y, 1, 0)", "where(x > z, 1, 0)")),
    Function("minimum", 2, _same("minimum"), "elementwise minimum", _numpy("minimum"),
             "nf_min({0}, {1})", (_KINK, "1 - " + _KINK)),
    Function("maximum", 2, _same("maximum"), "elementwise maximum", _numpy("maximum"),
             "nf_max({0}, {1})", ("where(x >= y, 1, 0)", "where(x >= y, 0, 1)")),
    Function("rand", 0, _plain_number, "uniform random number in [0, 1), fresh per neuron and step",
             None, None),
    Function("randn", 0, _plain_number, "standard normal random number, fresh per neuron and step",
             None, None),
]}

OPERATORS: dict[tuple[str, int], Operator] = {(o.symbol, o.arity): o for o in [
    Operator("-", 1, operator.neg, "negative", "-", _unchanged, ("-1",)),
    Operator("not", 1, operator.not_, "logical_not", "!", _no_units),
    Operator("+", 2, operator.add, "add", "+", _same_units, ("1", "1")),
    Operator("-", 2, operator.sub, "subtract", "-", _same_units, ("1", "-1")),
    Operator("*", 2, operator.mul, "multiply", "*", _product, ("y", "x")),
    Operator("/", 2, operator.truediv, "divide", "/", _quotient, ("1/y", "-x/y**2")),
    Operator("**", 2, operator.pow, "power", "nf_pow", _power, ("y*x**(y - 1)", "log(x)*x**y")),
    Operator("<", 2, operator.lt, "less", "<", _same_units),
    Operator("<=", 2, operator.le, "less_equal", "<=", _same_units),
    Operator(">", 2, operator.gt, "greater", ">", _same_units),
    Operator(">=", 2, operator.ge, "greater_equal", ">=", _same_units),
    Operator("==", 2, operator.eq, "equal", "==", _same_units),
    Operator("!=", 2, operator.ne, "not_equal", "!=", _same_units),
    Operator("and", 2, operator.and_, "logical_and", "&&", _no_units),
    Operator("or", 2, operator.or_, "logical_or", "||", _no_units),
]}


def uses_random(expr: Expr) -> bool:
    """Whether `expr` draws random numbers (which generated blocks do not, and which make a
    value differ between neurons)."""
    return any(FUNCTIONS[name].is_random for name in calls(expr) if name in FUNCTIONS)


def register_function(function: Function) -> None:
    """Make `function` callable from expressions everywhere: model files, builder equations,
    folding, the JAX backend and (with `cpp`) generated blocks."""
    if function.name in FUNCTIONS:
        raise ValueError(f"a function named '{function.name}' exists already")
    if len(function.derivatives) not in (0, function.arity):
        raise ValueError(f"{function.name}: give one derivative per argument, or none")
    FUNCTIONS[function.name] = function


def unregister_function(name: str) -> None:
    """Remove a function added with `register_function` (tests, interactive sessions)."""
    del FUNCTIONS[name]
