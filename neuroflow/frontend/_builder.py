"""The Python builder: `Network` collects populations, projections and monitors
and `build()` turns them into one `ir.Model`.

Quantities given by the user (`20*ms`) are converted into the internal unit
system on the way in (`_arguments`), so the IR only holds plain numbers with
their dimensions.
Equation strings are Brian2's; errors point into them.

The `.nfl` language calls the same methods: it parses equations, conditions and
statements itself (so their locations point into the file) and hands them over
as `EquationLine`s and `Parsed` values instead of strings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Loc, ModelError, as_quantity, did_you_mean, fold
from .. import ir
from ._arguments import (FLOAT, Parsed, PerSynapse, as_delay, check_identifier, check_reserved,
                         equation_lines, explicit_weights, expression, parse_method,
                         refractory_period, source_expr, source_statements, to_internal,
                         weight_value)
from ._coupling import coupling_nodes, is_summed, pre_state
from ._declarations import check_init_used, declared_nodes, folded, neuron_names, synapse_var
from ._equations import EquationLine
from ._given import check_not_empty, check_params_used

_INDEX_BYTES = 40  # a monitored neuron's index in the IR: a Python int in a tuple


@dataclass(frozen=True)
class PopulationHandle:
    """What `Network.population` returns: the population's name and size; slicing gives a view."""

    name: str
    size: int

    @property
    def population(self) -> str:  # lets a handle stand wherever a view is accepted
        return self.name

    @property
    def start(self) -> int:
        return 0

    @property
    def stop(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: slice) -> ir.PopSlice:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise ModelError(f"population '{self.name}' can only be sliced with [start:stop],"
                             f" got [{_slice_text(index)}]",
                             hint="a view is a contiguous range of neurons, e.g. P[0:100]")
        for bound in (index.start, index.stop):
            if bound is not None and not -self.size <= bound <= self.size:
                raise ModelError(f"the view {self.name}[{_slice_text(index)}] reaches past the"
                                 f" {self.size} neurons of '{self.name}'")
        start, stop, _ = index.indices(self.size)
        if start >= stop:
            raise ModelError(f"the view {self.name}[{index.start}:{index.stop}] is empty")
        return ir.PopSlice(self.name, start, stop)


def _slice_text(index) -> str:
    if not isinstance(index, slice):
        return repr(index)
    parts = ["" if b is None else str(b) for b in (index.start, index.stop, index.step)]
    return ":".join(parts if index.step is not None else parts[:2])


def as_slice(target) -> ir.PopSlice:
    if isinstance(target, ir.PopSlice):
        return target
    if isinstance(target, PopulationHandle):
        return ir.PopSlice(target.name, 0, target.size)
    if isinstance(target, str):
        raise ModelError(f"'{target}' is a name; a projection takes the population itself",
                         hint=f"{target} = net.population('{target}', ...) returns it; pass"
                              f" {target} or a view such as {target}[:100]")
    raise ModelError(f"expected a population or a view such as P[:100], got {target!r}")


