"""IR node kinds: one small immutable class per kind of model entity.

Nodes are model-level (populations, variables, equations, events, projections, monitors), never
single neurons.  Each node has an `id` unique in its model, says which ids it reads and writes (the
graph's edges), and prints itself as one line (or one block) of the IR text.  Per-neuron data lives
in `Value`s: a number, a tuple of numbers, or a random distribution drawn at initialisation (for
synapses also an expression of the indices `i`, `j` and the neurons' values).

This module holds the base `Node` and the neuron side: the clock, populations, their declarations,
equations and events, and slices of them.  Projections and delay buffers are in `_projections`,
monitors in `_monitors`, and the nodes that compiling passes add in `_compiled`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Union

from ._errors import Loc
from ._expr import Expr, Statement, names, to_text
from ._kinds import Method
from ._random import Distribution
from ._types import Type

if TYPE_CHECKING:
    from ._surrogates import Surrogate

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
