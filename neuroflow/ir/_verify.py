"""`verify(model)`: the invariants every well-formed IR holds, before and after any pass.

Each check raises `IRError` naming the node and showing its IR text.  The
pass manager runs `verify` after every pass when asked to (always in tests).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

import numpy as np

from ._adaptive import AdaptiveSystem
from ._algebra import decompose, is_zero
from ._blockadds import block_add_problem, projections_after
from ._coupling import POST, PRE, Coupling
from ._errors import IRError, Loc, ModelError, did_you_mean
from ._expr import Const, Expr, names, subtrees, to_text
from ._functions import uses_random
from ._generator import SpikeGenerator, spike_steps
from ._model import Model
from ._poisson import PoissonInput
from ._random import Distribution
from ._kinds import BufferKind, Kernel
from ._surrogates import MARGIN, threshold_margin
from ._nodes import (ODE, Clock, Connection, DelayBuffer, FusedUpdate, LinearSystem, Node,
                     Parameter, Part, Partition, Population, Projection, RateMonitor, Refractory,
                     Reset, Schedule, SpikeMonitor, StateMonitor, StateUpdate, StateVar,
                     Subexpression, Threshold, TimedInput, value_size, value_text)
from ._synapses import Plasticity
from ._typecheck import BUILTINS, TIME, Kind, TypeCheckError, infer
from ._units import DIMENSIONLESS, UNIT_NAMES, Dimension
from ._walk import expressions


def _block_end(lines: list[str], first: int) -> int:
    """The last line of the block that starts at line `first` (1-based): it and the lines
    after it that are indented deeper (or blank), as the body of `reset { ... }` is."""
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    last = first
    for number in range(first + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        last = number
    return last


def _locate(loc: Loc | None, culprit: str | None) -> Loc | None:
    """Point at `culprit` inside the source lines the node came from, if it is there."""
    if loc is None or not culprit:
        return loc
    lines = loc.text.splitlines() or [""]
    last = _block_end(lines, loc.line) if loc.line <= len(lines) else loc.line - 1
    for candidate in [culprit] + re.findall(r"[A-Za-z_]\w*", culprit):
        pattern = (rf"\b{re.escape(candidate)}\b" if candidate.isidentifier()
                   else re.escape(candidate))
        for number in range(loc.line, last + 1):
            start = loc.column - 1 if number == loc.line else 0
            found = re.compile(pattern).search(lines[number - 1], start)
            if found:
                return Loc(loc.origin, number, found.start() + 1, loc.text)
    return loc


def _fail(node: Node, message: str, hint: str | None = None, culprit: str | None = None) -> None:
    if node.loc is not None:
        err = IRError(f"{node.id}: {message}", _locate(node.loc, culprit), hint)
    else:
        err = IRError(f"{node.id}: {message}\n    {node.text().splitlines()[0]}", None, hint)
    err.detail = message  # without the node id, for errors reported in the user's terms
    raise err


@lru_cache(maxsize=64)
def is_unitless(model: Model) -> bool:
    """A model that names no unit anywhere (as in BrainPy): time is then a plain number of ms."""
    typed = (Parameter, StateVar, Subexpression, TimedInput)
    if any(not n.type.dim.is_dimensionless for n in model.nodes if isinstance(n, typed)):
        return False
    for proj in model.find(Projection):
        synapse = proj.plasticity.variables + proj.plasticity.params if proj.plasticity else ()
        if any(not item.type.dim.is_dimensionless for item in synapse):
            return False
    for node in model.nodes:
        local = set(model.scope(node.scope)) if node.scope else set()
        for expr in expressions(node):
            if (names(expr) - local) & UNIT_NAMES or _has_dimensioned_constant(expr):
                return False
    return True


def _has_dimensioned_constant(expr: Expr) -> bool:
    return any(isinstance(e, Const) and not e.dim.is_dimensionless for e in subtrees(expr))


def time_dimension(model: Model) -> Dimension:
    return DIMENSIONLESS if is_unitless(model) else TIME


_UNITLESS_TIME = {name: Kind("float", DIMENSIONLESS) for name in ("t", "dt", "lastspike")}


def scope_lookup(model: Model, pop: str,
                 extra: dict[str, Kind] | None = None) -> Callable[[str], Kind | None]:
    """Kinds of the names visible in population `pop`, for type-checking its expressions."""
    scope = model.scope(pop)
    if is_unitless(model):
        extra = {**_UNITLESS_TIME, **(extra or {})}

    def lookup(name: str) -> Kind | None:
        if extra and name in extra:
            return extra[name]
        node = scope.get(name)
        return None if node is None else Kind(node.type.dtype, node.type.dim)

    return lookup


def _check_expr(node: Node, model: Model, expr: Expr, extra: dict[str, Kind] | None = None) -> Kind:
    try:
        return infer(expr, scope_lookup(model, node.scope, extra))
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            known = set(model.scope(node.scope)) | set(BUILTINS) | set(extra or ())
            hint = (did_you_mean(err.culprit, known) or f"define '{err.culprit}' in the equations"
                    f" or give it in params=dict({err.culprit}=...)")
            _fail(node, f"unknown name '{err.culprit}' in population '{node.scope}'", hint,
                  err.culprit)
        _fail(node, err.message, err.hint, err.culprit)


def _check_population_refs(node: Node, model: Model) -> None:
    pop = getattr(node, "pop", None)
    if pop is not None and model.population(pop) is None:
        _fail(node, f"refers to unknown population '{pop}'")


def _check_clock(node: Clock, model: Model) -> None:
    """Nothing to check against the model: a clock refuses a step that is not positive when made."""


def _check_population(node: Population, model: Model) -> None:
    if node.size < 1:
        _fail(node, f"population size must be positive, got {node.size}")


def _check_values(node: Parameter | StateVar, model: Model) -> None:
    """Shared or per neuron, with as many explicit values as the shape says."""
    pop = model.population(node.pop)
    if node.type.shape not in ((), (pop.size,)):
        _fail(node, f"shape {node.type.shape} is neither shared () nor per neuron ({pop.size},)")
    size = value_size(node.value if isinstance(node, Parameter) else node.init)
    if size is not None and (size,) != node.type.shape:
        _fail(node, f"has {size} values for shape {node.type.shape}")


def _check_input(node: TimedInput, model: Model) -> None:
    per_bin = node.type.shape[0] if node.type.shape else 1
    if node.type.shape not in ((), (model.population(node.pop).size,)) or node.period <= 0:
        _fail(node, "an input is shared or per neuron, with a positive period")
    if not node.values or len(node.values) % per_bin:
        _fail(node, f"has {len(node.values)} values, not a whole number of bins of {per_bin}")


def _check_subexpression(node: Subexpression, model: Model) -> None:
    kind = _check_expr(node, model, node.expr)
    if kind.dim != node.type.dim:
        _fail(node, f"expression is in {kind.dim} but the declared unit is {node.type.dim}")
    if node.name in names(node.expr):
        _fail(node, f"subexpression '{node.name}' refers to itself", culprit=node.name)


def _check_ode(node: ODE, model: Model) -> None:
    var = model.scope(node.pop).get(node.var)
    if not isinstance(var, StateVar):
        _fail(node, f"'{node.var}' is not a state variable of {node.pop}", culprit=node.var)
    kind = _check_expr(node, model, node.rhs)
    if kind.dim != var.type.dim / time_dimension(model):
        _fail(node, f"the right-hand side of d{node.var}/dt is in {kind.dim}, but {node.var} is in"
              f" {var.type.dim}, so it must be in {var.type.dim / time_dimension(model)}",
              "check the units of the equation, e.g. divide by a time constant", node.var)
    if node.unless_refractory and model.one(Refractory, node.pop) is None:
        _fail(node, "is '(unless refractory)' but the population has no refractory period")


def _check_threshold(node: Threshold, model: Model) -> None:
    if _check_expr(node, model, node.cond).dtype != "bool":
        _fail(node, "threshold must be a condition")
    if node.surrogate is None:
        return
    if threshold_margin(node.cond) is None:
        _fail(node, "has a surrogate, but its condition is not one comparison (a > b)",
              "write the threshold as one comparison, e.g. v > Vt")
    if names(node.surrogate.smooth) != {MARGIN}:
        _fail(node, f"surrogate {node.surrogate.text()} must be an expression of {MARGIN} alone")


def _check_reset(node: Reset, model: Model) -> None:
    for s in node.body:
        _check_assignment(node, model, s.target, s.as_assignment())


def _check_refractory(node: Refractory, model: Model) -> None:
    if _check_expr(node, model, node.period).dim != time_dimension(model):
        _fail(node, "refractory period must be a time")
    if isinstance(node.period, Const) and node.period.value < 0:
        _fail(node, f"refractory period must not be negative, got {node.period.value} ms")


def _check_state_monitor(node: StateMonitor, model: Model) -> None:
    if model.scope(node.pop).get(node.var) is None:
        _fail(node, f"monitors unknown variable '{node.var}' of {node.pop}")
    size = model.population(node.pop).size
    if any(not 0 <= i < size for i in node.indices) or node.every < 1:
        _fail(node, f"indices must lie in [0, {size}) and every >= 1")


def _check_spikes(node: SpikeMonitor | RateMonitor, model: Model, what: str) -> None:
    if model.one(Threshold, node.pop) is None and model.one(SpikeGenerator, node.pop) is None:
        _fail(node, f"records the {what} of '{node.pop}', which has no threshold and never spikes",
              "give its neuron a threshold ('threshold: v > Vt'), or monitor a variable")


def _check_spike_monitor(node: SpikeMonitor, model: Model) -> None:
    _check_spikes(node, model, "spikes")
    if node.neurons is not None:
        start, stop = node.neurons
        size = model.population(node.pop).size
        if not 0 <= start < stop <= size:
            _fail(node, f"records neurons [{start}:{stop}], which is not a slice of [0:{size}]",
                  f"give 0 <= start < stop <= {size}, the size of '{node.pop}'")


def _check_rate_monitor(node: RateMonitor, model: Model) -> None:
    _check_spikes(node, model, "rate")
    bounds, size = node.bounds, model.population(node.pop).size
    increasing = all(a < b for a, b in zip(bounds, bounds[1:]))
    if bounds and (bounds[0] != 0 or bounds[-1] != size or not increasing):
        _fail(node, f"bounds {list(bounds)} do not split the population into segments",
              f"give increasing offsets that start at 0 and end at {size}, the size of"
              f" '{node.pop}'")


def _check_part(node: Part, model: Model) -> None:
    merged = model.population(node.neurons.population)
    if merged is None:
        _fail(node, f"is part of '{node.neurons.population}', which is not a population")
    if node.neurons.stop > merged.size:
        _fail(node, f"slice {node.neurons.text()} exceeds the size {merged.size} of {merged.name}")
    spikes = model.one(SpikeMonitor, merged.name)
    start, stop = (0, 0) if spikes is None else spikes.neurons or (0, merged.size)
    if node.spikes and not start <= node.neurons.start < node.neurons.stop <= stop:
        _fail(node, f"reports spikes, but no spike monitor of '{merged.name}' records"
              f" {node.neurons.text()}")
    rate = model.one(RateMonitor, merged.name)
    if node.rate and not (rate and {node.neurons.start, node.neurons.stop} <= set(rate.bounds)):
        _fail(node, f"reports a rate, but no rate monitor of '{merged.name}' counts"
              f" {node.neurons.text()} apart", f"give '{merged.name}' a rate monitor whose bounds"
              f" include {node.neurons.start} and {node.neurons.stop}")
    traced = {m.var for m in model.find(StateMonitor, merged.name)}
    missing = [v for v in node.traces if v not in traced]
    if missing:
        _fail(node, f"reports traces of {missing}, but '{merged.name}' has no state monitor of"
              " them")


def _check_delay_buffer(node: DelayBuffer, model: Model) -> None:
    if node.readers:
        _check_shared_ring(node, model)
        return
    expected = StateVar if node.kind == BufferKind.HISTORY else Projection
    if not isinstance(model.get(node.source), expected):
        _fail(node, f"a {node.kind} buffer needs a {expected.__name__},"
              f" but '{node.source}' is not one")


def _check_shared_ring(node: DelayBuffer, model: Model) -> None:
    """The spikes of one population, read by projections from it with one delay each."""
    if not isinstance(model.get(node.source), Population):
        _fail(node, f"a spikes buffer with readers belongs to a population, but '{node.source}'"
              " is not one")
    for name, _ in node.readers:
        proj = model.get(name)
        if not isinstance(proj, Projection) or proj.pre.population != node.source \
                or proj.heterogeneous_delay:
            _fail(node, f"'{name}' is not a projection from '{node.source}' with one delay for"
                  " all its synapses, so it cannot read this population's spikes buffer")
        if model.get(f"{name}.buffer") is not None:
            _fail(node, f"projection '{name}' reads this buffer and has a buffer of its own")


def _check_fused(node: FusedUpdate, model: Model) -> None:
    """A state update, then optionally its threshold, then its reset, all of one population."""
    kinds = [StateUpdate, Threshold, Reset]
    members = [model.get(op) for op in node.ops]
    if any(m is None or m.scope != node.pop for m in members):
        _fail(node, f"fuses operations that are not those of population '{node.pop}':"
              f" {list(node.ops)}")
    order = [kinds.index(type(m)) if type(m) in kinds else -1 for m in members]
    if -1 in order or order != sorted(set(order)) or order[0] != 0:
        _fail(node, "fuses a state update, then optionally its threshold, then its reset,"
              " each once", f"got {list(node.ops)}")
    if node.adds:
        _check_block_adds(node, model)


def _check_block_adds(node: FusedUpdate, model: Model) -> None:
    """The projections a block adds are ones it can add, those that follow it in the schedule."""
    hint = "run 'schedule' on the model as it is, or 'schedule{block_adds=false}'"
    if model.get("partition") is not None:
        _fail(node, f"adds projections {list(node.adds)}, but a partitioned model runs them"
              " on their own", hint)
    for name in node.adds:
        problem = block_add_problem(model, node, name)
        if problem is not None:
            _fail(node, f"cannot add projection '{name}': {problem}", hint)
    schedule = model.get("schedule")
    if not isinstance(schedule, Schedule):
        _fail(node, f"adds projections {list(node.adds)} but the model has no schedule", hint)
    after = projections_after(model, node, list(schedule.order))[:len(node.adds)]
    if after != list(node.adds):
        _fail(node, f"adds projections {list(node.adds)}, but the schedule runs {after} right"
              " after the block (spike and rate monitors aside)", hint)


def _check_schedule(node: Schedule, model: Model) -> None:
    unknown = [i for i in node.order if i not in model]
    if unknown:
        _fail(node, f"schedules unknown operations {unknown}")
    fused = {op for block in model.find(FusedUpdate) for op in block.ops}
    twice = sorted(fused & set(node.order))
    if twice:
        _fail(node, f"schedules {twice} on their own, but a fused block runs them already")


def _check_partition(node: Partition, model: Model) -> None:
    """Every population split once, in equal blocks of `Partition.block` neurons."""
    named = [pop for pop, _ in node.owned]
    if sorted(named) != sorted(p.name for p in model.populations):
        _fail(node, f"splits populations {named}, not the model's"
                    f" {[p.name for p in model.populations]}")
    for pop, owned in node.owned:
        size = model.population(pop).size
        if owned != Partition.block(size, node.devices):
            expected = Partition.block(size, node.devices)
            _fail(node, f"gives each of {node.devices} devices {owned} neurons of '{pop}'"
                        f" (size {size})", f"each device owns ceil(size / devices) = {expected}")


def _check_parts_tile(model: Model) -> None:
    """The parts of a merged population cover it exactly, without gaps or overlaps."""
    parts: dict[str, list[Part]] = {}
    for part in model.find(Part):
        parts.setdefault(part.neurons.population, []).append(part)
    for name, found in parts.items():
        edge = 0
        for part in sorted(found, key=lambda p: p.neurons.start):
            if part.neurons.start != edge:
                _fail(part, f"starts at {part.neurons.start}, but the parts before it end at"
                      f" {edge}", f"the parts of '{name}' cover it without gaps or overlaps")
            edge = part.neurons.stop
        size = model.population(name).size
        if edge != size:
            _fail(found[-1], f"the parts of '{name}' end at {edge}, not at its size {size}")


def _check_assignment(node: Node, model: Model, target: str, value: Expr, extra=None) -> None:
    var = model.scope(node.scope).get(target)
    if not isinstance(var, StateVar):
        variables = [n.name for n in model.find(StateVar, node.scope)]
        _fail(node, f"writes '{target}', which is not a state variable of population"
              f" '{node.scope}'", did_you_mean(target, variables, "its state variables"), target)
    kind = _check_expr(node, model, value, extra)
    if kind.dim != var.type.dim:
        _fail(node, f"assigns a value in {kind.dim} to '{target}', which is in {var.type.dim}",
              "both sides of an assignment need the same units", target)


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
            temporaries[item.target] = _check_expr(node, model, item.expr, temporaries)
        else:
            _check_assignment(node, model, item.target, item.expr, temporaries)
    for var in node.hold:
        if not isinstance(model.scope(node.pop).get(var), StateVar):
            _fail(node, f"holds '{var}', which is not a state variable")


def _check_adaptive_system(node: StateUpdate, model: Model, item: AdaptiveSystem,
                           temporaries: dict) -> None:
    """State variables of the population, each right-hand side in its variable's units per time;
    events inside the step need a threshold to test."""
    scope = model.scope(node.pop)
    if item.events and model.one(Threshold, node.pop) is None:
        _fail(node, "tests its threshold after each sub-step (events), but has no threshold")
    for target, rhs in zip(item.targets, item.rhs):
        var = scope.get(target)
        if not isinstance(var, StateVar):
            _fail(node, f"adaptive system integrates '{target}', which is not a state variable of"
                  f" {node.pop}")
        kind = _check_expr(node, model, rhs, temporaries)
        if kind.dim != var.type.dim / time_dimension(model):
            _fail(node, f"the right-hand side of '{target}' is in {kind.dim}, not in"
                  f" {var.type.dim / time_dimension(model)}")


def _check_linear_system(node: StateUpdate, model: Model, item: LinearSystem,
                         temporaries: dict) -> None:
    n = len(item.targets)
    if len(item.matrix) != n or any(len(r) != n for r in item.matrix) or len(item.offset) != n:
        _fail(node, f"exact system over {n} variables needs an {n}x{n} matrix and {n} offsets")
    scope = model.scope(node.pop)
    for target in item.targets:
        if not isinstance(scope.get(target), StateVar):
            _fail(node, f"exact system integrates '{target}', which is not a state variable of"
                  f" {node.pop}")
    variables = [scope[target] for target in item.targets]
    for i, row in enumerate(item.matrix):
        rate = variables[i].type.dim / time_dimension(model)
        # A[i][j]*x_j and b_i have the units of dx_i/dt; a zero entry couples nothing, has no units
        entries = [(f"matrix entry ({i}, {j})", e, rate / variables[j].type.dim)
                   for j, e in enumerate(row)] + [(f"offset {i}", item.offset[i], rate)]
        for what, entry, expected in entries:
            dim = _check_expr(node, model, entry, temporaries).dim
            if dim != expected and not is_zero(entry):
                _fail(node, f"{what} of the exact system is in {dim}, expected {expected}")


def _check_connections(node: Connection, model: Model) -> None:
    """What projections and couplings share: the slices, the rule, the kernel, the weights."""
    for side in (node.pre, node.post):
        pop = model.population(side.population)
        if pop is None:
            _fail(node, f"refers to unknown population '{side.population}'")
        if side.stop > pop.size:
            _fail(node, f"slice {side.text()} exceeds the size {pop.size} of {pop.name}")
    problem = node.rule.problem(node.pre.size, node.post.size)
    if problem:
        _fail(node, problem, "change the rule or the populations it connects")
    if node.kernel not in list(Kernel):
        _fail(node, f"unknown kernel '{node.kernel}'", f"known kernels: {', '.join(Kernel)}")
    shape = node.weight_type.shape
    if len(shape) == 2 and shape != (node.pre.size, node.post.size):
        _fail(node, f"weight matrix of shape {shape} for a {node.pre.size} x {node.post.size}"
              " projection")
    size = value_size(node.weight)
    expected = shape[0] * shape[1] if len(shape) == 2 else shape[0] if shape else -1
    if size is not None and size != expected:
        _fail(node, f"has {size} weights for weight shape {shape}")
    if isinstance(node.weight, Expr):
        try:
            dim = synapse_value_kind(model, node.pre.population, node.post.population,
                                     node.weight).dim
        except TypeCheckError as err:
            _fail(node, f"{err.message} in the weights", err.hint, err.culprit)
        if dim != node.weight_type.dim:
            _fail(node, f"the weights are in {dim}, but the projection's weights are in"
                  f" {node.weight_type.dim}")


def synapse_value_kind(model: Model, pre: str, post: str, expr: Expr) -> Kind:
    """The kind of a value given per synapse: an expression of the synapse's pre and post
    indices `i` and `j` (in their slices), the slices' sizes `N_pre` and `N_post`, and the
    neurons' parameters and initial values as `x_pre` and `y_post`; TypeCheckError if none."""
    known = {"i": Kind("int", DIMENSIONLESS), "j": Kind("int", DIMENSIONLESS),
             "N_pre": Kind("int", DIMENSIONLESS), "N_post": Kind("int", DIMENSIONLESS)}
    known |= {n.name + suffix: Kind(n.type.dtype, n.type.dim) for suffix, pop in ((PRE, pre),
                                                                                   (POST, post))
              for n in model.find(Parameter, pop) + model.find(StateVar, pop)}
    try:
        return infer(expr, known.get)
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            err.hint = did_you_mean(err.culprit, known) or ("a value per synapse reads i, j,"
                                                            " N_pre, N_post and the neurons'"
                                                            " values as x_pre, y_post")
        raise