class Network:
    """A model under construction; `build()` gives the `ir.Model`."""

    def __init__(self, name: str = "network"):
        check_identifier(name, "network")
        self.name = name
        self._nodes: list[ir.Node] = []
        self._ids: set[str] = set()
        self._sizes: dict[str, int] = {}
        self._projection_count = 0
        self._on_spike: dict[str, int] = {}  # statements at the start of a reset that on_pre runs
        self._given_params: dict[str, tuple[str, ...]] = {}  # population -> names in its params=
        self._folded_names: set[str] = set()  # names read by weights computed when built
        # projection -> the names in its params=, the names it uses, those it uses but lacks
        self._synapse_params: dict[str, tuple[tuple[str, ...], set[str], set[str]]] = {}

    # -- populations ----------------------------------------------------------------
    def population(self, name: str, size: int, equations: str | tuple[EquationLine, ...] = "", *,
                   threshold: str | Parsed | None = None, reset: str | Parsed | None = None,
                   refractory=None, params: dict | None = None, init: dict | None = None,
                   method: str = "auto", surrogate: str | ir.Surrogate | None = None,
                   loc: Loc | None = None) -> PopulationHandle:
        """A population of `size` neurons.  `equations` is a string of Brian2's equation lines
        (or lines parsed already); `method` names the integrator, with its options where it has
        some (`"rkf45(rtol=0, atol=1e-3, events=1)"`); `surrogate` (`"fast_sigmoid(25)"`, or a
        smooth step in `x`)
        stands for the threshold's slope in gradients; `loc` is where a model file declares the
        population."""
        check_identifier(name, "population")
        if name in self._sizes:
            raise ModelError(f"a population named '{name}' already exists")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ModelError(f"population '{name}' must have a positive whole number of neurons,"
                             f" got {size!r}", hint="for example net.population('P', 100, ...)")
        size = int(size)
        lines = equation_lines(equations, f"equations of population '{name}'")
        method, options = parse_method(method, name, loc)
        nodes: list[ir.Node] = [ir.Population(name, size, method, options, loc=loc)]
        nodes += declared_nodes(name, size, lines, dict(params or {}), dict(init or {}))
        # a value for a parameter the equations declare ('k : 1 (constant)') is given on purpose
        self._given_params[name] = tuple(n for n in params or () if n not in
                                         {line.name for line in lines})
        if threshold is not None:
            cond, where = source_expr(threshold, f"threshold of '{name}'")
            if isinstance(surrogate, str):
                surrogate = ir.parse_surrogate(surrogate, what=f"surrogate of '{name}'")
            nodes.append(ir.Threshold(name, cond, surrogate, loc=where))
        elif surrogate is not None:
            raise ModelError(f"population '{name}' has a surrogate but no threshold")
        if reset is not None:
            body, where = source_statements(reset, f"reset of '{name}'")
            nodes.append(ir.Reset(name, body, loc=where))
        if refractory is not None:
            period, where = refractory_period(refractory, name)
            nodes.append(ir.Refractory(name, period, loc=where))
        self._sizes[name] = size
        self._add(*nodes)
        return PopulationHandle(name, size)

    # -- projections ----------------------------------------------------------------
    def projection(self, pre, post, on_pre: str | Parsed | None = None, *,
                   connect: ir.ConnectivityRule | None = None, weights=None, delay=0.0,
                   kernel: str = "auto", name: str | None = None,
                   model: str | tuple[EquationLine, ...] | None = None,
                   on_post: str | None = None, params: dict | None = None,
                   init: dict | None = None, loc: Loc | None = None) -> str:
        """Synapses from `pre` to `post`.  Without `model` each pre spike runs `on_pre` (one
        statement linear in the weight `w`); with `model` (Brian2's synapse equations) the
        projection is plastic: `on_pre` and `on_post` are statements on per-synapse variables;
        a model with summed lines (`I_post = w*tanh(x_pre) : 1 (summed)`) couples the neurons
        continuously and runs no statements."""
        pre_s, post_s, kernel = as_slice(pre), as_slice(post), ir.Kernel(kernel)
        for view in (pre_s, post_s):
            if view.stop > self._sizes.get(view.population, 0):
                raise ModelError(f"population '{view.population}' is not one of network"
                                 f" '{self.name}'", loc, hint="a population belongs to the Network"
                                 " that made it; make both ends with the same Network")
        if name is None:
            name = f"{pre_s.population}_to_{post_s.population}_{self._projection_count}"
        check_identifier(name, "projection")
        self._projection_count += 1
        lines = () if model is None else equation_lines(model, f"model of projection '{name}'")
        if any(is_summed(line) for line in lines):
            self._coupling(name, pre_s, post_s, lines, on_pre, on_post, dict(params or {}),
                           dict(init or {}), connect, weights, delay, kernel, loc)
            return name
        if on_pre is None:
            raise ModelError(f"projection '{name}' has no on_pre", loc, "give the effect of a"
                             " spike, as on_pre='ge += w', or a model with summed variables")
        statements, where = source_statements(on_pre, f"on_pre of projection '{name}'")
        if model is not None or on_post is not None or params or init:
            self._add(self._plastic(name, pre_s, post_s, statements, where, model, on_post,
                                    dict(params or {}), dict(init or {}), connect, weights, delay,
                                    kernel))
            return name
        if len(statements) != 1:
            raise ModelError(f"on_pre must be one statement such as 'ge += w', got"
                             f" {len(statements)}", where, "several statements need synapse"
                             " variables: declare them with model=")
        effect = statements[0]
        if effect.op not in ("+=", "-="):
            raise ModelError(f"on_pre uses '{effect.op}'; a synapse adds to or subtracts from its"
                             " target", where, f"write '{effect.target} += ...'")
        weights = self._per_synapse(weights, pre_s, post_s, where)
        weight, weight_dim, weight_shape, effect = explicit_weights(effect, weights, where,
                                                                    pre_s.size, post_s.size)
        delay_value = as_delay(delay, name)
        self._add(ir.Projection(name, pre_s, post_s, connect or ir.AllToAll(), weight,
                                ir.Type(FLOAT, weight_shape, weight_dim), effect, delay_value,
                                kernel, loc=where))
        return name

    def _plastic(self, name, pre_s, post_s, on_pre, where, model, on_post, params, init, connect,
                 weights, delay, kernel) -> ir.Projection:
        what = f"projection '{name}'"
        if model is None:
            raise ModelError(f"{what} has on_post, params or init but no synapse model", where,
                             "declare its synapse variables with model=\"w : 1 ...\"")
        delay = as_delay(delay, name)
        if not isinstance(delay, float):
            raise ModelError(f"{what} is plastic and has one delay per synapse; plastic"
                             " projections have one delay for all synapses", where,
                             "give one delay, as delay=2*ms")
        if kernel not in (ir.Kernel.AUTO, ir.Kernel.EVENT_PLASTIC):
            raise ModelError(f"{what} is plastic, which only the 'event_plastic' kernel runs, not"
                             f" '{kernel}'")
        lines = equation_lines(model, f"model of {what}")
        if weights is not None:
            if "w" in init or "w" not in {line.name for line in lines}:
                raise ModelError(f"{what}: weights= gives the initial values of the synapse"
                                 " variable 'w'", where, "declare 'w : 1' in model= and give"
                                 " weights= or init=dict(w=...), not both")
            init["w"] = weights
        variables = tuple(synapse_var(line, init.pop(line.name, 0.0), what) for line in lines)
        declared = {v.name for v in variables}
        check_init_used(init, declared, f"a synapse variable of {what}")
        synapse_params = []
        for key, value in params.items():
            check_reserved(key, what, None)
            if key in declared:
                raise ModelError(f"'{key}' of {what} is a synapse variable, not a parameter",
                                 hint=f"set its initial value with init=dict({key}=...)")
            number, dim = to_internal(value, f"parameter '{key}' of {what}")
            if isinstance(number, tuple):
                raise ModelError(f"parameter '{key}' of {what} must be one value shared by all"
                                 " synapses")
            synapse_params.append(ir.SynapseParam(key, ir.Type(FLOAT, (), dim), number))
        local = declared | set(params) | self._variables(post_s.population)
        post_body, post_where = (source_statements(on_post, f"on_post of {what}") if on_post
                                 else ((), None))
        post_names = {n.name for n in self._nodes if isinstance(n, ir.Declaration)
                      and n.pop == post_s.population} - declared - set(params)
        on_pre, post_body = (neuron_names(body, post_names) for body in (on_pre, post_body))
        used = {n for line in lines if line.expr is not None for n in ir.names(line.expr)}
        used |= {n for s in on_pre + post_body for n in ir.names(s.expr) | {s.target}}
        unknown = used - declared - post_names - self._variables(post_s.population) - set(params)
        self._synapse_params[name] = (tuple(params), used, unknown - set(ir.BUILTINS))
        for s in post_body:
            if s.target not in declared:
                raise ModelError(f"on_post writes '{s.target}', which is not a synapse variable of"
                                 f" {what}", post_where, "on_post changes synapse variables only"
                                 " (as in 'w = clip(w + apre, 0, wmax)'); a post neuron's own"
                                 " variables change in its reset")
        for s in on_pre:
            if s.target not in declared and s.target not in self._variables(post_s.population):
                raise ModelError(f"on_pre writes '{s.target}', which is neither a synapse variable"
                                 f" of {what} nor a variable of '{post_s.population}'", where,
                                 did_you_mean(s.target, local)
                                 or f"synapse variables: {', '.join(sorted(declared))}")
        variables = tuple(v if v.decay is None else
                          v.replace(decay=fold(v.decay, local.__contains__)) for v in variables)
        plasticity = ir.Plasticity(variables, tuple(synapse_params), folded(on_pre, local),
                                   folded(post_body, local))
        if not plasticity.post_effects():
            raise ModelError(f"on_pre of {what} adds to no variable of '{post_s.population}'",
                             where, "add the synaptic effect, as in 'ge += w'")
        return ir.plastic_projection(name, pre_s, post_s, connect or ir.AllToAll(), plasticity,
                                     delay, kernel, loc=where)

    def _coupling(self, name, pre_s, post_s, lines, on_pre, on_post, params, init, connect,
                  weights, delay, kernel, loc) -> None:
        what = f"projection '{name}'"
        if on_post is not None:
            raise ModelError(f"{what} has summed variables and on_post", loc,
                             "sum continuously in one projection and learn in another")
        if as_delay(delay, name) != 0.0:
            raise ModelError(f"{what} has summed variables and a delay; summed variables are"
                             " not delayed", loc, "remove delay=...")
        if "w" in init:
            if weights is not None:
                raise ModelError(f"{what} gets its weights twice", loc,
                                 "give weights= or init=dict(w=...), not both")
            weights = init.pop("w")
        constants = {}
        for key, value in params.items():
            number, dim = to_internal(value, f"parameter '{key}' of {what}")
            if isinstance(number, tuple):
                raise ModelError(f"parameter '{key}' of {what} must be one value shared by all"
                                 " synapses", loc)
            constants[key] = ir.Const(number, dim)
        statements, where = ((), loc) if on_pre is None else source_statements(
            on_pre, f"on_pre of {what}")
        moved = pre_state(name, pre_s.population, self._sizes[pre_s.population], lines,
                          folded(statements, set(constants)), constants, init, where)
        if init:
            raise ModelError(f"init gives '{min(init)}', but {what} has no such variable", loc)
        weights = self._per_synapse(weights, pre_s, post_s, loc)
        weight = (None if weights is None else
                  weight_value(weights, loc, pre_s.size, post_s.size))
        post_names = {n.name: n.type.dim for n in self._nodes if isinstance(n, ir.Declaration)
                      and n.pop == post_s.population}
        self._add(*moved.nodes)
        if moved.on_spike:
            self._run_on_spike(pre_s.population, moved.on_spike, where)
        self._add(*coupling_nodes(name, pre_s, post_s, lines, weight, constants | moved.renamed,
                                  connect or ir.AllToAll(), kernel, post_names,
                                  self._sizes[post_s.population], loc))

    def _per_synapse(self, weights, pre: ir.PopSlice, post: ir.PopSlice, where):
        """Weights given as an expression (`"J*exp(-abs(i - j)/10)"`), parsed, with their units
        found from the populations: a `PerSynapse`; other weights as they are."""
        if not isinstance(weights, (str, Parsed)):
            return weights
        expr, loc = source_expr(weights, "weights")
        self._folded_names |= ir.names(expr)  # folded into numbers below: remember their uses
        try:
            kind = ir.synapse_value_kind(ir.Model(self.name, self._nodes), pre.population,
                                         post.population, expr)
        except ir.TypeCheckError as err:
            raise ModelError(err.message, loc, err.hint) from None
        return PerSynapse(ir.fold(expr, lambda n: n in ("i", "j", "N_pre", "N_post")
                                  or n.endswith((ir.PRE, ir.POST))), kind.dim)

    def _run_on_spike(self, pop: str, statements: tuple[ir.Statement, ...], where) -> None:
        """Statements run by the spikes of `pop`, in the order of their projections and before
        those of its own reset (Brian2 runs on_pre in its `synapses` slot, before the resets)."""
        if not any(isinstance(n, ir.Threshold) and n.pop == pop for n in self._nodes):
            raise ModelError(f"on_pre runs when '{pop}' spikes, but it has no threshold", where)
        reset = next((n for n in self._nodes if isinstance(n, ir.Reset) and n.pop == pop), None)
        if reset is None:
            reset = ir.Reset(pop, (), loc=where)
            self._add(reset)
        before = self._on_spike.get(pop, 0)  # statements of earlier projections come first
        body = reset.body[:before] + statements + reset.body[before:]
        self._nodes[self._nodes.index(reset)] = reset.replace(body=body)
        self._on_spike[pop] = before + len(statements)

    def _variables(self, pop: str) -> set[str]:
        return {n.name for n in self._nodes if isinstance(n, ir.StateVar) and n.pop == pop}

    # -- inputs ---------------------------------------------------------------------
    def timed_input(self, pop, name: str, values, period) -> None:
        """A name `name` in `pop`'s equations whose value follows `values` over time, one row
        per `period` (like Brian2's TimedArray): `values` is `[T]` (shared) or `[T, N]`."""
        pop_name = self._population_name(pop)
        size = self._sizes[pop_name]
        q = as_quantity(values)
        raw = np.asarray(q.internal(), dtype=float)
        if raw.ndim not in (1, 2) or (raw.ndim == 2 and raw.shape[1] != size) or raw.shape[0] == 0:
            raise ModelError(f"timed input '{name}' of '{pop_name}' needs values of shape [T] or"
                             f" [T, {size}], got {raw.shape}")
        if not np.all(np.isfinite(raw)):
            raise ModelError(f"timed input '{name}' of '{pop_name}' has non-finite values")
        period_ms, period_dim = to_internal(period, f"period of timed input '{name}'")
        if period_dim != ir.TIME or isinstance(period_ms, tuple) or period_ms <= 0:
            raise ModelError(f"the period of timed input '{name}' must be a positive time, got"
                             f" {period!r}")
        shape = (size,) if raw.ndim == 2 else ()
        self._add(ir.TimedInput(pop_name, name, ir.Type(FLOAT, shape, q.dim), float(period_ms),
                                tuple(float(x) for x in raw.ravel())))

    def poisson_input(self, target, var: str, N: int, rate, weight, *,
                      name: str | None = None, loc: Loc | None = None) -> str:
        """`N` independent Poisson sources of `rate` onto each neuron of `target`, each spike
        adding `weight` to `var` (Brian2's `PoissonInput`: one binomial draw per neuron and
        step, not N sources).  `rate` and `weight` are quantities or expressions of the
        population's names, as "J" or "nu_ext*(1 + 0.1*i/N)"; `loc` is where a model file
        declares the input."""
        pop = self._population_name(target)
        if not isinstance(target, (str, PopulationHandle)):
            raise ModelError(f"Poisson input targets a whole population, not the view {target!r}",
                             hint=f"give '{pop}' and scale its weight per neuron in an expression")
        count = sum(isinstance(n, ir.PoissonInput) for n in self._nodes)
        name = name or f"{pop}_{var}_poisson_{count}"
        check_identifier(name, "Poisson input")
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
            raise ModelError(f"Poisson input '{name}' needs N >= 1 sources, got {N!r}")
        values = [expression(value, f"{what} of Poisson input '{name}'")
                  for value, what in ((rate, "rate"), (weight, "weight"))]
        self._add(ir.PoissonInput(name, pop, var, int(N), *values, loc=loc))
        return name

    def poisson_group(self, name: str, size: int, rate) -> PopulationHandle:
        """A population of `size` neurons that each spike with probability `rate*dt` in every
        step (Brian2's `PoissonGroup`); `rate` is one rate or one per neuron."""
        return self.population(name, size, threshold="rand() < rate*dt", params=dict(rate=rate))

    def spike_generator(self, name: str, times, indices=None, size: int | None = None, *,
                        loc: Loc | None = None) -> PopulationHandle:
        """A population of `size` neurons (by default one more than the largest index) whose
        neuron `indices[k]` spikes at `times[k]` (Brian2's `SpikeGeneratorGroup`, NEST's
        `spike_generator`; without `indices` all times are neuron 0's).  A time t falls in step
        floor(t/dt + 0.001), as in Brian2: on the grid, t = k*dt is step k; off the grid, the
        step that holds it.  The entries are sorted here; a neuron spiking twice in one step is
        refused when the model is compiled, where dt is known."""
        what = f"spike generator '{name}'"
        ms, dim = to_internal(times, f"the times of {what}")
        if not (dim == ir.TIME or dim.is_dimensionless):  # plain numbers are ms
            raise ModelError(f"the times of {what} must be times, got {times!r}", loc,
                             "for example times=[1, 2.5]*ms")
        ms = (ms,) if isinstance(ms, float) else ms
        if indices is None:
            indices = np.zeros(len(ms), int)
        raw = np.atleast_1d(np.asarray(indices))
        if raw.ndim != 1 or (raw.size and (raw.dtype.kind not in "iu"
                                           and not np.all(np.mod(raw, 1) == 0))):
            raise ModelError(f"the indices of {what} must be whole numbers, got {indices!r}", loc)
        raw = raw.astype(int)
        if len(raw) != len(ms):
            raise ModelError(f"{what} has {len(ms)} times but {len(raw)} indices", loc,
                             "give one neuron index per spike time")
        if any(t < 0 for t in ms):
            raise ModelError(f"{what} has a negative spike time, {min(ms):g} ms", loc,
                             "spikes are at times from 0 on")
        if raw.size and raw.min() < 0:
            raise ModelError(f"{what} has a negative neuron index, {raw.min()}", loc)
        if size is None:
            size = int(raw.max()) + 1 if raw.size else 1
        elif raw.size and raw.max() >= size:
            raise ModelError(f"{what} has {size} neurons, so no neuron {raw.max()}", loc,
                             f"indices lie in [0, {size})")
        entries = sorted(zip(ms, (int(i) for i in raw)))
        handle = self.population(name, size, loc=loc)
        self._add(ir.SpikeGenerator(name, tuple(t for t, _ in entries),
                                    tuple(i for _, i in entries), loc=loc))
        return handle

    # -- monitors -------------------------------------------------------------------
    def monitor_spikes(self, pop, *, loc: ir.Loc | None = None) -> None:
        """Record the spikes of a population (for a view, of its whole population); `loc` is
        where the monitor is written, for messages."""
        self._add(ir.SpikeMonitor(self._population_name(pop), loc=loc))

    def monitor_rate(self, pop, *, loc: ir.Loc | None = None) -> None:
        self._add(ir.RateMonitor(self._population_name(pop), loc=loc))

    def monitor(self, pop, var: str, indices=None, every: int = 1, *,
                loc: ir.Loc | None = None) -> None:
        """Record `var` of the neurons `indices` (relative to a view's start; all if None) every
        k steps."""
        name = self._population_name(pop)
        view = ir.PopSlice(name, 0, self._sizes[name]) if isinstance(pop, str) else as_slice(pop)
        # each index is kept in the IR; a range is counted without being made into a list
        count = (view.size if indices is None else len(indices) if isinstance(indices, range)
                 else np.size(indices))
        ir.check_fits(_INDEX_BYTES * count, f"a monitor of {name}.{var} on {count} neurons", loc,
                      "monitor a few neurons: P.v[0, 1, 2]")
        chosen = range(view.size) if indices is None else [int(i) for i in np.atleast_1d(indices)]
        if any(not 0 <= i < view.size for i in chosen):
            raise ModelError(f"monitor indices for '{view.text()}' must lie in [0, {view.size})")
        chosen = tuple(view.start + i for i in chosen)
        if int(every) < 1:
            raise ModelError(f"monitor of '{name}.{var}': every must be at least 1, got {every}")
        self._add(ir.StateMonitor(name, var, chosen, int(every), loc=loc))

    def _population_name(self, pop) -> str:
        name = pop if isinstance(pop, str) else getattr(pop, "population", None)
        if name not in self._sizes:
            raise ModelError(f"unknown population {pop!r}",
                             hint=did_you_mean(str(name), self._sizes))
        return name

    def _add(self, *nodes: ir.Node) -> None:
        """Append nodes; a second node with the same id (a second monitor of the same
        variable, two projections with one name …) is an error here, where it is made."""
        for node in nodes:
            if node.id in self._ids:
                raise ModelError(f"'{node.id}' is defined twice: {node.text().splitlines()[0]}",
                                 hint=_TWICE.get(type(node)))
        self._ids.update(node.id for node in nodes)
        self._nodes += nodes

    def build(self, *, unused_params: bool = False) -> ir.Model:
        """The model.  A population that holds nothing, or a `params=` entry that nothing uses
        (a misspelt name, most often), is an error; `unused_params=True` lets the latter pass
        (a model file's `parameters` blocks may declare more than one network uses)."""
        model = ir.Model(self.name, self._nodes)
        for pop in model.populations:
            check_not_empty(model, pop)
        if not unused_params:
            check_params_used(model, self._given_params, self._synapse_params,
                              self._folded_names)
        return model


_TWICE = {
    ir.SpikeMonitor: "one spike monitor records all the neurons of a population, views included",
    ir.RateMonitor: "one rate monitor records all the neurons of a population, views included",
    ir.StateMonitor: "record a variable with one monitor, listing all the neurons in it",
    ir.Projection: "give each projection its own name",
    ir.Coupling: "give each projection its own name",
    ir.TimedInput: "a name has one input",
}
