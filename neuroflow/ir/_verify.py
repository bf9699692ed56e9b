"""`verify(model)`: the invariants every well-formed IR holds, before and after any pass.

Each check raises `IRError` naming the node and showing its IR text.  The
pass manager runs `verify` after every pass when asked to (always in tests).

This module drives the checks, one rule per node type, and holds those of the neuron side; the
synapse side's are in `_verifysynapses`, those of the nodes compiling passes add in
`_verifycompiled`, and what they all build on in `_verifybase`.
"""
from __future__ import annotations

from typing import Callable

from ._adaptive import AdaptiveSystem
from ._algebra import is_zero
from ._compiled import FusedUpdate, Part, Partition, Schedule
from ._coupling import Coupling
from ._errors import IRError, ModelError
from ._expr import Const, names, to_text
from ._generator import SpikeGenerator
from ._model import Model
from ._monitors import RateMonitor, SpikeMonitor, StateMonitor
from ._nodes import (ODE, Clock, LinearSystem, Node, Parameter, Population, Refractory, Reset,
                     StateUpdate, StateVar, Subexpression, Threshold, TimedInput, value_size)
from ._poisson import PoissonInput
from ._projections import DelayBuffer, Projection
from ._surrogates import MARGIN, threshold_margin
from ._typecheck import Kind
from ._verifybase import check_assignment, check_expr, fail, time_dimension
from ._verifycompiled import (check_delay_buffer, check_fused, check_part, check_partition,
                              check_parts_tile, check_schedule)
from ._verifysynapses import check_coupling, check_generator, check_poisson, check_projection


def _check_population_refs(node: Node, model: Model) -> None:
    pop = getattr(node, "pop", None)
    if pop is not None and model.population(pop) is None:
        fail(node, f"refers to unknown population '{pop}'")


def _check_clock(node: Clock, model: Model) -> None:
    """Nothing to check against the model: a clock refuses a step that is not positive when made."""


def _check_population(node: Population, model: Model) -> None:
    if node.size < 1:
        fail(node, f"population size must be positive, got {node.size}")


def _check_values(node: Parameter | StateVar, model: Model) -> None:
    """Shared or per neuron, with as many explicit values as the shape says."""
    pop = model.population(node.pop)
    if node.type.shape not in ((), (pop.size,)):
        fail(node, f"shape {node.type.shape} is neither shared () nor per neuron ({pop.size},)")
    size = value_size(node.value if isinstance(node, Parameter) else node.init)
    if size is not None and (size,) != node.type.shape:
        fail(node, f"has {size} values for shape {node.type.shape}")


def _check_input(node: TimedInput, model: Model) -> None:
    per_bin = node.type.shape[0] if node.type.shape else 1
    if node.type.shape not in ((), (model.population(node.pop).size,)) or node.period <= 0:
        fail(node, "an input is shared or per neuron, with a positive period")
    if not node.values or len(node.values) % per_bin:
        fail(node, f"has {len(node.values)} values, not a whole number of bins of {per_bin}")


def _check_subexpression(node: Subexpression, model: Model) -> None:
    kind = check_expr(node, model, node.expr)
    if kind.dim != node.type.dim:
        fail(node, f"expression is in {kind.dim} but the declared unit is {node.type.dim}")
    if node.name in names(node.expr):
        fail(node, f"subexpression '{node.name}' refers to itself", culprit=node.name)


def _check_ode(node: ODE, model: Model) -> None:
    var = model.scope(node.pop).get(node.var)
    if not isinstance(var, StateVar):
        fail(node, f"'{node.var}' is not a state variable of {node.pop}", culprit=node.var)
    kind = check_expr(node, model, node.rhs)
    if kind.dim != var.type.dim / time_dimension(model):
        fail(node, f"the right-hand side of d{node.var}/dt is in {kind.dim}, but {node.var} is in"
              f" {var.type.dim}, so it must be in {var.type.dim / time_dimension(model)}",
              "check the units of the equation, e.g. divide by a time constant",
              to_text(node.rhs))
    if node.unless_refractory and model.one(Refractory, node.pop) is None:
        fail(node, "is '(unless refractory)' but the population has no refractory period")


def _check_threshold(node: Threshold, model: Model) -> None:
    if check_expr(node, model, node.cond).dtype != "bool":
        fail(node, "threshold must be a condition",
              "compare the variable with the value it spikes at, e.g. v > Vt")
    if node.surrogate is None:
        return
    if threshold_margin(node.cond) is None:
        fail(node, "has a surrogate, but its condition is not one comparison (a > b)",
              "write the threshold as one comparison, e.g. v > Vt")
    if names(node.surrogate.smooth) != {MARGIN}:
        fail(node, f"surrogate {node.surrogate.text()} must be an expression of {MARGIN} alone")


