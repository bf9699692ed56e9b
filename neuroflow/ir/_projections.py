"""IR nodes of the synapses between populations: `Connection`, what every kind of synapses has,
`Projection`, synapses that carry spikes, and `DelayBuffer`, the ring of past steps that delayed
spikes and values are read from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._connectivity import ConnectivityRule
from ._expr import Statement, names
from ._kinds import BufferKind, Kernel
from ._nodes import Node, PopSlice, Value, _local, value_text
from ._types import Type

if TYPE_CHECKING:  # _synapses builds on this module
    from ._synapses import Plasticity


@dataclass(frozen=True, slots=True)
class Connection(Node):
    """What synapses from `pre` to `post` have, whatever they carry: a name, a rule that draws
    them, and the weight `w` of each (of dimension `weight_type.dim`).  Their expressions are
    the post population's."""

    name: str
    pre: PopSlice
    post: PopSlice
    rule: ConnectivityRule
    weight: Value
    weight_type: Type
    # the device kind (cpu, gpu, tpu) its kernel's costs were predicted for, by `kernels`
    cost_device: str = field(default="", kw_only=True)

    @property
    def id(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return self.post.population


def costs_text(costs: tuple[tuple[str, float], ...], device: str = "") -> str:
    """` costs@cpu=[dense:4.2, ...]`, the kernels' predicted µs per step on a kind of device;
    empty without them."""
    if not costs:
        return ""
    where = f"@{device}" if device else ""
    listed = ", ".join(f"{k}:{v!r}" for k, v in costs)
    return f" costs{where}=[{listed}]"


@dataclass(frozen=True, slots=True)
class Projection(Connection):
    """Synapses that carry spikes: each spike of a pre neuron runs `effect` on its targets.

    A plastic projection (`plasticity` set) keeps state per synapse; its `effect` is
    the first post effect of its `on_pre`, and `weight` is unused (0.0)."""

    effect: Statement
    delay: Value = 0.0  # ms: one for all synapses, one per synapse, or a distribution
    kernel: Kernel = Kernel.AUTO
    # predicted µs per step of each kernel, by the `kernels` pass
    costs: tuple[tuple[str, float], ...] = ()
    plasticity: Plasticity | None = None

    def reads(self) -> set[str]:
        pre = {f"{self.pre.population}.threshold"}
        if self.plasticity is not None:  # synapse names, and the neurons' as `v_post`, `x_pre`
            read = set().union(*(names(s.expr) for s in self.plasticity.on_pre
                                 + self.plasticity.on_post))
            return pre | {f"{self.post.population}.threshold"} | {
                f"{view.population}.{n[:-len(suffix)]}" for suffix, view in
                (("_pre", self.pre), ("_post", self.post)) for n in read if n.endswith(suffix)}
        return pre | _local(self.post.population, names(self.effect.expr) - {"w"})

    def writes(self) -> set[str]:
        if self.plasticity is not None:
            return {f"{self.post.population}.{s.target}" for s in self.plasticity.post_effects()}
        return {f"{self.post.population}.{self.effect.target}"}

    def text(self) -> str:
        tail = (f"delay={value_text(self.delay)} kernel={self.kernel}"
                f"{costs_text(self.costs, self.cost_device)}")
        head = (f"projection {self.name} : {self.pre.text()} -> {self.post.text()}"
                f" connect={self.rule.text()}")
        if self.plasticity is not None:
            lines = [f"{head} {tail} {{"] + [f"  {line}" for line in self.plasticity.text()]
            return "\n".join(lines + ["}"])
        return (f"{head} w:{self.weight_type.text()}={value_text(self.weight)}"
                f" on_pre={{{self.effect.text()}}} {tail}")

    @property
    def heterogeneous_delay(self) -> bool:
        return not isinstance(self.delay, float)


@dataclass(frozen=True, slots=True)
class DelayBuffer(Node):
    """A ring buffer of whole steps, made by the `delays` pass.

    For a projection (`source` is its name): `spikes` holds the pre population's spikes
    of the last `steps` steps (one delay for every synapse); `input` holds what each post
    neuron will receive in the next `steps` steps (one delay per synapse, at most `steps`;
    the delays are arguments of the step, so they can change between runs).  For a population
    (`source` is its name, `readers` not empty): `spikes` holds all its neurons' spikes of the
    last `steps` steps, shared by the projections in `readers` (name, delay in whole steps, at
    most `steps`): one ring written once a step instead of one per projection.  For a state
    variable read in the past, as in `x(t - tau)` (`source` is `pop.var`): `history`
    holds its values of the last `steps` steps, read with linear interpolation."""

    source: str
    kind: BufferKind
    steps: int
    readers: tuple[tuple[str, int], ...] = ()

    def __post_init__(self):
        if self.kind not in list(BufferKind) or self.steps < 1:
            raise ValueError(f"a delay buffer holds {', '.join(BufferKind)} over at least one step,"
                             f" got {self.kind} over {self.steps}")
        if self.readers and (self.kind != BufferKind.SPIKES
                             or any(not 1 <= steps <= self.steps for _, steps in self.readers)):
            raise ValueError(f"only a spikes buffer has readers, each delayed by 1 to {self.steps}"
                             f" steps, got {self.kind} read by {list(self.readers)}")

    @property
    def id(self) -> str:
        return f"{self.source}.buffer"

    def reads(self) -> set[str]:
        return {self.source} | {name for name, _ in self.readers}

    def text(self) -> str:
        readers = (" readers=[" + ", ".join(f"{name}:{steps}" for name, steps in self.readers)
                   + "]") if self.readers else ""
        return f"buffer {self.source} kind={self.kind} steps={self.steps}{readers}"
