"""IR nodes that record a population as it runs: its spikes, its rate and its variables."""
from __future__ import annotations

from dataclasses import dataclass

from ._nodes import Node


@dataclass(frozen=True, slots=True)
class _SpikesMonitor(Node):
    """A monitor of `pop`'s spikes: it reads what the population's threshold decided."""

    pop: str

    def reads(self) -> set[str]:
        return {f"{self.pop}.threshold"}


@dataclass(frozen=True, slots=True)
class SpikeMonitor(_SpikesMonitor):
    """Records the spikes of neurons `start <= i < stop` given by `neurons` (None: all of `pop`)."""

    neurons: tuple[int, int] | None = None

    @property
    def id(self) -> str:
        return f"{self.pop}.spike_monitor"

    def text(self) -> str:
        if self.neurons is None:
            return f"monitor spikes {self.pop}"
        return f"monitor spikes {self.pop}[{self.neurons[0]}:{self.neurons[1]}]"


@dataclass(frozen=True, slots=True)
class RateMonitor(_SpikesMonitor):
    """Counts the spikes of `pop` in each step.  Empty `bounds`: one count of the whole
    population; else one count per segment `bounds[j] <= i < bounds[j + 1]`, with
    `0 = bounds[0] < ... < bounds[-1] = size` (the parts of a merged population)."""

    bounds: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.pop}.rate_monitor"

    def text(self) -> str:
        bounds = f" bounds=[{', '.join(map(str, self.bounds))}]" if self.bounds else ""
        return f"monitor rate {self.pop}{bounds}"


@dataclass(frozen=True, slots=True)
class StateMonitor(Node):
    """Records `var` of the neurons `indices` at the start of every `every`-th step."""

    pop: str
    var: str
    indices: tuple[int, ...]
    every: int = 1

    @property
    def id(self) -> str:
        return f"{self.pop}.{self.var}.monitor"

    def reads(self) -> set[str]:
        return {f"{self.pop}.{self.var}"}

    def text(self) -> str:
        return (f"monitor state {self.pop}.{self.var} indices=[{', '.join(map(str, self.indices))}]"
                f" every={self.every}")