def _check_projection(node: Projection, model: Model) -> None:
    _check_connections(node, model)
    delay = node.delay
    low = delay.support()[0] if isinstance(delay, Distribution) else min(np.atleast_1d(delay))
    if low < 0:
        _fail(node, f"delay must be >= 0 ms, got {value_text(delay)}")
    if node.plasticity is not None:
        _check_plasticity(node, node.plasticity, model)
        return
    w = {"w": Kind("float", node.weight_type.dim)}
    _check_assignment(node, model, node.effect.target, node.effect.as_assignment(), w)


def _check_plasticity(node: Projection, plasticity: Plasticity, model: Model) -> None:
    """Synapse variables, parameters and statements of a plastic projection."""
    if node.kernel not in (Kernel.AUTO, Kernel.EVENT_PLASTIC):
        _fail(node, f"is plastic, which only the 'event_plastic' kernel runs, not '{node.kernel}'")
    if node.heterogeneous_delay:
        _fail(node, "plastic projections have one delay for all synapses",
              "give one delay, as delay=2*ms")
    kinds: dict[str, Kind] = {}
    for item in plasticity.variables + plasticity.params:
        if item.name in kinds or item.name in ("t", "dt"):
            _fail(node, f"synapse name '{item.name}' is defined twice or shadows a built-in",
                  culprit=item.name)
        if item.type.shape != ():
            _fail(node, f"synapse variable or parameter '{item.name}' must have shape (), got"
                  f" {item.type.shape}")
        kinds[item.name] = Kind(item.type.dtype, item.type.dim)
    time = time_dimension(model)
    kinds.update({"t": Kind("float", time), "dt": Kind("float", time)})
    for suffix, view in ((PRE, node.pre), (POST, node.post)):  # the neurons' names: v_post
        kinds.update({name + suffix: Kind(n.type.dtype, n.type.dim)
                      for name, n in model.scope(view.population).items()})
    variables = {v.name: v for v in plasticity.variables}
    for var in plasticity.variables:
        if var.decay is None:
            continue
        kind = _synapse_expr(node, var.decay, kinds)
        if kind.dim != var.type.dim / time:
            _fail(node, f"the right-hand side of d{var.name}/dt is in {kind.dim}, but {var.name}"
                  f" is in {var.type.dim}, so it must be in {var.type.dim / time}",
                  culprit=var.name)
        linear = decompose(var.decay, set(variables))
        if linear is None or set(linear[0]) - {var.name}:
            _fail(node, f"event-driven d{var.name}/dt must be linear in {var.name} alone, got"
                  f" '{to_text(var.decay)}'", "write it as dx/dt = -x/tau or dx/dt = (x0 - x)/tau",
                  var.name)
    for pathway, body in (("on_pre", plasticity.on_pre), ("on_post", plasticity.on_post)):
        for s in body:
            if uses_random(s.expr):
                _fail(node, f"{pathway} '{s.text()}' draws random numbers, which synapse"
                      " statements cannot", "draw them in the neurons' equations or thresholds",
                      s.target)
            kind = _synapse_expr(node, s.expr, kinds)
            target = variables.get(s.target)
            if target is not None:
                if kind.dim != target.type.dim:
                    _fail(node, f"{pathway} assigns a value in {kind.dim} to synapse variable"
                          f" '{s.target}', which is in {target.type.dim}", culprit=s.target)
                continue
            post = model.scope(node.post.population).get(s.target)
            if pathway == "on_post" or not isinstance(post, StateVar):
                post_names = [n.name for n in model.find(StateVar, node.post.population)]
                known = list(variables) + (post_names if pathway == "on_pre" else [])
                _fail(node, f"{pathway} writes '{s.target}', which is not a synapse variable"
                      + (" or a variable of the post population" if pathway == "on_pre" else ""),
                      did_you_mean(s.target, known)
                      or f"it may write: {', '.join(known) or 'nothing'}", s.target)
            if s.op not in ("+=", "-="):
                _fail(node, f"on_pre '{s.text()}' must add to or subtract from the post variable"
                      f" '{s.target}'", f"write '{s.target} += ...'", s.target)
            if kind.dim != post.type.dim:
                _fail(node, f"on_pre adds a value in {kind.dim} to '{s.target}', which is in"
                      f" {post.type.dim}", "both sides of an assignment need the same units",
                      s.target)


