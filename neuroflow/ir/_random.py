"""Random distributions for initial values and synaptic weights, and the draws users write.

A distribution is a frozen dataclass whose parameters are plain floats in the
model's internal units (the caller converts; `scaled` is the hook for that).
It checks its parameters on construction, samples float64 arrays, prints as
a call such as `normal(-55.0, 2.0)`, and reports its mean for cost models.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ._connectivity import from_call
from ._dimensions import Dimension
from ._errors import ModelError
from ._units import as_quantity

Shape = int | tuple[int, ...]


def _real(value: object, where: str) -> float:
    # bool is a numbers.Real too; `normal(True, 1)` is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where} must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{where} must be finite, got {value!r}")
    return x


def _non_negative(value: object, where: str) -> float:
    x = _real(value, where)
    if x < 0.0:
        raise ValueError(f"{where} must be >= 0, got {value!r}")
    return x


def _normalise(obj: object, **values: float) -> None:
    # Store checked floats, so Normal(-55, 2) == Normal(-55.0, 2.0) and the
    # printed text always shows floats.
    for field, value in values.items():
        object.__setattr__(obj, field, value)


class Distribution(ABC):
    """Base of all distributions; subclasses are frozen dataclasses."""

    __slots__ = ()
    name: ClassVar[str]  # the call name in the printed IR

    @abstractmethod
    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        """Independent float64 draws of the given shape."""

    @abstractmethod
    def mean(self) -> float:
        """Expected value, for cost models."""

    @abstractmethod
    def scaled(self, factor: float) -> Distribution:
        """The distribution of `factor * X`, for a positive constant factor."""

    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values (infinite where unbounded)."""
        return (-math.inf, math.inf)

    def text(self) -> str:
        # repr(float) is the shortest string that parses back to the same float.
        args = ", ".join(repr(float(getattr(self, f.name))) for f in dataclasses.fields(self))
        return f"{self.name}({args})"


def _factor(factor: object) -> float:
    f = _real(factor, "scale factor")
    if f <= 0.0:
        # A negative factor would flip uniform bounds and break lognormal.
        raise ValueError(f"scale factor must be > 0, got {factor!r}")
    return f


@dataclass(frozen=True, slots=True)
class Normal(Distribution):
    """Gaussian of mean `mu` and standard deviation `sigma` (not mean/std: `mean()` is a method)."""

    mu: float
    sigma: float
    name: ClassVar[str] = "normal"

    def __post_init__(self) -> None:
        _normalise(self, mu=_real(self.mu, "normal: mean"),
                   sigma=_non_negative(self.sigma, "normal: std"))

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mu, self.sigma, size=shape)

    def mean(self) -> float:
        return self.mu

    def scaled(self, factor: float) -> Normal:
        f = _factor(factor)
        return Normal(self.mu * f, self.sigma * f)


@dataclass(frozen=True, slots=True)
class Uniform(Distribution):
    """Uniform on [low, high)."""

    low: float
    high: float
    name: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        low = _real(self.low, "uniform: low")
        high = _real(self.high, "uniform: high")
        if low > high:
            raise ValueError(f"uniform: low must be <= high, got low={low!r}, high={high!r}")
        _normalise(self, low=low, high=high)

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=shape)

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def scaled(self, factor: float) -> Uniform:
        f = _factor(factor)
        return Uniform(self.low * f, self.high * f)


@dataclass(frozen=True, slots=True)
class LogNormal(Distribution):
    """exp(N(mu, sigma)): mu and sigma are those of the underlying normal."""

    mu: float
    sigma: float
    name: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        _normalise(self, mu=_real(self.mu, "lognormal: mu"),
                   sigma=_non_negative(self.sigma, "lognormal: sigma"))

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size=shape)

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        return math.exp(self.mu + 0.5 * self.sigma**2)

    def scaled(self, factor: float) -> LogNormal:
        # f * exp(N(mu, s)) = exp(N(mu + log f, s)).
        return LogNormal(self.mu + math.log(_factor(factor)), self.sigma)


@dataclass(frozen=True, slots=True)
class Exponential(Distribution):
    """Exponential with the given scale (= mean = 1 / rate)."""

    scale: float
    name: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        _normalise(self, scale=_non_negative(self.scale, "exponential: scale"))

    def sample(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        return rng.exponential(self.scale, size=shape)

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        return self.scale

    def scaled(self, factor: float) -> Exponential:
        return Exponential(self.scale * _factor(factor))


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    dist.name: dist for dist in (Normal, Uniform, LogNormal, Exponential)
}


def distribution_from_call(name: str, args: tuple[float, ...]) -> Distribution:
    """Build a distribution from a parsed call such as `normal(-55.0, 2.0)`."""
    return from_call(DISTRIBUTIONS, "distribution", "distributions", name, args)


# -- as users write them: `nf.normal(-55*mV, 2*mV)`, with units, checked by `to_ir` -----------

@dataclass(frozen=True)
class Random:
    kind: str
    args: tuple
    # Which arguments carry the value's units; lognormal's are log-space numbers.
    unit_args: tuple[int, ...]

    def to_ir(self) -> tuple[Distribution, Dimension]:
        quantities = [as_quantity(a) for a in self.args]
        dims = {quantities[i].dim for i in self.unit_args}
        if len(dims) > 1:
            raise ModelError(f"{self.kind}(...) has arguments in different units: "
                             + ", ".join(repr(a) for a in self.args))
        dim = dims.pop() if dims else quantities[0].dim
        values = tuple(float(q.internal()) for q in quantities)
        try:
            if self.kind == "lognormal":
                mu, sigma, scale = values
                return DISTRIBUTIONS["lognormal"](mu, sigma).scaled(scale), dim
            return DISTRIBUTIONS[self.kind](*values), dim
        except ValueError as err:
            raise ModelError(str(err)) from None


def normal(mean, std) -> Random:
    """Normally distributed values, e.g. initial potentials `normal(-55*mV, 2*mV)`."""
    return Random("normal", (mean, std), (0, 1))


def uniform(low, high) -> Random:
    return Random("uniform", (low, high), (0, 1))


def exponential(scale) -> Random:
    return Random("exponential", (scale,), (0,))


def lognormal(mu: float, sigma: float, scale=1.0) -> Random:
    """`scale * exp(N(mu, sigma))`; `scale` carries the units."""
    return Random("lognormal", (mu, sigma, scale), (2,))
