"""Quantities (numbers and arrays with a dimension, held in the internal units of `_dimensions`)
and the registry of Brian2-style unit constants (`UNITS`, `get_unit`): one module, because a
quantity converts and prints through the registry (`q.to("ms")`, a repr in mV or ms).
"""
from __future__ import annotations

import functools
import numbers
import operator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._dimensions import (AMOUNT, CAPACITANCE, CHARGE, CONCENTRATION, CONDUCTANCE, CURRENT,
                          DIMENSIONLESS, ENERGY, FORCE, FREQUENCY, LENGTH, LUMINOSITY, MASS, POWER,
                          PRESSURE, RESISTANCE, TEMPERATURE, TIME, VOLTAGE, VOLUME, Dimension,
                          _pow10, _require_same)
from ._errors import ModelError


class QuantityError(ModelError, TypeError):
    """A value that is no number or quantity (a TypeError too, for callers that locate it)."""


def _freeze(value) -> float | np.ndarray:
    """A number as a float, or an array as a private read-only float64 copy."""
    if isinstance(value, (np.ndarray, list, tuple)):
        array = np.array(value, dtype=np.float64)  # a copy: the caller cannot mutate us later
        if array.ndim == 0:
            return float(array)
        array.flags.writeable = False
        return array
    if isinstance(value, numbers.Real):
        return float(value)
    raise QuantityError(f"a value must be a number, a quantity (10*ms) or an array, got"
                        f" {value!r}", hint="write numbers without quotes, with units from"
                                            " neuroflow.units (from neuroflow.units import ms)")


def _rational(exponent) -> Fraction:
    """A scalar exponent as a small fraction; a dimensional base needs one."""
    if np.ndim(exponent) != 0:
        raise ValueError("a quantity with a dimension can only be raised to one scalar power")
    if isinstance(exponent, numbers.Rational):
        return Fraction(exponent)
    fraction = Fraction(float(exponent)).limit_denominator(1000)
    if abs(fraction - float(exponent)) > 1e-12:
        raise ValueError(f"power {exponent!r} of a dimension is not a simple fraction")
    return fraction


def _operand(method):
    """Wrap a binary method: the other operand becomes a Quantity, or its type gets a turn."""
    @functools.wraps(method)
    def wrapper(self, other):
        other = _coerce(other)
        return NotImplemented if other is None else method(self, other)
    return wrapper