def _check_coupling(node: Coupling, model: Model) -> None:
    _check_connections(node, model)
    post = node.post.population
    target = model.scope(post).get(node.target)
    culprit = node.target + POST  # as the summed line writes it
    if not isinstance(target, StateVar):
        variables = [n.name for n in model.find(StateVar, post)]
        _fail(node, f"sums into '{node.target}', which is not a variable of '{post}'",
              did_you_mean(node.target, variables)
              or f"declare it in '{post}': '{node.target} : 1'", culprit)
    if target.type.shape == ():
        _fail(node, f"sums into '{node.target}', which is shared by all neurons of '{post}'",
              "a summed variable has one value per neuron: drop (shared)", culprit)
    integrated = {var for n in model.find(ODE, post) + model.find(StateUpdate, post)
                  for var in n.writes()}
    if f"{post}.{node.target}" in integrated:
        _fail(node, f"sums into '{node.target}', which has a differential equation of its own",
              f"a summed variable is set by its synapses every step: declare it without an"
              f" equation, as '{node.target} : 1', and read it in the equations", culprit)
    if uses_random(node.summand):
        _fail(node, "a summed variable draws no random numbers", "add the noise in the post"
              " neuron's equations", culprit)
    kind = _coupling_expr(node, model, node.summand)
    if kind.dim != target.type.dim:
        _fail(node, f"sums values in {kind.dim} into '{node.target}', which is in"
              f" {target.type.dim}", "the summand needs the units of its target", culprit)
    for term in node.terms:
        for side, expr, suffix in (("post", term.post, POST), ("pre", term.pre, PRE)):
            wrong = sorted(n for n in names(expr) & _coupling_names(node, model)
                           if not n.endswith(suffix))
            if wrong:
                _fail(node, f"the {side} factor of a term reads '{wrong[0]}'", culprit=wrong[0])
            _coupling_expr(node, model, expr)


