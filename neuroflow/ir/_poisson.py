"""Poisson input, as Brian2's `PoissonInput`: many independent Poisson sources onto each neuron
of a population, drawn as one binomial count per neuron and step (how many of the `n` sources
spiked in it) instead of `n` sources with synapses of their own."""
from __future__ import annotations

from dataclasses import dataclass

from ._expr import Expr, names, to_text
from ._nodes import Node


@dataclass(frozen=True, slots=True)
class PoissonInput(Node):
    """`n` sources of `rate` onto every neuron of `pop`, each spike adding `weight` to `var`.
    It runs where synaptic propagation runs (after the thresholds, before the resets), as in
    Brian2; `rate` and `weight` are expressions of the population (shared or per neuron)."""

    name: str
    pop: str
    var: str
    n: int
    rate: Expr
    weight: Expr

    def __post_init__(self):
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"Poisson input '{self.name}' needs a whole number of sources >= 1,"
                             f" got {self.n!r}")

    @property
    def id(self) -> str:
        return self.name

    def reads(self) -> set[str]:
        return {f"{self.pop}.{n}" for n in names(self.rate) | names(self.weight)}

    def writes(self) -> set[str]:
        return {f"{self.pop}.{self.var}"}

    def text(self) -> str:
        return (f"poisson {self.name} : {self.pop}.{self.var} n={self.n}"
                f" rate={{{to_text(self.rate)}}} weight={{{to_text(self.weight)}}}")