def _comparison(op):
    @_operand
    def compare(self, other):
        _require_same(self.dim, other.dim, "cannot compare")
        return op(self.internal_value, other.internal_value)
    compare.__name__ = f"__{op.__name__}__"
    return compare


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Quantity:
    """A number or array with a dimension, held in internal units.

    Holding internal rather than SI values keeps the usual conversions exact:
    uF/cm2 is 1e6 pF / 1e8 um^2 = 0.01, where 1e-6 F / 1e-4 m^2 rounds to
    0.009999999999999998.  Build quantities as `value * unit`.
    """

    internal_value: float | np.ndarray
    dim: Dimension = DIMENSIONLESS

    # Make numpy hand `array * q` and `array < q` to our reflected methods.
    __array_priority__ = 1000
    __array_ufunc__ = None

    def __post_init__(self):
        if not isinstance(self.dim, Dimension):
            raise TypeError(f"dim must be a Dimension, got {self.dim!r}")
        object.__setattr__(self, "internal_value", _freeze(self.internal_value))

    @classmethod
    def from_si(cls, value, dim: Dimension) -> Quantity:
        return cls(_freeze(value) / dim.internal_scale(), dim)

    def internal(self) -> float | np.ndarray:
        """The value in internal units (ms, mV, pA, nS, pF, um)."""
        return self.internal_value

    def si(self) -> float | np.ndarray:
        return self.internal_value * self.dim.internal_scale()

    def to(self, unit: Quantity | str) -> float | np.ndarray:
        """The value as a multiple of `unit`: `(20*ms).to(second) == 0.02`."""
        if isinstance(unit, str):
            name, unit = unit, get_unit(unit)
            if unit is None:
                raise ValueError(f"unknown unit {name!r}")
        _require_same(self.dim, unit.dim, "cannot convert between dimensions")
        return self.internal_value / unit.internal_value

    @property
    def is_dimensionless(self) -> bool:
        return self.dim.is_dimensionless

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.internal_value)

    @property
    def ndim(self) -> int:
        return np.ndim(self.internal_value)

    def identical(self, other) -> bool:
        """Structural equality (same dimension and values); never raises."""
        return (isinstance(other, Quantity) and self.dim == other.dim
                and np.array_equal(self.internal_value, other.internal_value))

    # --- arithmetic: `other` arrives as a Quantity (see _operand) ----------

    @_operand
    def __add__(self, other):
        _require_same(self.dim, other.dim, "cannot add")
        return Quantity(self.internal_value + other.internal_value, self.dim)

    @_operand
    def __sub__(self, other):
        _require_same(self.dim, other.dim, "cannot subtract")
        return Quantity(self.internal_value - other.internal_value, self.dim)

    @_operand
    def __rsub__(self, other):
        return other - self

    @_operand
    def __mul__(self, other):
        return Quantity(self.internal_value * other.internal_value, self.dim * other.dim)

    @_operand
    def __truediv__(self, other):
        return Quantity(self.internal_value / other.internal_value, self.dim / other.dim)

    @_operand
    def __rtruediv__(self, other):
        return other / self

    __radd__ = __add__  # + and * commute
    __rmul__ = __mul__

    def __pow__(self, exponent):
        if isinstance(exponent, Quantity):
            _require_same(exponent.dim, DIMENSIONLESS, "an exponent must be dimensionless")
            exponent = exponent.internal_value
        if not isinstance(exponent, (numbers.Real, np.ndarray)):
            return NotImplemented
        if self.is_dimensionless:
            return Quantity(np.power(self.internal_value, _freeze(exponent)))
        power = _rational(exponent)
        return Quantity(self.internal_value ** float(power), self.dim ** power)

    @_operand
    def __rpow__(self, base):
        return base ** self

    def __neg__(self):
        return Quantity(-self.internal_value, self.dim)

    def __pos__(self):
        return self

    def __abs__(self):
        return Quantity(abs(self.internal_value), self.dim)

    # --- comparisons: same dimension required, result is bool or bool array -

    __lt__ = _comparison(operator.lt)
    __le__ = _comparison(operator.le)
    __gt__ = _comparison(operator.gt)
    __ge__ = _comparison(operator.ge)
    __eq__ = _comparison(operator.eq)
    __ne__ = _comparison(operator.ne)

    def __hash__(self):
        if isinstance(self.internal_value, np.ndarray):
            raise TypeError("an array quantity is not hashable")
        if self.is_dimensionless:
            return hash(self.internal_value)  # equal to a plain number, so hash like one
        return hash((self.internal_value, self.dim))

    # --- conversions and containers --------------------------------------

    def __float__(self):
        _require_same(self.dim, DIMENSIONLESS, "only a dimensionless quantity converts to float")
        return float(self.internal_value)

    def __bool__(self):
        return bool(self.internal_value)

    def __array__(self, dtype=None, copy=None):
        # A dimension silently dropped is the bug units exist to catch.
        if not self.is_dimensionless:
            raise TypeError(f"a quantity in {self.dim.si_name()} is not a plain array; "
                            "use .to(unit) or .internal()")
        return np.array(self.internal_value, dtype=dtype)

    def __len__(self):
        return len(self.internal_value)

    def __getitem__(self, index):
        return Quantity(self.internal_value[index], self.dim)

    def __iter__(self):
        return (Quantity(v, self.dim) for v in self.internal_value)

    def __repr__(self):
        unit_name = _DISPLAY_UNITS.get(self.dim)
        if unit_name is None:
            value, unit_name = self.internal_value, str(self.dim)
        else:
            value = self.internal_value / UNITS[unit_name].internal_value
        # a number in numpy's style: "20.", "-55.", "1.e-18"
        text = repr(value) if isinstance(value, np.ndarray) else np.array2string(np.array(value))
        return text if self.is_dimensionless else f"{text} {unit_name}"