def _check_poisson(node: PoissonInput, model: Model) -> None:
    _check_assignment(node, model, node.var, node.weight)
    kind = _check_expr(node, model, node.rate)
    per_time = DIMENSIONLESS / time_dimension(model)
    if kind.dim != per_time:
        _fail(node, f"the rate of the Poisson input is in {kind.dim}, expected {per_time}",
              "give it in Hz, as rate=6*Hz")
    clock = model.get("clock")
    if isinstance(node.rate, Const) and not (
            0 <= node.rate.value * (clock.dt if isinstance(clock, Clock) else 0) <= 1
            and node.rate.value >= 0):
        _fail(node, f"the rate of the Poisson input must lie in [0, 1/dt], got"
              f" {node.rate.value * 1000:g} Hz", "each source spikes at most once per step")


def _check_generator(node: SpikeGenerator, model: Model) -> None:
    """Times on or after 0, sorted by time then neuron; neurons of the population; a population
    with no threshold, reset or refractory period of its own (the table is its spikes)."""
    size = model.population(node.pop).size
    wrong = [i for i in node.indices if not 0 <= i < size]
    if wrong:
        _fail(node, f"neuron index {wrong[0]} is outside the population of {size} neurons")
    if not all(np.isfinite(t) and t >= 0 for t in node.times):
        bad = next(t for t in node.times if not (np.isfinite(t) and t >= 0))
        _fail(node, f"spike times must be finite and at least 0 ms, got {bad!r}")
    entries = list(zip(node.times, node.indices))
    if entries != sorted(entries):
        _fail(node, "the entries must be sorted by time, then by neuron index")
    for kind in (Threshold, Reset, Refractory, StateUpdate, ODE):
        if model.find(kind, node.pop):
            _fail(node, f"population '{node.pop}' is a spike generator and has a"
                  f" {kind.__name__.lower()} too", "its spikes are the table alone")
    clock = model.get("clock")
    if isinstance(clock, Clock):
        try:
            spike_steps(node, clock.dt)
        except ValueError as err:
            _fail(node, str(err), "give the neuron's times at least one step apart")


