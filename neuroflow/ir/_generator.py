"""Spike generators, as Brian2's `SpikeGeneratorGroup` and NEST's `spike_generator`: a
population whose spikes are given as a table of (time, neuron) pairs instead of a threshold."""
from __future__ import annotations

from dataclasses import dataclass

from ._nodes import Node

# A time t (ms) falls in step floor(t/dt + GRID_TOLERANCE), Brian2's `timestep`: a time on the
# grid, k*dt up to rounding, is step k; a time between grid points goes to the step holding it.
GRID_TOLERANCE = 1e-3


def spike_steps(node: "SpikeGenerator", dt: float) -> list[int]:
    """The step each entry of `node` falls in (the rule above), for the backends; a neuron
    spikes at most once in a step (as in Brian2), so two of its times in one step are refused."""
    steps = [int(t / dt + GRID_TOLERANCE) for t in node.times]
    seen = set()
    for step, index, time in zip(steps, node.indices, node.times):
        if (step, index) in seen:
            raise ValueError(f"neuron {index} of spike generator '{node.pop}' spikes twice in the"
                             f" step of {time!r} ms (dt = {dt!r} ms): at most once in a step")
        seen.add((step, index))
    return steps


@dataclass(frozen=True, slots=True)
class SpikeGenerator(Node):
    """Neuron `indices[k]` of `pop` spikes at `times[k]` (ms), once per entry; the entries are
    sorted by time, then by neuron.  It takes the place of a threshold: it runs in the
    thresholds' phase, and its spikes go wherever a threshold's would."""

    pop: str
    times: tuple[float, ...]
    indices: tuple[int, ...]

    def __post_init__(self):
        if len(self.times) != len(self.indices):
            raise ValueError(f"spike generator '{self.pop}' has {len(self.times)} times but"
                             f" {len(self.indices)} indices")
        if any(isinstance(i, bool) or not isinstance(i, int) for i in self.indices):
            raise ValueError(f"the indices of spike generator '{self.pop}' must be integers")

    @property
    def id(self) -> str:
        return f"{self.pop}.generator"

    def text(self) -> str:
        times = ", ".join(repr(float(t)) for t in self.times)
        indices = ", ".join(str(i) for i in self.indices)
        return f"generator {self.pop} times=[{times}] indices=[{indices}]"
