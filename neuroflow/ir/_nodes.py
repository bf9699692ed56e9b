"""IR node kinds: one small immutable class per kind of model entity.

Nodes are model-level (populations, variables, equations, events, projections, monitors), never
single neurons.  Each node has an `id` unique in its model, says which ids it reads and writes (the
graph's edges), and prints itself as one line (or one block) of the IR text.  Per-neuron data lives
in `Value`s: a number, a tuple of numbers, or a random distribution drawn at initialisation (for
synapses also an expression of the indices `i`, `j` and the neurons' values).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Union

from ._connectivity import ConnectivityRule
from ._errors import Loc
from ._expr import Expr, Statement, names, to_text
from ._kinds import BufferKind, FusionBackend, Kernel, Method
from ._random import Distribution
from ._types import Type

if TYPE_CHECKING:  # _synapses builds on this module
    from ._surrogates import Surrogate
    from ._synapses import Plasticity

# An expression is a value per synapse (weights of `i`, `j` and the neurons' values)
Value = Union[float, tuple, Distribution, Expr]


def value_text(value: Value) -> str:
    if isinstance(value, Distribution):
        return value.text()
    if isinstance(value, Expr):
        return f"{{{to_text(value)}}}"
    if isinstance(value, tuple):
        return "[" + ", ".join(repr(float(v)) for v in value) + "]"
    return repr(float(value))


def value_size(value: Value) -> int | None:
    """Number of entries of an explicit array value; None for scalars and distributions."""
    return len(value) if isinstance(value, tuple) else None


@dataclass(frozen=True, slots=True)
class Node:
    loc: Loc | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def id(self) -> str:
        raise NotImplementedError

    @property
    def scope(self) -> str | None:
        """The population whose names this node's expressions refer to."""
        return getattr(self, "pop", None)

    def reads(self) -> set[str]:
        """Ids this node reads (only those present in the model become edges)."""
        return set()

    def writes(self) -> set[str]:
        return set()

    def replace(self, **changes) -> "Node":
        return replace(self, **changes)


def _local(pop: str, found: set[str]) -> set[str]:
    return {f"{pop}.{n}" for n in found}


@dataclass(frozen=True, slots=True)
class Clock(Node):
    """The time step of the discrete model (ms), set when the model is compiled."""

    dt: float

    def __post_init__(self):
        if not self.dt > 0:
            raise ValueError(f"the time step must be positive, got {self.dt}")

    @property
    def id(self) -> str:
        return "clock"

    def text(self) -> str:
        return f"clock dt={self.dt!r}"


