"""Plastic projections: variables and parameters per synapse, and the statements run
when a pre or a post neuron spikes (Brian2's `Synapses` with `on_pre` and `on_post`)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from ._connectivity import ConnectivityRule
from ._dimensions import DIMENSIONLESS
from ._errors import Loc
from ._expr import Expr, Statement, to_text
from ._kinds import Kernel
from ._nodes import PopSlice, Value, value_text
from ._projections import Projection
from ._types import Type


@dataclass(frozen=True, slots=True)
class SynapseVar:
    """A variable with one value per synapse.  With `decay` (the right-hand side of
    `d name/dt`, linear in `name`) it is event-driven, as in Brian2: it evolves only when
    an event touches the synapse, exactly, over the time since the synapse's last update."""

    name: str
    type: Type
    init: Value = 0.0
    decay: Expr | None = None

    def text(self) -> str:
        decay = f" event-driven {to_text(self.decay)}" if self.decay is not None else ""
        return f"var {self.name} : {self.type.text()} = {value_text(self.init)}{decay}"

    def replace(self, **changes) -> "SynapseVar":
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class SynapseParam:
    """A parameter of a projection's synapses, one value shared by all of them."""

    name: str
    type: Type
    value: float

    def text(self) -> str:
        return f"param {self.name} : {self.type.text()} = {value_text(self.value)}"


@dataclass(frozen=True, slots=True)
class Plasticity:
    """What makes a projection plastic: its synapse variables and parameters, the
    statements run for each synapse of a spiking pre neuron (`on_pre`) and of a spiking
    post neuron (`on_post`), in order.  A statement whose target is not a synapse
    variable adds to (`+=`, `-=`) that variable of the synapse's post neuron."""

    variables: tuple[SynapseVar, ...]
    params: tuple[SynapseParam, ...] = ()
    on_pre: tuple[Statement, ...] = ()
    on_post: tuple[Statement, ...] = ()

    def post_effects(self) -> tuple[Statement, ...]:
        """The statements of `on_pre` that add to a post variable."""
        own = {v.name for v in self.variables}
        return tuple(s for s in self.on_pre if s.target not in own)

    def text(self) -> list[str]:
        lines = [item.text() for item in self.variables + self.params]
        lines += [f"on_pre {s.text()}" for s in self.on_pre]
        lines += [f"on_post {s.text()}" for s in self.on_post]
        return lines


def plastic_projection(name: str, pre: PopSlice, post: PopSlice, rule: ConnectivityRule,
                       plasticity: Plasticity, delay: Value = 0.0, kernel: Kernel = Kernel.AUTO,
                       costs: tuple = (), loc: Loc | None = None) -> Projection:
    """A plastic projection; its `effect` is the first statement of `on_pre` on a post variable."""
    effects = plasticity.post_effects()
    if not effects:
        raise ValueError(f"plastic projection '{name}': on_pre adds to no variable of the post"
                         " population")
    return Projection(name, pre, post, rule, 0.0, Type("float", (), DIMENSIONLESS), effects[0],
                      delay, kernel, costs, plasticity, loc=loc)
