"""`lower(model, dt, dtype) -> Program`: the scheduled IR as one pure JAX step.

The step walks the `Schedule` and calls the lowering rule of each node's type (a table, as
`eval_jaxpr` does).  Everything that can change between runs — parameters, connectivity, initial
state — enters the step as arrays, so a new parameter value never triggers a recompilation.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.ad_checkpoint import checkpoint_name

from ... import ir
from . import _native, _native_kernels
from ._adaptive import adaptive_step
from ._coupling import COUPLING_KERNELS
from ._device import to_device
from ._expr import evaluate
from ._fused import native_blocks
from ._generator import SpikeTable, lower_generator
from ._gradients import MARGIN, SpikeGradients, blend, crossing, spike_function
from ._kernels import KERNELS, draw_synapses, per_synapse
from ._linear import LinearSolver
from ._plastic import PLASTIC
from ._scope import jax_scope, jit
from ._step import (LASTSPIKE, NEVER, LocalPartition, LoweringError, PopulationEnv, StepContext,
                    all_spikes, all_spikes_packed, all_values, packed_own, per_neuron,
                    record_history, refractory_mask)
from ._threefry import fold_in
from ._rings import write_spike_rings
from ._synaptic import effect_scale, lower_coupling, lower_poisson, lower_projection


def _lower_update(node: ir.StateUpdate, ctx: StepContext):
    record_history(node.pop, ctx)
    refractory_mask(ctx, node.pop)
    env = PopulationEnv(ctx, node.pop)
    new: dict = {}
    for item in node.body:
        if isinstance(item, ir.LinearSystem):
            new.update(ctx.program.linear[node.pop].apply(item, env, ctx.derived.get(node.pop)))
        elif isinstance(item, ir.AdaptiveSystem):
            new.update(adaptive_step(item, ctx, node.pop))
        elif item.target.startswith("_"):
            env.temps[item.target] = evaluate(item.expr, env)
        else:
            new[item.target] = evaluate(item.expr, env)
    state = ctx.pops[node.pop]
    for var, value in new.items():
        value = jnp.asarray(value, ctx.program.dtype)
        if var in node.hold:
            value = jnp.where(ctx.not_refractory[node.pop], value, state[var])
        state[var] = jnp.broadcast_to(value, state[var].shape)


def _lower_threshold(node: ir.Threshold, ctx: StepContext):
    if node.pop in ctx.program.events_in_step:  # tested after every sub-step of the update
        return
    refractory_mask(ctx, node.pop)
    size = ctx.program.sizes[node.pop]
    env = PopulationEnv(ctx, node.pop)
    gradients = ctx.program.gradients
    if gradients is None:
        spikes = per_neuron(evaluate(node.cond, env), size, bool)
    else:  # spikes as numbers too, whose slope is the surrogate's
        margin, strict = ir.threshold_margin(node.cond)
        spike = spike_function(node.surrogate or gradients.default, strict, gradients.smooth)
        x = per_neuron(evaluate(margin, env), size, ctx.program.dtype)
        if node.pop in ctx.program.integrated:  # else recomputed from the step's inputs
            x = checkpoint_name(x, MARGIN)
        values, spikes = spike(x), (x > 0) if strict else (x >= 0)
    if node.pop in ctx.program.refractory:
        spikes = spikes & ctx.not_refractory[node.pop]
        state = ctx.pops[node.pop]
        state[LASTSPIKE] = jnp.where(spikes, ctx.step, state[LASTSPIKE])
        if gradients is not None:
            values = values * ctx.not_refractory[node.pop]
    ctx.spikes[node.pop] = spikes
    if gradients is not None:
        ctx.spike_values[node.pop] = values


def _lower_reset(node: ir.Reset, ctx: StepContext):
    if node.pop in ctx.program.events_in_step:  # applied at the sub-step of the crossing
        return
    spikes = ctx.spikes[node.pop]
    values = ctx.spike_values.get(node.pop)
    gradients = ctx.program.gradients
    detached = ctx.program.detached.get(node.pop, set())
    state = ctx.pops[node.pop]
    for statement in node.body:
        old = state[statement.target]
        detach = statement.target in detached
        if (values is not None and detach and not gradients.smooth and statement.op in ("+=", "-=")
                and statement.target not in ir.names(statement.expr)):
            # `v -= Vt`, detached: the same values as the blend, with the gradient of `v` the
            # identity (no select of the spikes kept for the backward pass)
            change = jnp.asarray(evaluate(statement.expr, PopulationEnv(ctx, node.pop)), old.dtype)
            change = jnp.where(spikes, change, jnp.zeros((), old.dtype))
            state[statement.target] = old + change if statement.op == "+=" else old - change
            continue
        value = evaluate(statement.as_assignment(), PopulationEnv(ctx, node.pop))
        value = jnp.asarray(value, old.dtype)
        state[statement.target] = (jnp.where(spikes, value, old) if values is None
                                   else blend(spikes, values, value, old, gradients, detach))



def _lower_spike_monitor(node: ir.SpikeMonitor, ctx: StepContext):
    # one bit per neuron and step: a chunk of a large population's spikes stays small
    if node.neurons is None:
        packed = all_spikes_packed(ctx, node.pop)
    else:
        packed = jnp.packbits(all_spikes(ctx, node.pop)[node.neurons[0]:node.neurons[1]])
    ctx.outputs.setdefault("spikes", {})[node.pop] = packed


# Up to this many segments, a rate monitor counts each over a static slice (one reduction each);
# beyond, with one scatter (`segment_sum`).  CPU time per step in a scan of 1000 steps (2-core
# machine, 4 segments): 4000 neurons, slices 2.3-4.5 us (the whole population's one sum 1.5-2.4 us),
# segment_sum 11-15 us, a cumsum read at the bounds 38 us; 64000 neurons, slices 39-48 us like one
# sum, segment_sum 180-240 us, cumsum 374 us.  From about 8 slices XLA:CPU pays ~2.5 us for each
# (2000 neurons, 8 segments: slices 17 us, segment_sum 7 us).  On an H100 slices cost 7-11 us per
# step with 4 to 16 segments, segment_sum 7 us at 4000 neurons but 24 us at 64000, cumsum 15-22 us.
SLICED_SEGMENTS = 6


def _lower_rate_monitor(node: ir.RateMonitor, ctx: StepContext):
    spikes = all_spikes(ctx, node.pop)
    segments = len(node.bounds) - 1
    if not node.bounds:
        native = (ctx.program.native and ctx.program.gradients is None
                  and _native.available())  # one call, not XLA's conversion and three reductions
        count = _native_kernels.count(spikes) if native else jnp.sum(spikes, dtype=jnp.int32)
    elif segments <= SLICED_SEGMENTS:
        ends = zip(node.bounds, node.bounds[1:])
        count = jnp.stack([jnp.sum(spikes[start:stop], dtype=jnp.int32) for start, stop in ends])
    else:
        ids = np.repeat(np.arange(segments), np.diff(node.bounds))
        count = jax.ops.segment_sum(spikes.astype(jnp.int32), ids, segments,
                                    indices_are_sorted=True)
    ctx.outputs.setdefault("rate", {})[node.pop] = count


def _lower_state_monitor(node: ir.StateMonitor, ctx: StepContext):
    value = PopulationEnv(ctx, node.pop).lookup(node.var)
    value = per_neuron(value, ctx.program.sizes[node.pop], ctx.program.dtype)
    partition = ctx.program.partition
    if partition is not None and partition.exchange > 1:  # gathered with the interval's spikes
        ctx.outputs.setdefault("trace", {})[f"{node.pop}.{node.var}"] = value
        return
    value = all_values(ctx, node.pop, value)
    ctx.outputs.setdefault("trace", {})[f"{node.pop}.{node.var}"] = value[jnp.asarray(node.indices)]


def _lower_fused(node: ir.FusedUpdate, ctx: StepContext):
    native = ctx.program.native_blocks.get(node.id)
    if native is None:  # XLA fuses what it can of the member operations
        for op in node.ops:
            member = ctx.program.model.get(op)
            LOWERINGS[type(member)](member, ctx)
        return
    record_history(node.pop, ctx)
    refractory_mask(ctx, node.pop)  # for later operations of the step that read it
    native(ctx)


STATE_LAYOUT = 3
"""The layout of a run's state arrays (what a checkpoint in a file holds): raised whenever an
array changes shape or meaning, so that a file written before is refused rather than resumed
with arrays the step misreads.  2: spike rings have one row more than their delay's steps.  3:
a partitioned run's spike rings hold the whole population's exchanged bits."""

COUPLING_INDEX = 1 << 20  # procedural couplings draw after any number of projections

LOWERINGS: dict[type, Callable] = {
    ir.StateUpdate: _lower_update, ir.Threshold: _lower_threshold, ir.Reset: _lower_reset,
    ir.FusedUpdate: _lower_fused, ir.SpikeGenerator: lower_generator,
    ir.Projection: lower_projection, ir.Coupling: lower_coupling,
    ir.PoissonInput: lower_poisson, ir.SpikeMonitor: _lower_spike_monitor,
    ir.RateMonitor: _lower_rate_monitor, ir.StateMonitor: _lower_state_monitor,
}



class Program:
    """The lowered model: initial values, parameters, connectivity, and one pure `step`."""

    def __init__(self, model: ir.Model, dt: float, dtype: str, native: bool = True,
                 gradients: SpikeGradients | None = None):
        schedule = model.get("schedule")
        if schedule is None:
            raise LoweringError("the model has no schedule; run the 'schedule' pass before"
                                " lowering")
        if model.find(ir.ODE):
            raise LoweringError("the model still has ODEs; run the 'integrate' pass before"
                                " lowering")
        clock = model.get("clock")
        if isinstance(clock, ir.Clock) and abs(clock.dt - dt) > 1e-12 * dt:
            raise LoweringError(f"the model was compiled for dt = {clock.dt} ms, not {dt} ms")
        self.model, self.dt, self.dtype = model, float(dt), jnp.dtype(dtype)
        self.native = native and _native.expected()  # decided; built by the first trace
        self.gradients = gradients
        self.detached: dict[str, set[str]] = {}  # population -> resets cut from the spike's slope
        if gradients is not None:
            _check_differentiable(model)
            if gradients.detach_reset:
                self.detached = {t.pop: crossing(t.cond) for t in model.find(ir.Threshold)}
        self.sizes = {p.name: p.size for p in model.populations}  # the neurons the step holds
        self.total_sizes = self.sizes  # the populations' sizes; more when partitioned
        self.partition: LocalPartition | None = None  # set on the copy each device runs
        self.integrated = {u.pop for u in model.find(ir.StateUpdate)}
        self.subexpressions = {p: {s.name: s for s in model.find(ir.Subexpression, p)}
                               for p in self.sizes}
        self.refractory = {r.pop: r for r in model.find(ir.Refractory)}
        self.held = {u.pop: set(u.hold) for u in model.find(ir.StateUpdate)
                     if u.hold and u.pop in self.refractory}  # `unless refractory` variables
        self.inputs = {p: {i.name: i for i in model.find(ir.TimedInput, p)} for p in self.sizes}
        self.events_in_step = {u.pop for u in model.find(ir.StateUpdate) for i in u.body
                               if isinstance(i, ir.AdaptiveSystem) and i.events}
        self.generators = {g.pop: SpikeTable(g, self.dt, self.sizes[g.pop])
                           for g in model.find(ir.SpikeGenerator)}
        self.operations = [model.get(i) for i in schedule.order]
        for op in self.operations:
            if type(op) not in LOWERINGS:
                raise LoweringError(f"no JAX lowering rule for {type(op).__name__} ('{op.id}')")
        self.buffers = {b.source: b for b in model.find(ir.DelayBuffer)}
        # projection -> (the spikes ring it reads, its delay in steps)
        self.spike_rings = {name: (b.source, steps)
                            for b in self.buffers.values() if b.kind == ir.BufferKind.SPIKES
                            for name, steps in (b.readers or ((b.source, b.steps),))}
        for proj in model.find(ir.Projection):
            if proj.plasticity is not None:
                buffer = self.buffers.get(proj.name)
                if proj.kernel != ir.Kernel.EVENT_PLASTIC or (
                        buffer is not None and buffer.kind != ir.BufferKind.SPIKES):
                    raise LoweringError(f"projection '{proj.name}' is plastic: it needs the"
                                        " 'event_plastic' kernel and one delay for all synapses",
                                        hint="run the 'kernels' and 'delays' passes")
                continue
            if proj.kernel not in KERNELS:
                raise LoweringError(f"projection '{proj.name}': JAX has no kernel '{proj.kernel}'",
                                    hint=f"run the 'kernels' pass; JAX runs {', '.join(KERNELS)}")
            delayed = proj.heterogeneous_delay or proj.delay * 1.0 >= self.dt / 2
            if delayed and proj.name not in self.buffers and proj.name not in self.spike_rings:
                raise LoweringError(f"projection '{proj.name}' is delayed but has no delay buffer",
                                    hint="run the 'delays' pass before lowering")
        self.summed_neurons = self._summed_neurons(model)
        self.effect_scale = {p.name: effect_scale(p) for p in model.find(ir.Projection)
                             if p.plasticity is None}
        self.histories: dict[str, list[str]] = {}
        for source, buffer in self.buffers.items():
            if buffer.kind == ir.BufferKind.HISTORY:
                pop, var = source.split(".")
                self.histories.setdefault(pop, []).append(var)
                if model.one(ir.StateUpdate, pop) is None:
                    raise LoweringError(f"'{source}' is read in the past but '{pop}' has no state"
                                        " update to record it")
        self.linear = {u.pop: LinearSolver(self, u) for u in model.find(ir.StateUpdate)
                       if any(isinstance(i, ir.LinearSystem) for i in u.body)}
        # generated blocks have no gradient: a differentiable step lets XLA fuse the operations
        self.native_blocks = native_blocks(self) if gradients is None else {}
        # one compiled program per Program (not a jit over `self`, whose cache would keep every
        # Program alive): run op by op, the matrix exponentials would compile some twenty small
        # programs in every new process, tens of milliseconds each before the first result
        self._prepare = jit(self._propagators)
        # random numbers are named by (source << 20) + the source's draw in the step: population
        # k is source k, Poisson input k source len(populations) + k
        self.poisson_salt = {node.name: (len(self.sizes) + k) << 20
                             for k, node in enumerate(model.find(ir.PoissonInput))}
        self.uses_random = bool(self.poisson_salt) or any(
            ir.uses_random(e) for node in model.nodes for e in ir.expressions(node))

    def _summed_neurons(self, model: ir.Model) -> dict:
        """For each summed variable, the neurons its couplings cover (None: all of them)."""
        covered: dict[str, np.ndarray] = {}
        for node in model.find(ir.Coupling):
            if node.kernel not in COUPLING_KERNELS:
                raise LoweringError(f"coupling '{node.name}': JAX has no coupling kernel"
                                    f" '{node.kernel}'", hint="run the 'kernels' pass; couplings"
                                    f" run on {', '.join(COUPLING_KERNELS)}")
            key = f"{node.post.population}.{node.target}"
            mask = covered.setdefault(key, np.zeros(self.sizes[node.post.population], bool))
            mask[node.post.start:node.post.stop] = True
        return {key: None if mask.all() else jnp.asarray(mask) for key, mask in covered.items()}

    @property
    def added_by_blocks(self) -> set[str]:
        """The projections that the calls of generated blocks add (see `_fused.added`)."""
        return {node.name for block in self.native_blocks.values() for node in block.adds}

    def neuron_index(self, pop: str):
        """The index in its population of each neuron of `pop` the step holds."""
        index = jnp.arange(self.sizes[pop])
        if self.partition is None:
            return index
        return index + jax.lax.axis_index(self.partition.axis) * self.sizes[pop]

    def neurons_held(self, pop: str):
        """How many of the step's neurons of `pop` are neurons of the model (a partitioned
        model's last blocks end in padding); the first ones."""
        if self.partition is None:
            return self.sizes[pop]
        first = jax.lax.axis_index(self.partition.axis) * self.sizes[pop]
        return jnp.clip(self.total_sizes[pop] - first, 0, self.sizes[pop])

    # -- initial values -----------------------------------------------------------
    def _value(self, value: ir.Value, shape, rng: np.random.Generator):
        if isinstance(value, ir.Distribution):
            return to_device(value.sample(shape or (), rng), self.dtype)
        array = np.asarray(value, dtype=float).astype(self.dtype)
        return to_device(np.array(np.broadcast_to(array, shape)))  # copied: broadcast_to is a view

    @jax_scope()
    def initial(self, seed: int, delays: dict | None = None,
                conn: dict | None = None, connect: bool = True) -> tuple[dict, dict, dict]:
        """`(state, params, conn)` drawn from `seed` with numpy (identical on every device).

        `delays` replaces the per-synapse delays of projections (name -> value in ms); `conn`,
        the connectivity an earlier call drew from the same seed, is used instead of drawing it
        again (not with plastic projections, whose synapse state is drawn with it);
        `connect=False` draws no connectivity (a partitioned run draws and splits it)."""
        delays = delays or {}
        plastic = any(p.plasticity is not None for p in self.model.find(ir.Projection))
        if not connect:
            conn = {}
        elif conn is not None and (delays or plastic):
            raise LoweringError("connectivity can only be reused without new delays or plastic"
                                " projections")
        rng = np.random.default_rng([seed, 0])
        pops = {p: {} for p in self.sizes}
        for var in self.model.find(ir.StateVar):
            pops[var.pop][var.name] = self._value(var.init, var.type.shape, rng)
        for pop in self.refractory:
            pops[pop][LASTSPIKE] = to_device(np.full(self.sizes[pop], NEVER, np.int32))
        params = self.parameters(seed)

        def values(pop: str, name: str) -> np.ndarray:  # for weights given per synapse
            return np.asarray(params[pop][name] if name in params[pop] else pops[pop][name])

        reused, conn, synapses = conn is not None, dict(conn or {}), {}
        for k, proj in enumerate([] if reused else self.model.find(ir.Projection)):
            kernel = KERNELS.get(proj.kernel)
            if getattr(kernel, "generates_synapses", False):  # regenerated each step from (seed, k)
                conn[proj.name] = kernel.build(proj, None, None, None, self.dtype, seed=seed,
                                               index=k)
                continue
            rng = self._synapse_rng(proj, seed)
            pre, post, weight = draw_synapses(proj, rng, values)
            if proj.plasticity is not None:
                conn[proj.name], synapses[proj.name] = PLASTIC.build(proj, pre, post, rng,
                                                                     self.dtype)
                continue
            extra = {}
            if proj.heterogeneous_delay:
                value = delays.get(proj.name, proj.delay)
                extra["delay_steps"] = self.synapse_delays(proj, value, len(pre), rng)
            conn[proj.name] = kernel.build(proj, pre, post, weight, self.dtype, **extra)
        for k, node in enumerate([] if reused else self.model.find(ir.Coupling)):
            kernel = COUPLING_KERNELS[node.kernel]
            if getattr(kernel, "generates_synapses", False):  # from (seed, its own index)
                conn[node.name] = kernel.build(node, None, None, None, self.dtype, seed=seed,
                                               index=COUPLING_INDEX + k)
                continue
            pre, post, weight = draw_synapses(node, self._synapse_rng(node, seed), values)
            conn[node.name] = kernel.build(node, pre, post, weight, self.dtype)
        state = {"step": to_device(0, np.int32), "pops": pops, "buffers": self._empty_buffers(pops)}
        if synapses:  # plastic synapses change over time: they are state, not connectivity
            state["synapses"] = synapses
        if self.uses_random:
            state["key"] = jax.random.key_data(jax.random.key(seed))
        return state, params, conn

    def _synapse_rng(self, node: ir.Connection, seed: int) -> np.random.Generator:
        """The generator that draws the synapses of a projection or coupling from `seed`."""
        kind = ir.Projection if isinstance(node, ir.Projection) else ir.Coupling
        k = [n.name for n in self.model.find(kind)].index(node.name)
        return np.random.default_rng([seed, 1 if kind is ir.Projection else 3, k])

    def synapses(self, node: ir.Connection, seed: int, state: dict, params: dict):
        """`(pre, post, weight)` of a projection or coupling, as `initial(seed)` draws them
        (`state` and `params`: what it returned, for weights computed from the neurons)."""
        def values(pop: str, name: str) -> np.ndarray:
            source = params[pop] if name in params[pop] else state["pops"][pop]
            return np.asarray(source[name])

        return draw_synapses(node, self._synapse_rng(node, seed), values)

    def _empty_buffers(self, pops: dict) -> dict:
        buffers = {}
        for name, buffer in self.buffers.items():
            proj = self.model.get(name)
            if buffer.kind == ir.BufferKind.HISTORY:  # before t = 0: the initial values
                pop, var = name.split(".")
                rows = np.broadcast_to(np.asarray(pops[pop][var]),
                                       (buffer.steps + 1, self.sizes[pop]))
                buffers[name] = to_device(np.array(rows))
            elif buffer.kind == ir.BufferKind.SPIKES:  # as numbers where they carry gradients
                kind = bool if self.gradients is None else self.dtype
                width = self.sizes[name] if buffer.readers else proj.pre.size
                buffers[name] = to_device(np.zeros((buffer.steps + 1, width), kind))
            else:
                size = (buffer.steps + 1) * (proj.post.size + 1)
                buffers[name] = to_device(np.zeros(size, self.dtype))
        return buffers

    def synapse_delays(self, proj: ir.Projection, value: ir.Value, count: int, rng) -> np.ndarray:
        """Whole-step delays per synapse, checked against the buffer compiled for them."""
        delays_ms = per_synapse(value, count, rng, f"delays of projection '{proj.name}'")
        steps = np.floor(delays_ms / self.dt + 0.5).astype(np.int32)
        limit = self.buffers[proj.name].steps if proj.name in self.buffers else 0
        if steps.size and (steps.min() < 0 or steps.max() > limit):
            raise LoweringError(f"projection '{proj.name}': delays up to {steps.max()} steps do not"
                                f" fit the buffer of {limit} steps compiled for it",
                                hint="compile the model with the largest delays it will need")
        return steps

    @jax_scope()
    def parameters(self, seed: int = 0) -> dict:
        rng = np.random.default_rng([seed, 2])
        params = {p: {} for p in self.sizes}
        for par in self.model.find(ir.Parameter):
            params[par.pop][par.name] = self._value(par.value, par.type.shape, rng)
        # synapse parameters, under the projection's name
        for proj in self.model.find(ir.Projection):
            if proj.plasticity is not None:
                params[proj.name] = {p.name: to_device(p.value, self.dtype)
                                     for p in proj.plasticity.params}
        # inputs are arguments too: new values, no recompilation
        for timed in self.model.find(ir.TimedInput):
            shape = (timed.bins,) + timed.type.shape
            params[timed.pop][timed.name] = to_device(np.reshape(timed.values, shape), self.dtype)
        return params

    # -- the step -------------------------------------------------------------------
    @jax_scope()
    def prepare(self, params: dict) -> dict:
        """Values that depend only on parameters, computed once per run instead of every step."""
        return self._prepare(params) if self.linear else {}

    def _propagators(self, params: dict) -> dict:
        return {pop: solver.prepare(params) for pop, solver in self.linear.items()}

    @jax_scope()
    def step(self, state: dict, params: dict, conn: dict, derived: dict):
        key = None
        if "key" in state:
            key = jax.random.wrap_key_data(fold_in(state["key"], state["step"]))
        pops = {p: dict(v) for p, v in state["pops"].items()}
        ctx = StepContext(self, pops, params, conn, derived, state["step"], key, {}, {}, {},
                          dict(state["buffers"]), dict(state.get("synapses", {})),
                          carried=state["pops"])
        for op in self.operations:
            LOWERINGS[type(op)](op, ctx)
        write_spike_rings(ctx)
        if self.gradients is not None:
            ctx.outputs["spike_values"] = ctx.spike_values
        if self.partition is not None and self.partition.exchange > 1:  # exchanged later
            ctx.outputs["local_spikes"] = {pop: packed_own(self, spikes)
                                           for pop, spikes in ctx.spikes.items()}
        new_state = dict(state, step=state["step"] + 1, pops=pops, buffers=ctx.buffers)
        if ctx.synapses:
            new_state["synapses"] = ctx.synapses
        return new_state, ctx.outputs


