"""The syntax tree of a `.nfl` file: small frozen records that keep where each piece was written.

`_dsl_parse.py` builds these from Lark's parse tree; `_dsl_compose.py` and `_dsl_network.py`
turn them into builder calls.  Every record has a `loc` (file, line, column and the file's
text), so that any later error can point into the file.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Dimension, Expr, Loc, Surrogate
from ._equations import EquationLine


@dataclass(frozen=True, slots=True)
class Name:
    """A name as written, possibly dotted (`Na.I`, `left.E`)."""

    text: str
    loc: Loc

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.text.split("."))


@dataclass(frozen=True, slots=True)
class Code:
    """An expression as written: its tree and every name it uses, each with its location."""

    expr: Expr
    uses: tuple[Name, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Array:
    """`[1, 2, 3]` or nested `[[1, 2], [3, 4]]`; items are expressions or arrays."""

    items: tuple
    loc: Loc


@dataclass(frozen=True, slots=True)
class ArrayValue:
    """An array literal, optionally scaled by a unit: `[0, 10, 20]*mV`; `uses` holds the
    names of the items and of the scale."""

    array: Array
    scale: Expr | None
    uses: tuple[Name, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class FileValue:
    """`load("values.npy")*nA`: an array read from a `.npy` file next to the model file."""

    path: str
    scale: Expr | None
    uses: tuple[Name, ...]
    loc: Loc


Value = Code | ArrayValue | FileValue


# ---- components -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Parameter:
    """`tau : second = 20*ms`, `tau = 20*ms` or `tau : second` (a value must come from an
    override)."""

    name: Name
    dim: Dimension | None
    default: Value | None
    loc: Loc


@dataclass(frozen=True, slots=True)
class Equation:
    """One of Brian2's equation lines, with the names its expression uses."""

    line: EquationLine
    uses: tuple[Name, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Assignment:
    """`v = -65*mV` in an `initial` block, or `g = 1*nS` as an override."""

    target: Name
    value: Value
    loc: Loc


@dataclass(frozen=True, slots=True)
class EventStatement:
    """`v = Vr` in a reset, `ge += w` in an `on_pre`."""

    target: Name
    op: str
    value: Code
    loc: Loc


@dataclass(frozen=True, slots=True)
class Part:
    """`Na = NaChannel(gbar = 120*mS/cm2)`: a sub-component, its names prefixed with `Na_`."""

    name: Name
    component: Name
    overrides: tuple[Assignment, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Component:
    kind: str  # "neuron", "channel" or "synapse" ("Poisson group" names a group's stand-in)
    name: Name
    parameters: tuple[Parameter, ...]
    equations: tuple[Equation, ...]
    initial: tuple[Assignment, ...]
    threshold: Code | None
    reset: tuple[EventStatement, ...] | None
    refractory: Code | None
    method: Name | None
    parts: tuple[Part, ...]
    loc: Loc
    on_pre: tuple[EventStatement, ...] | None = None  # a synapse's, run in order at a pre spike
    on_post: tuple[EventStatement, ...] | None = None  # a synapse's, run in order at a post spike
    surrogate: Surrogate | None = None  # a neuron's threshold's, for gradients


# ---- networks ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    stop: int | None
    loc: Loc


@dataclass(frozen=True, slots=True)
class PopRef:
    """`P`, `P[0:3200]`, `left.E` or a view's name."""

    name: Name
    slice: Slice | None
    loc: Loc


@dataclass(frozen=True, slots=True)
class Population:
    name: Name
    size: int
    component: Name
    overrides: tuple[Assignment, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class PoissonGroup:
    """`population In[1000] = poisson(rate = 15*Hz)`: neurons that each spike with probability
    rate*dt in every step (Brian2's PoissonGroup)."""

    name: Name
    size: int
    args: tuple[Assignment, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class SpikeGenerator:
    """`population S = spike_generator(times = [1, 2]*ms, indices = [0, 1])`: neurons that spike
    at given times (Brian2's SpikeGeneratorGroup); `size` is None where it is not written."""

    name: Name
    size: int | None
    args: tuple[Assignment, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class View:
    name: Name
    ref: PopRef
    loc: Loc


@dataclass(frozen=True, slots=True)
class Subnetwork:
    """`left = EINet()`: the populations of `EINet`, named `left_E` …"""

    name: Name
    network: Name
    loc: Loc


@dataclass(frozen=True, slots=True)
class SynapseUse:
    """`synapse: STDP(wmax = 0.01)`: the synapse model of a projection, with overrides."""

    component: Name
    overrides: tuple[Assignment, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Projection:
    name: Name | None
    pre: PopRef
    post: PopRef
    on_pre: tuple[EventStatement, ...] | None
    connect: Code | None
    weights: Value | None
    delay: Value | None
    kernel: Name | None
    loc: Loc
    synapse: SynapseUse | None = None
    initial: tuple[Assignment, ...] = ()


@dataclass(frozen=True, slots=True)
class Input:
    """`input P.I_ext = [0, 1, 0]*nA every 100*ms`: a timed input (one row per period)."""

    target: Name
    values: Value
    period: Code
    loc: Loc


@dataclass(frozen=True, slots=True)
class PoissonInput:
    """`input P.v = poisson(N = 1000, rate = 6*Hz, weight = 0.1*mV)`: N Poisson sources onto
    each neuron of P, each spike adding `weight` to `v` (Brian2's PoissonInput)."""

    target: Name
    args: tuple[Assignment, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Monitor:
    kind: str  # "spikes", "rate" or "state"
    target: PopRef | Name  # a population for spikes and rates, `P.v` for a state
    indices: tuple[int, ...] | Slice | None
    every: int
    loc: Loc


NetworkItem = (Population | PoissonGroup | SpikeGenerator | View | Subnetwork | Projection | Input
               | PoissonInput | Monitor)


@dataclass(frozen=True, slots=True)
class Network:
    name: Name
    items: tuple[NetworkItem, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Setting:
    name: Name
    value: Value
    loc: Loc


@dataclass(frozen=True, slots=True)
class Run:
    network: Name | None
    settings: tuple[Setting, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    loc: Loc


Declaration = Import | Component | Network | Run


@dataclass(frozen=True, slots=True)
class File:
    origin: str
    declarations: tuple[Declaration, ...]
