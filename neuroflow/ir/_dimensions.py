"""Physical dimensions: exponents of the SI base dimensions, the named dimensions, their text.

The compiled step computes in one internal unit system: ms, mV, pA, nS, pF and um.  It is consistent
(nS*mV = pA, pF*mV/ms = pA) because its base units are um, ng (1e-12 kg), ms and pA; kelvin, mole
and candela keep their SI size.  `str(dimension)` names the internal unit of a dimension ("mV/ms",
"pA/um^2") and `parse_dimension` reads that text back exactly.
"""
from __future__ import annotations

import functools
import numbers
import re
from dataclasses import dataclass
from fractions import Fraction

_SI_WORDS = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")
_INTERNAL_SYMBOLS = ("um", "ng", "ms", "pA", "K", "mol", "cd")
# log10 of the SI size of each internal base unit; powers of ten kept as integers
# so that scales like 1e-3 come out as the exact float literal.
_INTERNAL_LOG10 = (-6, -12, -3, -12, 0, 0, 0)


def _pow10(exponent: Fraction) -> float:
    if exponent.denominator == 1:
        return float(f"1e{exponent.numerator}")  # correctly rounded, unlike 10.0 ** n
    return 10.0 ** float(exponent)


@functools.cache  # a few dozen dimensions, asked for by every unit and conversion
def _internal_log10(exponents: tuple[Fraction, ...]) -> Fraction:
    return sum((e * k for e, k in zip(exponents, _INTERNAL_LOG10)), Fraction(0))


def _exponent_text(e: Fraction) -> str:
    return "" if e == 1 else f"^{e}"


@dataclass(frozen=True, slots=True)
class Dimension:
    """Exponents of the SI base dimensions (m, kg, s, A, K, mol, cd)."""

    exponents: tuple[Fraction, ...]

    def __post_init__(self):
        if len(self.exponents) != len(_SI_WORDS):
            raise ValueError(f"a dimension has {len(_SI_WORDS)} exponents, got {self.exponents!r}")
        for e in self.exponents:
            if not isinstance(e, numbers.Rational):
                raise TypeError(f"dimension exponents must be int or Fraction, got {e!r}")
        object.__setattr__(self, "exponents", tuple(Fraction(e) for e in self.exponents))

    @classmethod
    def of(cls, m=0, kg=0, s=0, A=0, K=0, mol=0, cd=0) -> Dimension:
        return cls((m, kg, s, A, K, mol, cd))

    @property
    def is_dimensionless(self) -> bool:
        return not any(self.exponents)

    def __mul__(self, other: Dimension) -> Dimension:
        if not isinstance(other, Dimension):
            return NotImplemented
        return Dimension(tuple(a + b for a, b in zip(self.exponents, other.exponents)))

    def __truediv__(self, other: Dimension) -> Dimension:
        if not isinstance(other, Dimension):
            return NotImplemented
        return Dimension(tuple(a - b for a, b in zip(self.exponents, other.exponents)))

    def __pow__(self, power: int | Fraction) -> Dimension:
        if not isinstance(power, numbers.Rational):
            return NotImplemented
        return Dimension(tuple(e * power for e in self.exponents))

    def internal_log10(self) -> Fraction:
        """log10 of `internal_scale()`, exact."""
        return _internal_log10(self.exponents)

    def internal_scale(self) -> float:
        """The SI value of one internal unit of this dimension (voltage: 1e-3)."""
        return _pow10(self.internal_log10())

    def _monomial(self, symbols: tuple[str, ...]) -> str:
        parts = [s + _exponent_text(e) for s, e in zip(symbols, self.exponents) if e]
        return "*".join(parts) or "1"

    def __str__(self) -> str:
        return _INTERNAL_NAMES.get(self) or self._in_millivolts()

    def _in_millivolts(self) -> str:
        """Any other dimension as mV^a*um^b*ms^c*pA^d*…: mass only ever enters through the volt, so
        factoring mV out keeps messages readable ("mV^2/ms", not "um^4*ng^2*ms^-7*pA^-2")."""
        m, kg, s, a, *rest = self.exponents
        remainder = Dimension((m - 2 * kg, Fraction(0), s + 3 * kg, a + kg, *rest))
        parts = [f"mV{_exponent_text(kg)}"] if kg else []
        parts += [p for p in remainder._monomial(_INTERNAL_SYMBOLS).split("*") if p != "1"]
        return "*".join(parts) or "1"

    def __repr__(self) -> str:
        return f"Dimension({str(self)!r})"

    def si_name(self) -> str:
        """The dimension in SI unit words, for messages: "volt", "metre^2*second^-1"."""
        if self.is_dimensionless:
            return "dimensionless"
        return _SI_NAMES.get(self) or self._monomial(_SI_WORDS)