def _coerce(value) -> Quantity | None:
    """A binary operand as a quantity; None where the other type should try."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, (numbers.Real, np.ndarray, np.generic, list, tuple)):
        return Quantity(value)
    return None


def as_quantity(value) -> Quantity:
    """A quantity as itself; a number or an array as a dimensionless quantity; a list of
    quantities of one dimension (`[1*ms, 2*ms]`) as one array quantity."""
    if isinstance(value, Quantity):
        return value
    if isinstance(value, (list, tuple)) and any(isinstance(v, Quantity) for v in value):
        items = [as_quantity(v) for v in value]
        dims = {q.dim for q in items}
        if len(dims) > 1:
            raise QuantityError(f"a list mixes quantities of different dimensions: {value!r}",
                                hint="give every entry the same kind of unit, or use an"
                                     " array times one unit: [1, 2]*ms")
        return Quantity(np.array([q.internal_value for q in items], dtype=float), dims.pop())
    return Quantity(value)


def is_dimensionless(value) -> bool:
    return as_quantity(value).is_dimensionless


# --- unit constants -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _BaseUnit:
    names: tuple[str, ...]  # exported bare and with long prefixes: volt, mvolt
    symbols: tuple[str, ...]  # exported only with a prefix: mV (a bare V would shadow user names)
    dim: Dimension
    log10_si: int  # the unit is 10**log10_si SI units of `dim`


_BASE_UNITS = (
    _BaseUnit(("metre", "meter"), ("m",), LENGTH, 0),
    _BaseUnit(("gram", "gramme"), ("g",), MASS, -3),
    _BaseUnit(("second",), ("s",), TIME, 0),
    _BaseUnit(("amp", "ampere"), ("A",), CURRENT, 0),
    _BaseUnit(("kelvin",), ("K",), TEMPERATURE, 0),
    _BaseUnit(("mole", "mol"), ("mol",), AMOUNT, 0),
    _BaseUnit(("candela",), ("cd",), LUMINOSITY, 0),
    _BaseUnit(("volt",), ("V",), VOLTAGE, 0),
    _BaseUnit(("siemens",), ("S",), CONDUCTANCE, 0),
    _BaseUnit(("farad",), ("F",), CAPACITANCE, 0),
    _BaseUnit(("ohm",), ("ohm",), RESISTANCE, 0),
    _BaseUnit(("hertz", "Hz"), ("Hz",), FREQUENCY, 0),
    _BaseUnit(("coulomb",), ("C",), CHARGE, 0),
    _BaseUnit(("joule",), ("J",), ENERGY, 0),
    _BaseUnit(("watt",), ("W",), POWER, 0),
    _BaseUnit(("newton",), ("N",), FORCE, 0),
    _BaseUnit(("pascal",), ("Pa",), PRESSURE, 0),
    _BaseUnit(("litre", "liter"), ("l", "L"), VOLUME, -3),
    _BaseUnit(("molar",), ("M",), CONCENTRATION, 3),
)
_PREFIXES = {
    "y": -24, "z": -21, "a": -18, "f": -15, "p": -12, "n": -9, "u": -6, "m": -3,
    "c": -2, "d": -1, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18, "Z": 21, "Y": 24,
}

_SYMBOL_PREFIXES = frozenset("fpnumkMG")


def _unit(log10_si: int, dim: Dimension) -> Quantity:
    return Quantity(_pow10(log10_si - dim.internal_log10()), dim)


def _add(registry: dict[str, Quantity], name: str, unit: Quantity) -> None:
    if name in registry and not registry[name].identical(unit):
        raise RuntimeError(f"unit name {name!r} would mean two units")
    registry[name] = unit


def _names_of(base: _BaseUnit):
    """(name, log10 of the prefix) for every spelling of one base unit."""
    for name in base.names:
        yield name, 0
    for prefix, log10 in _PREFIXES.items():
        for stem in base.names:
            yield prefix + stem, log10
        # Short forms only with the prefixes models use: "El", "EK" or "Tm" must stay free
        # for parameter names, and a forgotten parameter must not silently become a unit.
        if prefix in _SYMBOL_PREFIXES or (prefix == "c" and base.dim == LENGTH):
            for stem in base.symbols:
                yield prefix + stem, log10


def _build_units() -> dict[str, Quantity]:
    registry: dict[str, Quantity] = {}
    for base in _BASE_UNITS:
        for name, log10 in _names_of(base):
            log10_si = base.log10_si + log10
            _add(registry, name, _unit(log10_si, base.dim))
            if base.dim == LENGTH:  # Brian2's areas and volumes: cm2, um3, metre2
                _add(registry, name + "2", _unit(2 * log10_si, LENGTH**2))
                _add(registry, name + "3", _unit(3 * log10_si, LENGTH**3))
    _add(registry, "kilogram", registry["kgram"])
    return registry


UNITS: dict[str, Quantity] = _build_units()
UNIT_NAMES: frozenset[str] = frozenset(UNITS)


def get_unit(name: str) -> Quantity | None:
    """The unit called `name` (Brian2's spelling: mV, msiemens, cm2), or None."""
    return UNITS.get(name)


# The unit each common dimension is shown in; others show in internal units.
_DISPLAY_UNITS = {
    TIME: "ms", VOLTAGE: "mV", CURRENT: "pA", CONDUCTANCE: "nS", CAPACITANCE: "pF",
    LENGTH: "um", FREQUENCY: "Hz", RESISTANCE: "Mohm", CONCENTRATION: "mM",
}

if set(UNITS) & set(globals()):
    raise RuntimeError(f"unit names shadow module names: {sorted(set(UNITS) & set(globals()))}")
globals().update(UNITS)  # each unit is a module constant too: _units.mV
