"""IR nodes that compiling passes add: the parts of a merged population (`merge`), fused
update blocks (`fuse`), the order of a step (`schedule`) and the split over devices (`partition`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ._kinds import FusionBackend
from ._nodes import Node, PopSlice


@dataclass(frozen=True, slots=True)
class Part(Node):
    """A population that the `merge` pass merged into a larger one: its name now stands
    for the neurons `neurons` of that population.  What was monitored of it — its
    `spikes` (from the merged population's spike monitor), its `rate` (the counts of its
    segment of the merged rate monitor) and the variables in `traces` — is reported
    under its own name, so the merge stays invisible in results."""

    name: str
    neurons: PopSlice
    spikes: bool = False
    rate: bool = False
    traces: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.name

    def reads(self) -> set[str]:
        return {self.neurons.population}

    def text(self) -> str:
        records = (["spikes"] * self.spikes + ["rate"] * self.rate
                   + [f"state {v}" for v in self.traces])
        monitors = f" monitors=[{', '.join(records)}]" if records else ""
        return f"part {self.name} = {self.neurons.text()}{monitors}"


@dataclass(frozen=True, slots=True)
class FusedUpdate(Node):
    """One block that runs a population's state update, threshold and reset (`ops`, in this
    order) in a single pass over its neurons, made by the `fuse` pass.  `backend` says how:
    `native` generates one C loop for the block, `xla` leaves the ops to XLA's fusion.  `adds`
    names the projections that follow the block in the schedule whose spikes the native call
    adds itself, right after the update, in this order (see `block_add_problem` for which may)."""

    pop: str
    ops: tuple[str, ...]
    backend: FusionBackend = FusionBackend.NATIVE
    adds: tuple[str, ...] = ()

    def __post_init__(self):
        if self.backend not in list(FusionBackend):
            raise ValueError(f"a fused block runs on {' or '.join(FusionBackend)},"
                             f" got '{self.backend}'")
        if not self.ops:
            raise ValueError("a fused block needs at least one operation")

    @property
    def id(self) -> str:
        return f"{self.pop}.fused"

    def reads(self) -> set[str]:
        return set(self.ops)

    def text(self) -> str:
        adds = f" adds=[{', '.join(self.adds)}]" if self.adds else ""
        return f"fused {self.pop} [{', '.join(self.ops)}] backend={self.backend}{adds}"


@dataclass(frozen=True, slots=True)
class Schedule(Node):
    """The order in which one step runs the model's operations (ids)."""

    order: tuple[str, ...]

    @property
    def id(self) -> str:
        return "schedule"

    def text(self) -> str:
        return "schedule [" + ", ".join(self.order) + "]"


@dataclass(frozen=True, slots=True)
class Partition(Node):
    """The neurons of every population split over `devices` devices of a 1-D mesh: device d
    owns neurons `d*n <= i < (d+1)*n` of a population (`owned` gives n per population,
    `block(size, devices)`; the last blocks may run past the end, padding that never spikes)
    and the synapses onto them; the spikes are exchanged between devices every `exchange` steps."""

    devices: int
    exchange: int
    owned: tuple[tuple[str, int], ...]

    def __post_init__(self):
        if self.devices < 2 or self.exchange < 1:
            raise ValueError(f"a partition needs 2 or more devices and an exchange every step or"
                             f" more, got devices={self.devices}, exchange={self.exchange}")

    @property
    def id(self) -> str:
        return "partition"

    def neurons(self, pop: str) -> int:
        """The neurons of `pop` each device owns."""
        return dict(self.owned)[pop]

    @staticmethod
    def block(size: int, devices: int) -> int:
        """The neurons of a population of `size` each of `devices` devices owns: an equal
        share, the last one padded."""
        return -(-size // devices)

    def text(self) -> str:
        owned = ", ".join(f"{pop}:{n}" for pop, n in self.owned)
        return f"partition devices={self.devices} exchange={self.exchange} owned=[{owned}]"