def _check_reset(node: Reset, model: Model) -> None:
    for s in node.body:
        check_assignment(node, model, s.target, s.as_assignment())


def _check_refractory(node: Refractory, model: Model) -> None:
    if check_expr(node, model, node.period).dim != time_dimension(model):
        fail(node, "refractory period must be a time")
    if isinstance(node.period, Const) and node.period.value < 0:
        fail(node, f"refractory period must not be negative, got {node.period.value} ms")


def _check_state_monitor(node: StateMonitor, model: Model) -> None:
    if model.scope(node.pop).get(node.var) is None:
        fail(node, f"monitors unknown variable '{node.var}' of {node.pop}")
    size = model.population(node.pop).size
    if any(not 0 <= i < size for i in node.indices) or node.every < 1:
        fail(node, f"indices must lie in [0, {size}) and every >= 1")


def _check_spikes(node: SpikeMonitor | RateMonitor, model: Model, what: str) -> None:
    if model.one(Threshold, node.pop) is None and model.one(SpikeGenerator, node.pop) is None:
        fail(node, f"records the {what} of '{node.pop}', which has no threshold and never spikes",
              "give its neuron a threshold ('threshold: v > Vt'), or monitor a variable")


def _check_spike_monitor(node: SpikeMonitor, model: Model) -> None:
    _check_spikes(node, model, "spikes")
    if node.neurons is not None:
        start, stop = node.neurons
        size = model.population(node.pop).size
        if not 0 <= start < stop <= size:
            fail(node, f"records neurons [{start}:{stop}], which is not a slice of [0:{size}]",
                  f"give 0 <= start < stop <= {size}, the size of '{node.pop}'")


def _check_rate_monitor(node: RateMonitor, model: Model) -> None:
    _check_spikes(node, model, "rate")
    bounds, size = node.bounds, model.population(node.pop).size
    increasing = all(a < b for a, b in zip(bounds, bounds[1:]))
    if bounds and (bounds[0] != 0 or bounds[-1] != size or not increasing):
        fail(node, f"bounds {list(bounds)} do not split the population into segments",
              f"give increasing offsets that start at 0 and end at {size}, the size of"
              f" '{node.pop}'")


def _check_update(node: StateUpdate, model: Model) -> None:
    temporaries: dict[str, Kind] = {}
    for item in node.body:
        if isinstance(item, LinearSystem):
            _check_linear_system(node, model, item, temporaries)
            continue
        if isinstance(item, AdaptiveSystem):
            _check_adaptive_system(node, model, item, temporaries)
            continue
        if item.target.startswith("_"):
            temporaries[item.target] = check_expr(node, model, item.expr, temporaries)
        else:
            check_assignment(node, model, item.target, item.expr, temporaries)
    for var in node.hold:
        if not isinstance(model.scope(node.pop).get(var), StateVar):
            fail(node, f"holds '{var}', which is not a state variable")


def _check_adaptive_system(node: StateUpdate, model: Model, item: AdaptiveSystem,
                           temporaries: dict) -> None:
    """State variables of the population, each right-hand side in its variable's units per time;
    events inside the step need a threshold to test."""
    scope = model.scope(node.pop)
    if item.events and model.one(Threshold, node.pop) is None:
        fail(node, "tests its threshold after each sub-step (events), but has no threshold")
    for target, rhs in zip(item.targets, item.rhs):
        var = scope.get(target)
        if not isinstance(var, StateVar):
            fail(node, f"adaptive system integrates '{target}', which is not a state variable of"
                  f" {node.pop}")
        kind = check_expr(node, model, rhs, temporaries)
        if kind.dim != var.type.dim / time_dimension(model):
            fail(node, f"the right-hand side of '{target}' is in {kind.dim}, not in"
                  f" {var.type.dim / time_dimension(model)}")