@dataclass(frozen=True, slots=True)
class Population(Node):
    """`options` configure the method (`rkf45(rtol=0.0, atol=0.001, events=1.0)`); `integrate`
    checks them against the method."""

    name: str
    size: int
    method: Method = Method.AUTO
    options: tuple[tuple[str, float], ...] = ()

    @property
    def id(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return self.name

    def text(self) -> str:
        text = f"population {self.name} size={self.size} method={self.method}"
        if self.options:
            text += "(" + ", ".join(f"{k}={float(v)!r}" for k, v in self.options) + ")"
        return text


@dataclass(frozen=True, slots=True)
class Declaration(Node):
    """A name of population `pop` that its expressions read, with its type."""

    pop: str
    name: str
    type: Type

    @property
    def id(self) -> str:
        return f"{self.pop}.{self.name}"


@dataclass(frozen=True, slots=True)
class Parameter(Declaration):
    value: Value

    def text(self) -> str:
        return f"param {self.id} : {self.type.text()} = {value_text(self.value)}"


@dataclass(frozen=True, slots=True)
class StateVar(Declaration):
    init: Value = 0.0

    def text(self) -> str:
        return f"state {self.id} : {self.type.text()} = {value_text(self.init)}"


@dataclass(frozen=True, slots=True)
class TimedInput(Declaration):
    """A value given per time bin, like Brian2's TimedArray: `values[k]` holds while
    `k*period <= t < (k+1)*period`, and the last one after the end.  `values` is flat,
    bin-major: one value per bin for a shared input, `size` values per bin otherwise."""

    period: float  # ms
    values: tuple

    @property
    def bins(self) -> int:
        per_bin = self.type.shape[0] if self.type.shape else 1
        return len(self.values) // per_bin

    def text(self) -> str:
        return (f"input {self.id} : {self.type.text()} period={self.period!r}"
                f" values={value_text(self.values)}")


@dataclass(frozen=True, slots=True)
class Subexpression(Declaration):
    """A named algebraic expression, recomputed wherever it is used."""

    expr: Expr

    def reads(self) -> set[str]:
        return _local(self.pop, names(self.expr))

    def text(self) -> str:
        return f"sub {self.id} : {self.type.text()} = {to_text(self.expr)}"


@dataclass(frozen=True, slots=True)
class ODE(Node):
    """`d var/dt = rhs`, integrated by the `integrate` pass."""

    pop: str
    var: str
    rhs: Expr
    unless_refractory: bool = False

    @property
    def id(self) -> str:
        return f"{self.pop}.d{self.var}/dt"

    def reads(self) -> set[str]:
        return _local(self.pop, names(self.rhs))

    def writes(self) -> set[str]:
        return {f"{self.pop}.{self.var}"}

    def text(self) -> str:
        flag = " unless refractory" if self.unless_refractory else ""
        return f"ode {self.pop}.{self.var} = {to_text(self.rhs)}{flag}"


@dataclass(frozen=True, slots=True)
class LinearSystem:
    """`x(t+dt) = exp(A dt) x + (∫exp(A s) ds) b` for the listed variables.

    The exact solution of `dx/dt = A x + b` over one step when A and b do not
    change within the step; the backend evaluates the matrix exponential.
    """

    targets: tuple[str, ...]
    matrix: tuple[tuple[Expr, ...], ...]
    offset: tuple[Expr, ...]

    def names(self) -> set[str]:
        entries = [e for row in self.matrix for e in row] + list(self.offset)
        return set(self.targets).union(*(names(e) for e in entries))

    def text(self) -> str:
        rows = "; ".join(", ".join(to_text(e) for e in row) for row in self.matrix)
        offset = ", ".join(to_text(e) for e in self.offset)
        return f"exact [{', '.join(self.targets)}] A=[{rows}] b=[{offset}]"


@dataclass(frozen=True, slots=True)
class StateUpdate(Node):
    """One discrete step of a population's ODEs, produced by `integrate`.

    `body` runs in order; names starting with `_` are temporaries, and writes to state variables
    take effect together at the end of the block, so every line reads the values from the start of
    the step.  Variables in `hold` keep their value while the neuron is refractory.
    """

    pop: str
    method: Method
    body: tuple[Statement | LinearSystem, ...]
    hold: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.pop}.update"

    def reads(self) -> set[str]:
        found: set[str] = set()
        for item in self.body:  # a statement, or a system (linear, adaptive) of several
            found |= names(item.expr) if isinstance(item, Statement) else item.names()
        return _local(self.pop, found)

    def writes(self) -> set[str]:
        found: set[str] = set()
        for item in self.body:
            found |= {item.target} if isinstance(item, Statement) else set(item.targets)
        return _local(self.pop, {n for n in found if not n.startswith("_")})

    def text(self) -> str:
        hold = f" hold=[{', '.join(self.hold)}]" if self.hold else ""
        lines = [f"update {self.pop} method={self.method}{hold} {{"]
        lines += [f"  {item.text()}" for item in self.body]
        lines.append("}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Threshold(Node):
    """A population's spike condition; `surrogate` is the smooth step whose slope gradients use
    (None: the default of the training runtime)."""

    pop: str
    cond: Expr
    surrogate: "Surrogate | None" = None

    @property
    def id(self) -> str:
        return f"{self.pop}.threshold"

    def reads(self) -> set[str]:
        return _local(self.pop, names(self.cond))

    def text(self) -> str:
        text = f"threshold {self.pop} : {to_text(self.cond)}"
        return text if self.surrogate is None else f"{text} surrogate={self.surrogate.text()}"


@dataclass(frozen=True, slots=True)
class Reset(Node):
    pop: str
    body: tuple[Statement, ...]

    @property
    def id(self) -> str:
        return f"{self.pop}.reset"

    def reads(self) -> set[str]:
        found: set[str] = {f"{self.pop}.threshold"}
        for s in self.body:
            found |= _local(self.pop, names(s.expr))
        return found

    def writes(self) -> set[str]:
        return _local(self.pop, {s.target for s in self.body})

    def text(self) -> str:
        return f"reset {self.pop} : " + "; ".join(s.text() for s in self.body)


@dataclass(frozen=True, slots=True)
class Refractory(Node):
    """Neurons stay refractory for `period` (ms) after a spike, counted in whole steps."""

    pop: str
    period: Expr

    @property
    def id(self) -> str:
        return f"{self.pop}.refractory"

    def reads(self) -> set[str]:
        return _local(self.pop, names(self.period)) | {f"{self.pop}.threshold"}

    def text(self) -> str:
        return f"refractory {self.pop} : {to_text(self.period)}"


@dataclass(frozen=True, slots=True)
class PopSlice:
    """Neurons `start <= i < stop` of one population (a view such as `P[:3200]`)."""

    population: str
    start: int
    stop: int

    def __post_init__(self):
        if not 0 <= self.start < self.stop:
            raise ValueError(f"empty or negative slice {self.population}[{self.start}:{self.stop}]")

    @property
    def size(self) -> int:
        return self.stop - self.start

    def text(self) -> str:
        return f"{self.population}[{self.start}:{self.stop}]"


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


@dataclass(frozen=True, slots=True)
class SpikeMonitor(Node):
    """Records the spikes of neurons `start <= i < stop` given by `neurons` (None: all of `pop`)."""

    pop: str
    neurons: tuple[int, int] | None = None

    @property
    def id(self) -> str:
        return f"{self.pop}.spike_monitor"

    def reads(self) -> set[str]:
        return {f"{self.pop}.threshold"}

    def text(self) -> str:
        if self.neurons is None:
            return f"monitor spikes {self.pop}"
        return f"monitor spikes {self.pop}[{self.neurons[0]}:{self.neurons[1]}]"


@dataclass(frozen=True, slots=True)
class RateMonitor(Node):
    """Counts the spikes of `pop` in each step.  Empty `bounds`: one count of the whole
    population; else one count per segment `bounds[j] <= i < bounds[j + 1]`, with
    `0 = bounds[0] < ... < bounds[-1] = size` (the parts of a merged population)."""

    pop: str
    bounds: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.pop}.rate_monitor"

    def reads(self) -> set[str]:
        return {f"{self.pop}.threshold"}

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


NODE_KINDS = (Clock, Population, Parameter, StateVar, TimedInput, Subexpression, ODE, StateUpdate,
              Threshold, Reset, Refractory, Projection, DelayBuffer, SpikeMonitor, RateMonitor,
              StateMonitor, Part, FusedUpdate, Schedule, Partition)