def _check_differentiable(model: ir.Model) -> None:
    """What a differentiable step cannot lower: a located error with a way out."""
    for node in model.find(ir.Threshold):
        if ir.threshold_margin(node.cond) is None:
            raise LoweringError(f"the threshold of '{node.pop}' ({ir.to_text(node.cond)}) is not"
                                " one comparison, so its spikes have no surrogate gradient",
                                node.loc, "write it as one comparison, e.g. v > Vt")
    for node in model.find(ir.Projection):
        if node.plasticity is not None:
            raise LoweringError(f"projection '{node.name}' is plastic: gradients through plastic"
                                " synapses are not supported yet", node.loc,
                                "train a copy of the model without plasticity")
        if node.kernel == ir.Kernel.PROCEDURAL:
            raise LoweringError(f"projection '{node.name}' uses the procedural kernel, which has"
                                " no gradient", node.loc, "force a stored kernel: kernel='event'"
                                " or 'csr' in the projection, or the pipeline's"
                                " 'kernels{default=csr}'")
    for node in model.find(ir.Coupling):
        if node.kernel == ir.Kernel.PROCEDURAL:
            raise LoweringError(f"coupling '{node.name}' uses the procedural kernel, which has no"
                                " gradient", node.loc, "force kernel='csr' or 'dense'")


@jax_scope()
def lower(model: ir.Model, dt: float, dtype: str = "float32", native: bool = True,
          gradients: SpikeGradients | None = None) -> Program:
    """Lower a scheduled model; `dt` in ms.  `native` uses the C++ kernels where they build;
    `gradients` makes the step differentiable through spikes (see `SpikeGradients`)."""
    if dtype not in ("float32", "float64"):
        raise LoweringError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return Program(model, dt, dtype, native, gradients)
