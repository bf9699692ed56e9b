"""The Python builder: `Network` collects populations, projections and monitors
and `build()` turns them into one `ir.Model`.

Quantities given by the user (`20*ms`) are converted here into the internal
unit system, so the IR only holds plain numbers with their dimensions.
Equation strings are Brian2's; errors point into them.

The `.nfl` language calls the same methods: it parses equations, conditions and
statements itself (so their locations point into the file) and hands them over
as `EquationLine`s and `Parsed` values instead of strings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import (Dimension, Loc, ModelError, Random, as_quantity, decompose, did_you_mean, fold,
                  get_unit)
from .. import ir
from ._coupling import coupling_nodes, is_summed, pre_state
from ._equations import EquationLine, parse_equations
from ._given import check_not_empty, check_params_used

FLOAT = "float"
_INDEX_BYTES = 40  # a monitored neuron's index in the IR: a Python int in a tuple


@dataclass(frozen=True, slots=True)
class Parsed:
    """Model text a frontend has already parsed: an expression (a threshold, a refractory
    period), statements (a reset) or one statement (an `on_pre`), with where it was written."""

    value: ir.Expr | ir.Statement | tuple[ir.Statement, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class PerSynapse:
    """Weights computed for each synapse from an expression, with their dimension."""

    expr: ir.Expr
    dim: Dimension


def to_internal(value, what: str) -> tuple[float | tuple, Dimension]:
    """A user value (number, quantity, array) as internal-unit numbers and its dimension."""
    q = as_quantity(value)
    raw = np.asarray(q.internal(), dtype=float)
    if not np.all(np.isfinite(raw)):
        raise ModelError(f"{what} must be finite, got {value!r}")
    if raw.ndim == 0:
        return float(raw), q.dim
    if raw.ndim != 1:
        raise ModelError(f"{what} must be a number or a 1-d array, got shape {raw.shape}")
    return tuple(float(x) for x in raw), q.dim


def to_value(value, what: str, size: int) -> tuple[ir.Value, Dimension, tuple[int, ...]]:
    """Convert a user value into an IR `Value`, its dimension and its shape."""
    if isinstance(value, Random):
        dist, dim = value.to_ir()
        return dist, dim, (size,)
    number, dim = to_internal(value, what)
    if isinstance(number, tuple):
        if len(number) != size:
            raise ModelError(f"{what} has {len(number)} values but the population has {size}"
                             " neurons")
        return number, dim, (size,)
    return number, dim, ()


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
        _check_identifier(name, "network")
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
        _check_identifier(name, "population")
        if name in self._sizes:
            raise ModelError(f"a population named '{name}' already exists")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ModelError(f"population '{name}' must have a positive whole number of neurons,"
                             f" got {size!r}", hint="for example net.population('P', 100, ...)")
        size = int(size)
        lines = _equation_lines(equations, f"equations of population '{name}'")
        method, options = _method(method, name, loc)
        nodes: list[ir.Node] = [ir.Population(name, size, method, options, loc=loc)]
        nodes += _declared_nodes(name, size, lines, dict(params or {}), dict(init or {}))
        # a value for a parameter the equations declare ('k : 1 (constant)') is given on purpose
        self._given_params[name] = tuple(n for n in params or () if n not in
                                         {line.name for line in lines})
        if threshold is not None:
            cond, where = _source_expr(threshold, f"threshold of '{name}'")
            if isinstance(surrogate, str):
                surrogate = ir.parse_surrogate(surrogate, what=f"surrogate of '{name}'")
            nodes.append(ir.Threshold(name, cond, surrogate, loc=where))
        elif surrogate is not None:
            raise ModelError(f"population '{name}' has a surrogate but no threshold")
        if reset is not None:
            body, where = _source_statements(reset, f"reset of '{name}'")
            nodes.append(ir.Reset(name, body, loc=where))
        if refractory is not None:
            period, where = _period(refractory, name)
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
        _check_identifier(name, "projection")
        self._projection_count += 1
        lines = () if model is None else _equation_lines(model, f"model of projection '{name}'")
        if any(is_summed(line) for line in lines):
            self._coupling(name, pre_s, post_s, lines, on_pre, on_post, dict(params or {}),
                           dict(init or {}), connect, weights, delay, kernel, loc)
            return name
        if on_pre is None:
            raise ModelError(f"projection '{name}' has no on_pre", loc, "give the effect of a"
                             " spike, as on_pre='ge += w', or a model with summed variables")
        statements, where = _source_statements(on_pre, f"on_pre of projection '{name}'")
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
        weight, weight_dim, weight_shape, effect = _weights(effect, weights, where, pre_s.size,
                                                            post_s.size)
        delay_value = _delay(delay, name)
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
        delay = _delay(delay, name)
        if not isinstance(delay, float):
            raise ModelError(f"{what} is plastic and has one delay per synapse; plastic"
                             " projections have one delay for all synapses", where,
                             "give one delay, as delay=2*ms")
        if kernel not in (ir.Kernel.AUTO, ir.Kernel.EVENT_PLASTIC):
            raise ModelError(f"{what} is plastic, which only the 'event_plastic' kernel runs, not"
                             f" '{kernel}'")
        lines = _equation_lines(model, f"model of {what}")
        if weights is not None:
            if "w" in init or "w" not in {line.name for line in lines}:
                raise ModelError(f"{what}: weights= gives the initial values of the synapse"
                                 " variable 'w'", where, "declare 'w : 1' in model= and give"
                                 " weights= or init=dict(w=...), not both")
            init["w"] = weights
        variables = tuple(_synapse_var(line, init.pop(line.name, 0.0), what) for line in lines)
        declared = {v.name for v in variables}
        _check_init_used(init, declared, f"a synapse variable of {what}")
        synapse_params = []
        for key, value in params.items():
            _check_reserved(key, what, None)
            if key in declared:
                raise ModelError(f"'{key}' of {what} is a synapse variable, not a parameter",
                                 hint=f"set its initial value with init=dict({key}=...)")
            number, dim = to_internal(value, f"parameter '{key}' of {what}")
            if isinstance(number, tuple):
                raise ModelError(f"parameter '{key}' of {what} must be one value shared by all"
                                 " synapses")
            synapse_params.append(ir.SynapseParam(key, ir.Type(FLOAT, (), dim), number))
        local = declared | set(params) | self._variables(post_s.population)
        post_body, post_where = (_source_statements(on_post, f"on_post of {what}") if on_post
                                 else ((), None))
        post_names = {n.name for n in self._nodes if isinstance(n, ir.Declaration)
                      and n.pop == post_s.population} - declared - set(params)
        on_pre, post_body = (_neuron_names(body, post_names) for body in (on_pre, post_body))
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
        plasticity = ir.Plasticity(variables, tuple(synapse_params), _folded(on_pre, local),
                                   _folded(post_body, local))
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
        if _delay(delay, name) != 0.0:
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
        statements, where = ((), loc) if on_pre is None else _source_statements(
            on_pre, f"on_pre of {what}")
        moved = pre_state(name, pre_s.population, self._sizes[pre_s.population], lines,
                          _folded(statements, set(constants)), constants, init, where)
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
        expr, loc = _source_expr(weights, "weights")
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
        _check_identifier(name, "Poisson input")
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
            raise ModelError(f"Poisson input '{name}' needs N >= 1 sources, got {N!r}")
        values = [_expression(value, f"{what} of Poisson input '{name}'")
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


def _method(text: str, pop: str, loc: Loc | None) -> tuple[ir.Method, tuple]:
    """`"rkf45"` or `"rkf45(rtol=0, atol=1e-3, events=1)"`: the method and its options (numbers;
    `integrate` checks their names against the method)."""
    name, _, rest = str(text).partition("(")
    options = []
    if rest:
        if not rest.rstrip().endswith(")"):
            raise ModelError(f"the method of population '{pop}' misses its ')': {text!r}", loc)
        for item in filter(None, (i.strip() for i in rest.rstrip()[:-1].split(","))):
            key, equals, value = item.partition("=")
            try:
                options.append((key.strip(), float(value)))
            except ValueError:
                equals = ""
            if not equals or not key.strip().isidentifier():
                raise ModelError(f"the method options of population '{pop}' are name=number"
                                 f" pairs, got {item!r}", loc, "for example rkf45(atol=1e-3)")
    return ir.Method(name.strip()), tuple(options)


def _delay(delay, name: str) -> ir.Value:
    """One delay for all synapses (a time), one per synapse (an array), or a distribution."""
    what = f"delay of projection '{name}'"
    value, dim = delay.to_ir() if isinstance(delay, Random) else to_internal(delay, what)
    if not (dim == ir.TIME or dim.is_dimensionless):  # plain numbers are ms
        raise ModelError(f"the {what} must be a time, got {delay!r}",
                         hint="for example delay=1.5*ms")
    return value


_TWICE = {
    ir.SpikeMonitor: "one spike monitor records all the neurons of a population, views included",
    ir.RateMonitor: "one rate monitor records all the neurons of a population, views included",
    ir.StateMonitor: "record a variable with one monitor, listing all the neurons in it",
    ir.Projection: "give each projection its own name",
    ir.Coupling: "give each projection its own name",
    ir.TimedInput: "a name has one input",
}


def _synapse_var(line: EquationLine, value, what: str) -> ir.SynapseVar:
    """A synapse variable from a line of a synapse model: `w : 1` or an event-driven equation."""
    if line.kind == "sub" or (line.kind == "param" and line.flags - {"constant"}):
        raise ModelError(f"the synapse model of {what} supports variables ('w : 1') and"
                         " event-driven equations", line.loc, "write a subexpression into the"
                         " statements; give shared values in params=")
    decay = None
    if line.kind == "ode":
        if "event-driven" not in line.flags:
            raise ModelError(f"the equation of '{line.name}' in {what} must be (event-driven)",
                             line.loc, "synapse variables evolve only when an event touches the"
                             " synapse")
        decay = line.expr
        linear = decompose(decay, {line.name})
        if linear is None or ir.names(linear[1]) & {line.name}:
            raise ModelError(f"the event-driven equation of '{line.name}' in {what} is not linear"
                             f" in '{line.name}'", line.loc, "event-driven equations decay"
                             " exactly: dx/dt = -x/tau")
    _check_reserved(line.name, what, line.loc)
    what_init = f"initial value of '{line.name}' in {what}"
    init, dim = value.to_ir() if isinstance(value, Random) else to_internal(value, what_init)
    if dim != line.dim and not (dim.is_dimensionless and init == 0.0):
        raise ModelError(f"{what_init} is in {dim} but it is declared in {line.dim}", line.loc)
    return ir.SynapseVar(line.name, ir.Type(FLOAT, (), line.dim), init, decay)


def _neuron_names(body: tuple[ir.Statement, ...], post: set[str]) -> tuple[ir.Statement, ...]:
    """Synapse statements with the post neuron's names as Brian2 reads them: `v` that is no
    synapse name is `v_post` in expressions; a target `v_post` is the post variable `v`."""
    renamed = {n: ir.Ref(n + ir.POST) for n in post}
    return tuple(ir.Statement(s.target[:-len(ir.POST)] if s.target.endswith(ir.POST)
                              else s.target, s.op, ir.substitute(s.expr, renamed)) for s in body)


def _folded(body: tuple[ir.Statement, ...], local: set[str]) -> tuple[ir.Statement, ...]:
    """Statements with unit names folded into constants
    (`apre += 0.01*mV` -> `apre += 0.01<mV>`)."""
    return tuple(ir.Statement(s.target, s.op, fold(s.expr, lambda n: n in local
                                                   or n.endswith((ir.PRE, ir.POST))))
                 for s in body)


def _equation_lines(equations: str | tuple[EquationLine, ...],
                    origin: str) -> tuple[EquationLine, ...]:
    if not isinstance(equations, str):
        return tuple(equations)
    return parse_equations(equations, origin) if equations.strip() else ()


def _source_expr(source: str | Parsed, origin: str) -> tuple[ir.Expr, Loc]:
    """An expression given as text or already parsed, and where it was written."""
    if isinstance(source, Parsed):
        return source.value, source.loc
    where = Loc(origin, 1, 1, source)
    return ir.parse_expr(source, where, what=origin), where


def _source_statements(source: str | Parsed, origin: str) -> tuple[tuple[ir.Statement, ...], Loc]:
    """Statements given as text (`v = Vr; w += b`) or already parsed, and where they were
    written."""
    if isinstance(source, Parsed):
        value = source.value
        return ((value,) if isinstance(value, ir.Statement) else tuple(value)), source.loc
    where = Loc(origin, 1, 1, source)
    return ir.parse_statements(source, where, what=origin), where


def _expression(value, what: str) -> ir.Expr:
    """A quantity as a constant, or an expression given as text (or parsed)."""
    if isinstance(value, (str, Parsed)):
        return _source_expr(value, what)[0]
    number, dim = to_internal(value, what)
    if isinstance(number, tuple):
        raise ModelError(f"the {what} must be one value or an expression, got an array",
                         hint="give per-neuron values as a parameter of the population and"
                              " name it here")
    return ir.Const(number, dim)


def _period(refractory, pop: str) -> tuple[ir.Expr, Loc | None]:
    origin = f"refractory period of '{pop}'"
    if isinstance(refractory, (str, Parsed)):
        return _source_expr(refractory, origin)
    value, dim = to_internal(refractory, origin)
    # a plain number is ms, for unitless models; a model with units then reports the mismatch
    if isinstance(value, tuple) or dim not in (ir.TIME, ir.DIMENSIONLESS) or value < 0:
        raise ModelError(f"the refractory period of '{pop}' must be a non-negative time, got"
                         f" {refractory!r}", hint="for example refractory=5*ms")
    return ir.Const(value, dim), None


def _declared_nodes(pop: str, size: int, lines: tuple[EquationLine, ...], params: dict,
                    init: dict) -> list:
    nodes: list[ir.Node] = []
    declared = {line.name for line in lines}
    for name, loc in [(line.name, line.loc) for line in lines] + [(n, None) for n in params]:
        _check_reserved(name, f"'{pop}'", loc)
    for line in lines:
        synapse_only = line.flags & {"summed", "clock-driven"}
        if synapse_only:
            raise ModelError(f"'{line.name}' of '{pop}' is ({min(synapse_only)}), which only a"
                             " synapse model can be", line.loc, "move the line into the model= of"
                             " a projection")
        shape = () if "shared" in line.flags else (size,)
        type_ = ir.Type(FLOAT, shape, line.dim)
        if line.kind == "sub":
            nodes.append(ir.Subexpression(pop, line.name, type_, line.expr, loc=line.loc))
        elif line.kind == "param" and ("constant" in line.flags or "shared" in line.flags):
            if line.name not in params:
                raise ModelError(f"parameter '{line.name}' of '{pop}' has no value", line.loc,
                                 f"give it in params=dict({line.name}=...)")
            nodes.append(_parameter(pop, line.name, params.pop(line.name), size, line.dim, shape,
                                    line.loc))
        else:  # the variable of an ODE, or one changed only by resets and synapses
            nodes.append(ir.StateVar(pop, line.name, type_, _initial(pop, line, init, size),
                                     loc=line.loc))
    for line in lines:
        if line.kind == "ode":
            nodes.append(ir.ODE(pop, line.name, line.expr, "unless refractory" in line.flags,
                                loc=line.loc))
    for name, value in params.items():
        if name in declared:
            raise ModelError(f"'{name}' of '{pop}' is a variable, not a parameter",
                             hint=f"set its initial value with init=dict({name}=...)")
        nodes.append(_parameter(pop, name, value, size, None, None, None))
    _check_init_used(set(init) - declared, declared, f"a variable of '{pop}'")
    return nodes


def _check_init_used(unused, declared: set[str], what: str) -> None:
    """`init=` gives values to declared variables only: refuse the first of the `unused`."""
    if unused:
        name = min(unused)
        raise ModelError(f"init gives '{name}', which is not {what}",
                         hint=did_you_mean(name, sorted(declared), "variables"))


def _parameter(pop, name, value, size, dim, shape, loc) -> ir.Parameter:
    what = f"parameter '{name}' of '{pop}'"
    number, value_dim, value_shape = to_value(value, what, size)
    if dim is not None and value_dim != dim:
        raise ModelError(f"{what} is declared in {dim} but given in {value_dim}", loc)
    if shape == () and value_shape != ():
        raise ModelError(f"{what} is shared but given one value per neuron", loc)
    return ir.Parameter(pop, name, ir.Type(FLOAT, value_shape if shape is None else shape,
                                           value_dim), number, loc=loc)


def _initial(pop: str, line: EquationLine, init: dict, size: int) -> ir.Value:
    if line.name not in init:
        return 0.0
    what = f"initial value of '{line.name}' in '{pop}'"
    value, dim, _ = to_value(init[line.name], what, size)
    if dim != line.dim and not (dim.is_dimensionless and value == 0.0):
        raise ModelError(f"{what} is in {dim} but '{line.name}' is declared in {line.dim}",
                         line.loc)
    return value


def _weights(effect: ir.Statement, weights, where: Loc, n_pre: int, n_post: int):
    """Bring an effect into the form `target += <expr using w>` with explicit weights.

    Returns `(value, dimension, shape, effect)`; the shape is `()` for one weight,
    `(n_synapses,)` for one per synapse and `(n_pre, n_post)` for a weight matrix."""
    uses_w = "w" in ir.names(effect.expr)
    if weights is None and not uses_w:
        # `ge += 0.6`: the constant becomes the weight, so every kernel only sums weights.
        if any(get_unit(n) is None for n in ir.names(effect.expr)):
            raise ModelError("on_pre without weights must add a constant or use 'w'", where,
                             "pass weights=... and write the effect with 'w'")
        value = fold(effect.expr)
        if not isinstance(value, ir.Const):
            raise ModelError(f"'{ir.to_text(effect.expr)}' is not a constant", where)
        return value.value, value.dim, (), ir.Statement(effect.target, effect.op, ir.Ref("w"))
    if weights is None:
        raise ModelError("on_pre uses 'w' but the projection has no weights", where,
                         "pass weights=...")
    if not uses_w:
        raise ModelError("the projection has weights but on_pre does not use 'w'", where,
                         f"write '{effect.target} {effect.op} w'")
    return (*weight_value(weights, where, n_pre, n_post), effect)


def weight_value(weights, where: Loc | None, n_pre: int,
                 n_post: int) -> tuple[ir.Value, Dimension, tuple[int, ...]]:
    """Weights as an IR value, its dimension and its shape: `()` for one weight or a
    distribution, `(n_synapses,)` for one per synapse, `(n_pre, n_post)` for a matrix."""
    if isinstance(weights, Random):
        dist, dim = weights.to_ir()
        return dist, dim, ()
    if isinstance(weights, PerSynapse):
        return weights.expr, weights.dim, ()
    q = as_quantity(weights)
    raw = np.asarray(q.internal(), dtype=float)
    if raw.ndim == 2 and raw.shape != (n_pre, n_post):
        raise ModelError(f"a weight matrix must have shape ({n_pre}, {n_post}), got {raw.shape}",
                         where)
    if raw.ndim > 2 or not np.all(np.isfinite(raw)):
        raise ModelError("weights must be a number, one finite value per synapse, or a (pre, post)"
                         " matrix", where)
    value = float(raw) if raw.ndim == 0 else tuple(float(x) for x in raw.ravel())
    return value, q.dim, raw.shape


def _check_reserved(name: str, owner: str, loc: Loc | None) -> None:
    """Names that start with '_' are neuroflow's own (`_lastspike`, temporaries of the step,
    and in generated C++ the compiler's macros such as `__LINE__`): a model cannot use them."""
    if name.startswith("_"):
        raise ModelError(f"'{name}' of {owner} starts with '_', which neuroflow keeps for its"
                         " own names", loc, hint=f"rename it, e.g. '{name.lstrip('_') or 'x'}'")


def _check_identifier(name, what: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelError(f"{what} name {name!r} is not a valid identifier",
                         hint="use letters, digits and _")
