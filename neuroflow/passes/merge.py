"""`merge`: populations with identical dynamics become one population.

Requires: an integrated model (state updates, no ODEs), not yet fused or scheduled.
Guarantees: populations with the same dynamics are one population, whose name joins theirs
(`A_E_A_I` …, with `_2` added if that name is taken).  Each former population is a `Part` node,
`part A_I = A_E_A_I[800:1000]`, that keeps its name for results, parameter overrides and
checkpoints; projections' slices and state monitors' indices are shifted by the part's offset.  One
population means one fused block and one set of arrays per step.

Monitors stay as cheap as they were: the rate monitors of the parts become one rate monitor of the
merged population that counts each part apart (`monitor rate A_E_A_I bounds=[0, 800, 1000]`: one
count per part and step), and the spike monitors of the parts become one spike monitor that records
the neurons from the first part with a spike monitor to the last (`monitor spikes A_E_A_I[0:800]`),
not the whole merged population.  A part's rate is never counted from spikes: that would record
every spike of the parts that asked for a rate only.  Parts between two spike-monitored parts have
their spikes recorded too, and dropped; keep such a part apart (`exclude`) if that matters.

It runs after `integrate` so that it compares the discrete update that will run
(method included) rather than equations, and so that it can see the exact systems
whose matrix must stay shared (see below).

Same dynamics: the same method, state updates, subexpressions, threshold, reset and refractory
period (the same expressions), and the same state variables and parameters (names, dtypes and
units).  Values may differ between the parts: a parameter whose parts are one and the same shared
value stays shared; otherwise it becomes per neuron (the parts' values one after the other).  A
random distribution merges only with the same distribution (one draw then covers every part).  Among
populations with the same dynamics, each joins the first group it fits; a population fits a group
when
  - each of its distributions (parameters, initial values) equals the group's,
  - each parameter in the matrix of an exact linear system has the group's shared
    value (a matrix per neuron would cost a matrix exponential per neuron and step),
  - each variable it records with a state monitor is recorded every as many steps
    as in the group.
A population merges with no other when it
  - has timed inputs (their values are laid out per population),
  - uses the neuron index `i` or the size `N` (both would change meaning),
  - reads a variable in the past, `x(t - d)` (its history buffer is per population),
  - has a shared state variable, or a shared parameter drawn from a distribution
    (each population has its own value; merged, they would have one),
  - has a spike monitor of some of its neurons only, or a rate monitor with bounds
    (written in the IR text, not by the frontend).
`merge_plan(model)` lists the groups and, for every other population, why it stays alone.  Option:
`exclude` (populations left alone, joined by `+`, as in `merge{exclude=A_E+B_E}`).  Leaving `merge`
out of the pipeline switches it off.  Random draws (initial values, noise) may differ from the
unmerged model's: they come from the same seed, but in another order.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (ODE, Connection, Distribution, FusedUpdate, LinearSystem, Model, ModelError, Node,
                  Parameter, Part, PoissonInput, Population, PopSlice, RateMonitor,
                  Refractory, Reset, Schedule, SpikeGenerator, SpikeMonitor, StateMonitor,
                  StateUpdate, StateVar, Subexpression, Threshold, TimedInput, Type, Value,
                  delayed_reads, expressions, names)
from ._manager import excluded_populations, register_pass

DYNAMICS = (Subexpression, StateUpdate, Threshold, Reset, Refractory)  # equal in every part
VALUES = (Parameter, StateVar)  # may differ between parts
MONITORS = (SpikeMonitor, RateMonitor, StateMonitor)
INDEX_NAMES = {"i", "N"}
UNIFORM_NAMES = {"t", "dt", "True", "False"}  # built-ins with one value for all neurons


@dataclass(frozen=True)
class MergeOptions:
    exclude: str = ""  # populations left alone, joined by '+'


def _why_alone(model: Model, pop: str, delayed: set[str]) -> str | None:
    """Why `pop` merges with no other population, or None."""
    if model.find(TimedInput, pop):
        return "it has timed inputs"
    if model.find(PoissonInput, pop):
        return "it has Poisson input"
    if model.find(SpikeGenerator, pop):
        return "it is a spike generator"
    if pop in delayed:
        return "it reads a variable in the past"
    for var in model.find(StateVar, pop):
        if var.type.is_scalar:
            return f"its state variable '{var.name}' is shared"
    for par in model.find(Parameter, pop):
        if par.type.is_scalar and isinstance(par.value, Distribution):
            return f"its shared parameter '{par.name}' is drawn from a distribution"
    spikes, rate = model.one(SpikeMonitor, pop), model.one(RateMonitor, pop)
    if (spikes and spikes.neurons is not None) or (rate and rate.bounds):
        return ("its spike monitor records some of its neurons only, or its rate monitor counts"
                " segments")
    local = set(model.scope(pop))
    for node in model.nodes:  # projections into `pop` are evaluated in its scope too
        if node.scope == pop and any((names(e) - local) & INDEX_NAMES for e in expressions(node)):
            return "it uses the neuron index i or the size N"
    return None


def _kind(type_: Type) -> tuple:
    """A type without its shape: sizes differ between populations, and a shared value may
    join per-neuron ones (merged, they are per neuron)."""
    return type_.dtype, type_.dim


def _dynamics(model: Model, pop: str) -> tuple:
    """Everything that must be equal for populations to merge: all but values and size."""
    nodes = []
    for kind in DYNAMICS:
        for node in model.find(kind, pop):
            node = node.replace(pop="")
            if isinstance(node, Subexpression):  # a key only: its type without the shape
                node = node.replace(type=_kind(node.type))
            nodes.append(node)
    variables = frozenset((v.name,) + _kind(v.type) for v in model.find(StateVar, pop))
    params = frozenset((p.name,) + _kind(p.type) for p in model.find(Parameter, pop))
    population = model.population(pop)
    return (population.method, population.options), frozenset(nodes), variables, params


def matrix_names(model: Model, pop: str) -> set[str]:
    """The names the matrices of the exact linear systems of `pop` read."""
    update = model.one(StateUpdate, pop)
    found: set[str] = set()
    for item in update.body if update else ():
        if isinstance(item, LinearSystem):
            found |= set().union(*(names(e) for row in item.matrix for e in row))
    return found


def _values(model: Model, pop: str) -> dict[str, Node]:
    return {n.name: n for kind in VALUES for n in model.find(kind, pop)}


def _value(node: Node) -> Value:
    return node.value if isinstance(node, Parameter) else node.init


def _fits(model: Model, pop: str, other: str) -> bool:
    """Whether the values and monitors of two populations with the same dynamics can merge."""
    mine, theirs = _values(model, pop), _values(model, other)
    for name, node in mine.items():
        a, b = _value(node), _value(theirs[name])
        if (isinstance(a, Distribution) or isinstance(b, Distribution)) and a != b:
            return False
    parameters = {n for n, node in mine.items() if isinstance(node, Parameter)}
    for name in matrix_names(model, pop) & parameters:
        a, b = mine[name], theirs[name]
        if not (a.type.is_scalar and b.type.is_scalar and a.value == b.value):
            return False
    every = {m.var: m.every for m in model.find(StateMonitor, other)}
    return all(every.get(m.var, m.every) == m.every for m in model.find(StateMonitor, pop))


def merge_plan(model: Model,
               exclude: set[str] = frozenset()) -> tuple[list[list[str]], dict[str, str]]:
    """The groups of populations `merge` merges, in model order, and why each other population
    stays as it is (`{"P": "it uses the neuron index i or the size N"}`)."""
    delayed = {source.split(".")[0] for source in delayed_reads(model)}
    alone: dict[str, str] = {}
    alike: dict[tuple, list[list[str]]] = {}
    for population in model.populations:
        pop = population.name
        reason = ("merge{exclude=...} names it" if pop in exclude
                  else _why_alone(model, pop, delayed))
        if reason is not None:
            alone[pop] = reason
            continue
        groups = alike.setdefault(_dynamics(model, pop), [])
        group = next((g for g in groups if all(_fits(model, pop, member) for member in g)), None)
        if group is None:
            groups.append([pop])
        else:
            group.append(pop)
    for groups in alike.values():
        reason = ("no other population has the same dynamics" if len(groups) == 1 else
                  "its distributions, exact-system parameters or monitor steps differ from those"
                  " of the populations with the same dynamics")
        alone.update({group[0]: reason for group in groups if len(group) == 1})
    found = [g for groups in alike.values() for g in groups if len(g) > 1]
    order = [p.name for p in model.populations]
    return (sorted(found, key=lambda g: order.index(g[0])),
            {p: alone[p] for p in order if p in alone})


def _merged_name(group: list[str], taken: set[str]) -> str:
    base = "_".join(group) if len(group) <= 4 else f"{group[0]}_and_{len(group) - 1}_more"
    name, count = base, 1
    while name in taken:
        count += 1
        name = f"{base}_{count}"
    taken.add(name)
    return name


def _merged_value(nodes: list[Node], sizes: list[int]) -> tuple[bool, Value]:
    """`(shared, value)` of one variable or parameter over the parts, in part order."""
    values = [_value(n) for n in nodes]
    first = values[0]
    if not isinstance(first, tuple) and all(type(v) is type(first) and v == first for v in values):
        return all(n.type.is_scalar for n in nodes), first  # one number or one distribution for all
    flat: list[float] = []
    for value, size in zip(values, sizes):
        flat.extend(value if isinstance(value, tuple) else (float(value),) * size)
    return False, tuple(flat)


class _Merger:
    """Rebuilds the model with each group as one population, node by node, in place."""

    def __init__(self, model: Model, groups: list[list[str]]):
        self.model = model
        taken = {n.id for n in model.nodes}
        self.name: dict[str, str] = {}  # part -> merged population
        self.offset: dict[str, int] = {}
        self.members: dict[str, list[str]] = {}  # merged population -> its parts
        for group in groups:
            name = _merged_name(group, taken)
            self.members[name] = group
            offset = 0
            for pop in group:
                self.name[pop], self.offset[pop] = name, offset
                offset += model.population(pop).size
        self.done: set[str] = set()  # ids of merged nodes already placed
        self.shared_subs: dict[str, set[str]] = {}

    def run(self) -> Model:
        nodes = [new for node in self.model.nodes for new in self.rewrite(node)]
        return self.model.with_nodes(nodes)

    def rewrite(self, node: Node) -> list[Node]:
        if isinstance(node, Connection):
            return [node.replace(pre=self.shifted(node.pre), post=self.shifted(node.post))]
        pop = node.name if isinstance(node, Population) else getattr(node, "pop", None)
        if pop not in self.name:
            return [node]
        merged = self.name[pop]
        if isinstance(node, Population):
            whole = Population(merged, self.size(merged), node.method, node.options, loc=node.loc)
            return ([whole] if self.first(merged) else []) + [self.part(node)]
        if isinstance(node, MONITORS):
            return self.monitor(node, merged)
        if isinstance(node, VALUES):
            return [self.values(node, merged)] if self.first(f"{merged}.{node.name}") else []
        if isinstance(node, DYNAMICS):
            moved = node.replace(pop=merged)
            if isinstance(node, Subexpression):
                shared = node.name in self.shared_subexpressions(merged)
                size = () if shared else (self.size(merged),)
                moved = moved.replace(type=Type(node.type.dtype, size, node.type.dim))
            return [moved] if self.first(moved.id) else []
        raise ModelError(f"merge cannot move '{node.id}' into the merged population '{merged}'",
                         hint="run merge right after integrate, or exclude this population:"
                              " merge{exclude=...}")

    def first(self, node_id: str) -> bool:
        """Whether merged node `node_id` is still to be placed (where its first part's was)."""
        if node_id in self.done:
            return False
        self.done.add(node_id)
        return True

    def shared_subexpressions(self, merged: str) -> set[str]:
        """Subexpressions with one value for all neurons: shared in every part, and reading
        nothing that is per neuron once merged (a parameter whose parts differ becomes so)."""
        if merged in self.shared_subs:
            return self.shared_subs[merged]
        parts = self.members[merged]
        shared = {name for name, node in _values(self.model, parts[0]).items()
                  if isinstance(node, Parameter) and self.values(node, merged).type.is_scalar}
        for sub in self.model.subexpressions_in_order(parts[0]):
            alike = [self.model.get(f"{p}.{sub.name}") for p in parts]
            if all(s.type.is_scalar for s in alike) and names(sub.expr) <= shared | UNIFORM_NAMES:
                shared.add(sub.name)
        self.shared_subs[merged] = shared
        return shared

    def size(self, merged: str) -> int:
        return sum(self.model.population(p).size for p in self.members[merged])

    def shifted(self, view: PopSlice) -> PopSlice:
        if view.population not in self.name:
            return view
        offset = self.offset[view.population]
        return PopSlice(self.name[view.population], view.start + offset, view.stop + offset)

    def part(self, node: Population) -> Part:
        pop, start = node.name, self.offset[node.name]
        return Part(pop, PopSlice(self.name[pop], start, start + node.size),
                    spikes=self.model.one(SpikeMonitor, pop) is not None,
                    rate=self.model.one(RateMonitor, pop) is not None,
                    traces=tuple(m.var for m in self.model.find(StateMonitor, pop)))

    def values(self, node: Parameter | StateVar, merged: str) -> Node:
        parts = self.members[merged]
        nodes = [self.model.get(f"{p}.{node.name}") for p in parts]
        shared, value = _merged_value(nodes, [self.model.population(p).size for p in parts])
        type_ = Type(node.type.dtype, () if shared else (self.size(merged),), node.type.dim)
        if isinstance(node, Parameter):
            return node.replace(pop=merged, type=type_, value=value)
        return node.replace(pop=merged, type=type_, init=value)

    def monitor(self, node: Node, merged: str) -> list[Node]:
        if isinstance(node, SpikeMonitor):
            placed = self.first(f"{merged}.spike_monitor")
            return [self.spike_monitor(merged, node)] if placed else []
        if isinstance(node, RateMonitor):
            return [self.rate_monitor(merged, node)] if self.first(f"{merged}.rate_monitor") else []
        if not self.first(f"{merged}.{node.var}.monitor"):
            return []
        indices = tuple(self.offset[p] + i for p in self.members[merged]
                        for m in self.model.find(StateMonitor, p) if m.var == node.var
                        for i in m.indices)
        return [StateMonitor(merged, node.var, indices, node.every, loc=node.loc)]

    def spike_monitor(self, merged: str, first: SpikeMonitor) -> SpikeMonitor:
        """Records the neurons from the first part with a spike monitor to the last."""
        parts = [p for p in self.members[merged] if self.model.one(SpikeMonitor, p)]
        last = parts[-1]
        start, stop = self.offset[parts[0]], self.offset[last] + self.model.population(last).size
        neurons = None if (start, stop) == (0, self.size(merged)) else (start, stop)
        return SpikeMonitor(merged, neurons, loc=first.loc)

    def rate_monitor(self, merged: str, first: RateMonitor) -> RateMonitor:
        """Counts each part apart: the bounds are every part's boundaries."""
        ends = tuple(self.offset[p] + self.model.population(p).size for p in self.members[merged])
        return RateMonitor(merged, (0,) + ends, loc=first.loc)


def _check_position(model: Model) -> None:
    if model.find(ODE):
        raise ModelError("merge needs an integrated model (state updates, not ODEs)",
                         hint="put merge after integrate: resolve,canonicalize,factorize,"
                              "integrate,merge,delays,kernels,fuse,schedule")
    if model.find(FusedUpdate) or isinstance(model.get("schedule"), Schedule):
        raise ModelError("merge runs before fuse and schedule",
                         hint="put merge right after integrate")


@register_pass("merge", MergeOptions)
def merge(model: Model, options: MergeOptions) -> Model:
    if model.find(Part):
        return model  # already merged: the pass is idempotent
    excluded = excluded_populations(model, options.exclude, "merge")
    _check_position(model)
    groups, _ = merge_plan(model, excluded)
    return _Merger(model, groups).run() if groups else model