def _coupling_names(node: Coupling, model: Model) -> set[str]:
    return {"w"} | {f"{n}{PRE}" for n in model.scope(node.pre.population)} | {
        f"{n}{POST}" for n in model.scope(node.post.population)}


def _coupling_expr(node: Coupling, model: Model, expr: Expr) -> Kind:
    """The kind of a summand (or a factor of one): `w`, names of the pre and post neurons with
    their suffixes (`i_pre` too), and `t` and `dt`.  A bare `i` or `N` would be ambiguous (in
    Brian2 they are the pre index and the number of synapses): it is refused."""
    pre = scope_lookup(model, node.pre.population)
    post = scope_lookup(model, node.post.population)

    def lookup(name: str) -> Kind | None:
        if name == "w":
            return Kind("float", node.weight_type.dim)
        if name.endswith(PRE):
            return pre(name[:-len(PRE)]) or BUILTINS.get(name[:-len(PRE)])
        if name.endswith(POST):
            return post(name[:-len(POST)]) or BUILTINS.get(name[:-len(POST)])
        if name in BUILTINS and name not in ("t", "dt", "True", "False"):
            raise TypeCheckError(f"'{name}' in a summed variable is ambiguous", name,
                                 f"write {name}_pre or {name}_post")
        return post(name)

    try:
        return infer(expr, lookup)
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            _fail(node, f"unknown name '{err.culprit}' in the summand of '{node.name}'",
                  did_you_mean(err.culprit, _coupling_names(node, model))
                  or "it reads w, and the neurons' names as x_pre and v_post", err.culprit)
        _fail(node, err.message, err.hint, err.culprit)


