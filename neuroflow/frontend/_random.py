"""Random initial values and weights as the user writes them: `nf.normal(-55*mV, 2*mV)`.

The arguments may carry units; `to_ir` checks they agree and converts them
into an IR distribution in internal units.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import ModelError
from ..ir._random import DISTRIBUTIONS, Distribution
from ..ir._units import Dimension, as_quantity


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
            if self.kind == "lognormal":  # scale * exp(N(mu, sigma)) = exp(N(mu + log(scale), sigma))
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