def _check_linear_system(node: StateUpdate, model: Model, item: LinearSystem,
                         temporaries: dict) -> None:
    n = len(item.targets)
    if len(item.matrix) != n or any(len(r) != n for r in item.matrix) or len(item.offset) != n:
        fail(node, f"exact system over {n} variables needs an {n}x{n} matrix and {n} offsets")
    scope = model.scope(node.pop)
    for target in item.targets:
        if not isinstance(scope.get(target), StateVar):
            fail(node, f"exact system integrates '{target}', which is not a state variable of"
                  f" {node.pop}")
    variables = [scope[target] for target in item.targets]
    for i, row in enumerate(item.matrix):
        rate = variables[i].type.dim / time_dimension(model)
        # A[i][j]*x_j and b_i have the units of dx_i/dt; a zero entry couples nothing, has no units
        entries = [(f"matrix entry ({i}, {j})", e, rate / variables[j].type.dim)
                   for j, e in enumerate(row)] + [(f"offset {i}", item.offset[i], rate)]
        for what, entry, expected in entries:
            dim = check_expr(node, model, entry, temporaries).dim
            if dim != expected and not is_zero(entry):
                fail(node, f"{what} of the exact system is in {dim}, expected {expected}")


# One rule per node type, as the JAX backend has one lowering per node type: a new node type
# brings its invariants here as one entry, and `verify` refuses a node whose type has none.
_CHECKS: dict[type, Callable[[Node, Model], None]] = {
    Clock: _check_clock, Population: _check_population,
    Parameter: _check_values, StateVar: _check_values, TimedInput: _check_input,
    Subexpression: _check_subexpression, ODE: _check_ode, StateUpdate: _check_update,
    Threshold: _check_threshold, Reset: _check_reset, Refractory: _check_refractory,
    Projection: check_projection, Coupling: check_coupling, DelayBuffer: check_delay_buffer,
    PoissonInput: check_poisson, SpikeGenerator: check_generator, Part: check_part,
    SpikeMonitor: _check_spike_monitor, RateMonitor: _check_rate_monitor,
    StateMonitor: _check_state_monitor, FusedUpdate: check_fused, Schedule: check_schedule,
    Partition: check_partition,
}


def verify(model: Model) -> Model:
    """Check the invariants of `model`; return it unchanged so calls can be chained."""
    found = problems(model, first_only=True)
    if found:
        raise found[0]
    return model


def problems(model: Model, first_only: bool = False) -> list[IRError]:
    """The invariants `model` breaks, at most one error per node, so that a model with several
    independent mistakes has them all reported at once."""
    found: list[IRError] = []

    def attempt(check: Callable[[], None]) -> bool:
        try:
            check()
        except IRError as err:
            found.append(err)
        return bool(found) and first_only

    seen: dict[str, Node] = {}
    for node in model.nodes:
        if node.id in seen and attempt(lambda: fail(node, "duplicate id: two nodes claim it")):
            return found
        seen[node.id] = node
    writers: dict[str, str] = {}  # state variable -> the ODE or update that integrates it
    for node in model.nodes:
        if attempt(lambda: _check_node(node, model, writers)):
            return found
    if attempt(lambda: check_parts_tile(model)):
        return found
    for pop in model.populations:
        if attempt(lambda: _check_cycles(pop.name, model)):
            return found
    return found


def model_errors(model: Model) -> list[ModelError]:
    """`problems(model)` reported as the user's mistakes, in the model's terms (no node ids)."""
    return [ModelError(getattr(err, "detail", err.message), err.loc, err.hint)
            for err in problems(model)]


def _check_node(node: Node, model: Model, writers: dict[str, str]) -> None:
    check = _CHECKS.get(type(node))
    if check is None:
        raise IRError(f"{node.id}: no verification rule for node type {type(node).__name__}",
                      node.loc, "give the type a rule in _CHECKS in neuroflow/ir/_verify.py")
    _check_population_refs(node, model)
    check(node, model)
    if isinstance(node, (ODE, StateUpdate)):  # resets and synapses may add to any variable
        for target in node.writes():
            if target in writers:
                fail(node, f"writes '{target}', which {writers[target]} writes too",
                      "each state variable is integrated once per step")
            writers[target] = node.id


def _written_at(node: Node | None, node_id: str) -> tuple:
    loc = node.loc if node is not None else None
    return (0, loc.origin or "", loc.line, loc.column, node_id) if loc else (1, "", 0, 0, node_id)


def _check_cycles(pop: str, model: Model) -> None:
    cycle = model.subexpression_cycle(pop)
    if cycle:  # told from the declaration written first (the graph's walk has no fixed start)
        k = min(range(len(cycle)), key=lambda i: _written_at(model.get(cycle[i]), cycle[i]))
        cycle = cycle[k:] + cycle[:k]
        first = model.get(cycle[0])
        raise IRError(f"subexpressions of {pop} depend on each other in a cycle: "
                      + " -> ".join(cycle + cycle[:1]), first.loc if first else None,
                      "compute one of them from state variables and parameters only")