def _synapse_expr(node: Projection, expr: Expr, kinds: dict[str, Kind]) -> Kind:
    try:
        return infer(expr, kinds.get)
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            hint = f"declare it in model= or give it in params=dict({err.culprit}=...)"
            _fail(node, f"unknown name '{err.culprit}' in the synapses of projection '{node.name}'",
                  did_you_mean(err.culprit, kinds) or hint, err.culprit)
        _fail(node, err.message, err.hint, err.culprit)


# One rule per node type, as the JAX backend has one lowering per node type: a new node type
# brings its invariants here as one entry, and `verify` refuses a node whose type has none.
_CHECKS: dict[type, Callable[[Node, Model], None]] = {
    Clock: _check_clock, Population: _check_population,
    Parameter: _check_values, StateVar: _check_values, TimedInput: _check_input,
    Subexpression: _check_subexpression, ODE: _check_ode, StateUpdate: _check_update,
    Threshold: _check_threshold, Reset: _check_reset, Refractory: _check_refractory,
    Projection: _check_projection, Coupling: _check_coupling, DelayBuffer: _check_delay_buffer,
    PoissonInput: _check_poisson, SpikeGenerator: _check_generator, Part: _check_part,
    SpikeMonitor: _check_spike_monitor, RateMonitor: _check_rate_monitor,
    StateMonitor: _check_state_monitor, FusedUpdate: _check_fused, Schedule: _check_schedule,
    Partition: _check_partition,
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
        if node.id in seen and attempt(lambda: _fail(node, "duplicate id: two nodes claim it")):
            return found
        seen[node.id] = node
    writers: dict[str, str] = {}  # state variable -> the ODE or update that integrates it
    for node in model.nodes:
        if attempt(lambda: _check_node(node, model, writers)):
            return found
    if attempt(lambda: _check_parts_tile(model)):
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
                _fail(node, f"writes '{target}', which {writers[target]} writes too",
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