DIMENSIONLESS = Dimension.of()
LENGTH = Dimension.of(m=1)
MASS = Dimension.of(kg=1)
TIME = Dimension.of(s=1)
CURRENT = Dimension.of(A=1)
TEMPERATURE = Dimension.of(K=1)
AMOUNT = Dimension.of(mol=1)
LUMINOSITY = Dimension.of(cd=1)
FREQUENCY = TIME**-1
CHARGE = CURRENT * TIME
ENERGY = MASS * LENGTH**2 / TIME**2
POWER = ENERGY / TIME
FORCE = MASS * LENGTH / TIME**2
PRESSURE = FORCE / LENGTH**2
VOLTAGE = POWER / CURRENT
RESISTANCE = VOLTAGE / CURRENT
CONDUCTANCE = CURRENT / VOLTAGE
CAPACITANCE = CHARGE / VOLTAGE
VOLUME = LENGTH**3
CONCENTRATION = AMOUNT / VOLUME

_SI_NAMES = {
    LENGTH: "metre", MASS: "kilogram", TIME: "second", CURRENT: "amp",
    TEMPERATURE: "kelvin", AMOUNT: "mole", LUMINOSITY: "candela",
    FREQUENCY: "hertz", CHARGE: "coulomb", ENERGY: "joule", POWER: "watt",
    FORCE: "newton", PRESSURE: "pascal", VOLTAGE: "volt", RESISTANCE: "ohm",
    CONDUCTANCE: "siemens", CAPACITANCE: "farad",
}

# Symbols that dimension text may use; each is one internal unit.
_PARSE_SYMBOLS = {
    **{s: Dimension(tuple(int(i == k) for i in range(7))) for k, s in enumerate(_INTERNAL_SYMBOLS)},
    "mV": VOLTAGE,
    "nS": CONDUCTANCE,
    "pF": CAPACITANCE,
}
# One factor: an optional operator (none before the first), a symbol, an optional ^exponent.
# The exponent takes a "/d" only when digits follow, so "ms^2/mV" is ms^2 over mV.
_FACTOR = re.compile(r"\s*([*/]?)\s*([A-Za-z]+|1)(?:\^(-?\d+(?:/\d+)?))?\s*")


def parse_dimension(text: str) -> Dimension:
    """Read the text `str(Dimension)` writes: "1", "mV/ms^1/2", "um^2*ng*ms^-3*pA^-1"."""
    result, pos = DIMENSIONLESS, 0
    while pos == 0 or pos < len(text):
        match = _FACTOR.match(text, pos)
        if match is None or (pos == 0) == bool(match[1]):
            raise ValueError(f"cannot read dimension {text!r} at column {pos + 1}")
        factor = _symbol_dimension(match[2], text) ** Fraction(match[3] or 1)
        result = result / factor if match[1] == "/" else result * factor
        pos = match.end()
    return result


def _symbol_dimension(symbol: str, text: str) -> Dimension:
    if symbol == "1":
        return DIMENSIONLESS
    if symbol not in _PARSE_SYMBOLS:
        known = ", ".join(_PARSE_SYMBOLS)
        raise ValueError(f"unknown unit {symbol!r} in dimension {text!r}; dimensions use {known}")
    return _PARSE_SYMBOLS[symbol]


# Names printed for common dimensions; everything else prints as a monomial.
_NAMED_DIMENSION_TEXTS = (
    "1", "ms", "mV", "pA", "nS", "pF", "um",
    "1/ms", "1/ms^2", "ms^1/2", "ms^-1/2",
    "mV/ms", "pA/ms", "nS/ms", "mV/ms^1/2", "pA/ms^1/2", "nS/ms^1/2",
    "um^2", "um^3", "um^2/ms", "pF/um^2", "nS/um^2", "pA/um^2",
    "mV^2", "1/mV", "1/mV/ms", "mV/pA", "pA*ms", "mV*pA",
)
_INTERNAL_NAMES = {parse_dimension(t): t for t in _NAMED_DIMENSION_TEXTS}
assert len(_INTERNAL_NAMES) == len(_NAMED_DIMENSION_TEXTS), "two names for one dimension"


class DimensionMismatch(Exception):
    """Two quantities that had to share a dimension do not."""

    def __init__(self, what: str, left: Dimension, right: Dimension):
        self.what = what
        self.left = left
        self.right = right
        super().__init__(f"{what}: {left.si_name()} vs {right.si_name()}")

    def __reduce__(self):
        return (DimensionMismatch, (self.what, self.left, self.right))


def _require_same(left: Dimension, right: Dimension, what: str) -> None:
    if left != right:
        raise DimensionMismatch(what, left, right)
