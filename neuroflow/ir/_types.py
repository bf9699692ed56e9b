"""Types of IR values: `(dtype, shape, dimension)`, and the functions expressions may call.

`dtype` is the kind of number ("float", "int", "bool"); the backend picks the
precision (float32 or float64) when it lowers.  `shape` is `()` for a value
shared by a population and `(n,)` for one value per neuron.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from ._units import DIMENSIONLESS, Dimension, parse_dimension

DTYPES = ("float", "int", "bool")


@dataclass(frozen=True, slots=True)
class Type:
    dtype: str
    shape: tuple[int, ...]
    dim: Dimension = DIMENSIONLESS

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if any((not isinstance(n, int)) or n < 1 for n in self.shape):
            raise ValueError(f"shape must hold positive sizes, got {self.shape!r}")

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    def text(self) -> str:
        size = ",".join(str(n) for n in self.shape)
        return f"{self.dtype}[{size}]<{self.dim}>"

    @staticmethod
    def from_text(text: str) -> "Type":
        head, dim = text.split("<", 1)
        dtype, size = head.split("[", 1)
        size = size.rstrip("]")
        shape = tuple(int(n) for n in size.split(",")) if size else ()
        return Type(dtype, shape, parse_dimension(dim.rstrip(">")))


@dataclass(frozen=True, slots=True)
class Function:
    """A function callable from expressions: its arity and how it maps dimensions.

    `result(dims, exponent_of)` returns the result dimension or raises ValueError
    with a message for the user.
    """

    name: str
    arity: int
    result: Callable[[list[Dimension]], Dimension]
    doc: str


def _dimensionless(name: str):
    def rule(dims: list[Dimension]) -> Dimension:
        for d in dims:
            if not d.is_dimensionless:
                raise ValueError(f"{name}() needs a dimensionless argument, got one in {d}")
        return DIMENSIONLESS
    return rule


def _same(name: str):
    def rule(dims: list[Dimension]) -> Dimension:
        for d in dims[1:]:
            if d != dims[0]:
                raise ValueError(f"{name}() needs arguments of one dimension, got {dims[0]} and {d}")
        return dims[0]
    return rule


def _sqrt(dims: list[Dimension]) -> Dimension:
    return dims[0] ** Fraction(1, 2)


def _random(dims: list[Dimension]) -> Dimension:
    return DIMENSIONLESS


_TABLE = [
    Function("exp", 1, _dimensionless("exp"), "e**x"),
    Function("expm1", 1, _dimensionless("expm1"), "exp(x) - 1, accurate near 0"),
    Function("exprel", 1, _dimensionless("exprel"), "(exp(x) - 1)/x, 1 at x = 0"),
    Function("log", 1, _dimensionless("log"), "natural logarithm"),
    Function("log10", 1, _dimensionless("log10"), "base-10 logarithm"),
    Function("sin", 1, _dimensionless("sin"), "sine"),
    Function("cos", 1, _dimensionless("cos"), "cosine"),
    Function("tan", 1, _dimensionless("tan"), "tangent"),
    Function("tanh", 1, _dimensionless("tanh"), "hyperbolic tangent"),
    Function("sinh", 1, _dimensionless("sinh"), "hyperbolic sine"),
    Function("cosh", 1, _dimensionless("cosh"), "hyperbolic cosine"),
    Function("sigmoid", 1, _dimensionless("sigmoid"), "1/(1 + exp(-x))"),
    Function("sqrt", 1, _sqrt, "square root"),
    Function("abs", 1, _same("abs"), "absolute value"),
    Function("sign", 1, lambda dims: DIMENSIONLESS, "-1, 0 or 1"),
    Function("floor", 1, _same("floor"), "round down"),
    Function("ceil", 1, _same("ceil"), "round up"),
    Function("int", 1, _dimensionless("int"), "truncate to an integer (booleans to 0/1)"),
    Function("clip", 3, _same("clip"), "clip(x, low, high)"),
    Function("minimum", 2, _same("minimum"), "elementwise minimum"),
    Function("maximum", 2, _same("maximum"), "elementwise maximum"),
    Function("rand", 0, _random, "uniform random number in [0, 1), fresh per neuron and step"),
    Function("randn", 0, _random, "standard normal random number, fresh per neuron and step"),
]

FUNCTIONS: dict[str, Function] = {f.name: f for f in _TABLE}
