"""Lowering rules of what connects populations: spike projections (static and plastic, with
their delay buffers), couplings (summed variables) and Poisson input."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ... import ir
from . import _native, _native_kernels
from ._coupling import coupling_sum
from ._expr import evaluate
from ._hash import step_key, uniform
from ._kernels import KERNELS
from ._plastic import PLASTIC
from ._rings import delayed_spikes
from ._step import (LoweringError, PopulationEnv, StepContext, add_to, all_spikes,
                    exchanged_spikes)


def _pre_spikes(node: ir.Projection, ctx: StepContext):
    """This step's spikes of the projection's pre neurons (of all of them, in a partitioned
    step); None where a spike ring delays them (`delayed_spikes` reads them there)."""
    if node.name in ctx.program.spike_rings:
        return None
    if ctx.program.gradients is None:
        spikes = all_spikes(ctx, node.pre.population)
    else:
        spikes = ctx.spike_values[node.pre.population]
    return spikes[node.pre.start:node.pre.stop]


def _delayed_input(node: ir.Projection, ctx: StepContext, pre):
    """The summed weights arriving now, through the projection's delay buffer if it has one."""
    kernel, arrays = KERNELS[node.kernel], ctx.conn[node.name]
    propagate = kernel.propagate
    gradients = ctx.program.gradients
    if gradients is not None and gradients.smooth and hasattr(kernel, "masked"):
        propagate = kernel.masked  # smooth spikes are no events: every synapse, gated
    if node.name in ctx.program.spike_rings:
        return propagate(arrays, delayed_spikes(node, ctx), node)
    buffer = ctx.program.buffers.get(node.name)
    if buffer is None:
        return propagate(arrays, pre, node, native=ctx.program.native and _native.available())
    # input: row `s % (steps + 1)` collects what arrives at step s; read and clear this step's row
    ring = propagate(arrays, pre, node, ring=ctx.buffers[node.name], step=ctx.step)
    width = node.post.size + 1
    start = (ctx.step % (buffer.steps + 1)) * width
    arrived = jax.lax.dynamic_slice(ring, (start,), (width,))
    ctx.buffers[node.name] = jax.lax.dynamic_update_slice(ring, jnp.zeros_like(arrived), (start,))
    return arrived[:node.post.size]


def _lower_plastic(node: ir.Projection, ctx: StepContext):
    """Both pathways of a plastic projection (pre, then post, as Brian2 runs them).  A delayed
    pre spike runs on_pre when it arrives, as in Brian2: traces and weights change then."""
    pre = ctx.spikes[node.pre.population][node.pre.start:node.pre.stop]
    if node.name in ctx.program.spike_rings:
        pre = delayed_spikes(node, ctx)
    post_spikes = ctx.spikes.get(node.post.population)
    if post_spikes is not None:
        post_spikes = post_spikes[node.post.start:node.post.stop]
    t = ctx.step.astype(ctx.program.dtype) * ctx.program.dt
    # the neurons' values the statements read, taken here, once: inside the kernel's branches
    # an environment would cache a subexpression traced in one branch and reuse it in another
    plasticity = node.plasticity
    read = set().union(*(ir.names(s.expr) for s in plasticity.on_pre + plasticity.on_post))
    values = {}
    for suffix, view in ((ir.PRE, node.pre), (ir.POST, node.post)):
        env = PopulationEnv(ctx, view.population)
        for name in (n[:-len(suffix)] for n in read if n.endswith(suffix)):
            value = jnp.broadcast_to(env.lookup(name), (ctx.program.sizes[view.population],))
            values[suffix, name] = jnp.concatenate([value[view.start:view.stop],
                                                    jnp.zeros(1, value.dtype)])  # the padding

    def neurons(suffix: str, name: str):
        return values[suffix, name]

    tables, summed = PLASTIC.step(node, ctx.conn[node.name], ctx.synapses[node.name],
                                  ctx.params[node.name], pre, post_spikes, t, ctx.program.dt,
                                  neurons)
    ctx.synapses[node.name] = tables
    for var, change in summed.items():
        add_to(ctx, node.post.population, var, change, node.post.start, node.post.stop)


def native_add_applies(node: ir.Projection, program) -> bool:
    """Whether `node` can add into its target variable by a native kernel (`_native_add`), as far
    as the model says (the kernel may still need its arrays to be of a kind it takes)."""
    kernel = KERNELS[node.kernel]
    buffer = program.buffers.get(node.name)
    return (program.native and node.plasticity is None and hasattr(kernel, "add_native")
            and node.effect.op in ("+=", "-=") and program.effect_scale[node.name] is None
            and _native.available()
            and node.effect.target not in program.held.get(node.post.population, ())
            and (buffer is None or buffer.kind == ir.BufferKind.SPIKES))


def _native_add(node: ir.Projection, ctx: StepContext) -> bool:
    """`ge += w` by a native kernel (`event`, `procedural`, `all_to_all` with one weight)
    straight into the variable, where it applies: one call per projection and step, no slices of
    the spike vector, no separate addition."""
    program, kernel = ctx.program, KERNELS[node.kernel]
    if not (native_add_applies(node, program) and kernel.adds_natively(ctx.conn[node.name])):
        return False
    if node.name in program.spike_rings:
        spikes, start = delayed_spikes(node, ctx, whole=True, packed=kernel.adds_packed)
    else:  # the whole population's spikes (as exchanged, partitioned): the kernel reads the slice
        exchanged = exchanged_spikes(ctx, node.pre.population) if kernel.adds_packed else None
        spikes = all_spikes(ctx, node.pre.population) if exchanged is None else exchanged
        start = node.pre.start
    target, var = ctx.pops[node.post.population], node.effect.target
    target[var] = kernel.add_native(ctx.conn[node.name], spikes, start, target[var], node,
                                    1.0 if node.effect.op == "+=" else -1.0)
    return True


def lower_projection(node: ir.Projection, ctx: StepContext):
    if node.name in ctx.program.added_by_blocks:  # the call of its population's block adds it
        return
    if node.plasticity is not None:
        _lower_plastic(node, ctx)
        return
    if ctx.program.gradients is None and _native_add(node, ctx):
        return
    summed = _delayed_input(node, ctx, _pre_spikes(node, ctx))
    scale = ctx.program.effect_scale[node.name]
    if scale is not None:
        factor = evaluate(scale, PopulationEnv(ctx, node.post.population))
        if jnp.ndim(factor):
            factor = factor[node.post.start:node.post.stop]
        summed = summed * factor
    add_to(ctx, node.post.population, node.effect.target,
            summed if node.effect.op == "+=" else -summed, node.post.start, node.post.stop)


def lower_coupling(node: ir.Coupling, ctx: StepContext):
    pop, var = node.post.population, node.target
    native = ctx.program.native and ctx.program.gradients is None and _native.available()
    total = coupling_sum(node, ctx.conn[node.name], PopulationEnv(ctx, node.pre.population),
                         PopulationEnv(ctx, pop), native=native)
    state = ctx.pops[pop]
    total = total.astype(state[var].dtype)
    if f"{pop}.{var}" in ctx.summed:  # another coupling onto it ran this step: add up
        state[var] = state[var].at[node.post.start:node.post.stop].add(total)
        return
    ctx.summed.add(f"{pop}.{var}")
    covered = ctx.program.summed_neurons[f"{pop}.{var}"]
    if covered is None and node.post.size == state[var].shape[0]:
        state[var] = total  # the first sum of the step onto the whole population: it is the value
        return
    start = (jnp.zeros_like(state[var]) if covered is None
             else jnp.where(covered, jnp.zeros((), state[var].dtype), state[var]))
    state[var] = start.at[node.post.start:node.post.stop].add(total)


# Counts of a binomial with a constant chance are drawn by inverting its distribution: one
# uniform number per neuron (from the counter-based hash, keyed by the step's key: ~30 times
# cheaper than threefry on CPUs) against the table of P(count <= k), cut where the rest of the
# tail weighs less than TAIL.  The general sampler of JAX is some 50 times slower per draw.
TAIL = 1e-15
TABLE_SOURCES = 100_000  # up to this many sources a rate of parameters gets a full table per step
COMPARED_WHOLE = 64  # tables up to this long are searched by comparing every entry


def binomial_table(n: int, chance: float) -> np.ndarray:
    """P(count <= k) for k = 0, 1, ... until 1 - P < TAIL (or k = n - 1)."""
    import scipy.stats  # here: it weighs ~50 MB, and only models with Poisson input need it

    k = np.arange(n + 1)
    cdf = scipy.stats.binom.cdf(k, n, chance)
    stop = min(int(np.searchsorted(cdf, 1.0 - TAIL)) + 1, n)
    return cdf[:stop]


def lower_poisson(node: ir.PoissonInput, ctx: StepContext):
    """How many of the `n` sources spiked this step, per neuron: one binomial draw each, from a
    key of its own (the step's key folded with the input's place among the model's nodes)."""
    env = PopulationEnv(ctx, node.pop)
    size, dtype = ctx.program.sizes[node.pop], ctx.program.dtype
    chance = None if isinstance(node.rate, ir.Const) else evaluate(node.rate, env) * ctx.program.dt
    if chance is None:  # one constant rate: the table, cut at the tail, built here once
        table = jnp.asarray(binomial_table(node.n, node.rate.value * ctx.program.dt))
    elif jnp.ndim(chance) == 0 and node.n <= TABLE_SOURCES:  # one rate of parameters
        chance = jnp.clip(chance.astype(jnp.float64), 0, 1)
        table = jnp.cumsum(jax.scipy.stats.binom.pmf(jnp.arange(node.n + 1), node.n, chance))
    else:  # a rate per neuron: JAX's general sampler
        if ctx.program.partition is not None:
            raise LoweringError(f"Poisson input '{node.name}' has a rate per neuron, whose counts"
                                " cannot be drawn on a part of the population yet", node.loc,
                                "compile it on one device, or give it one rate")
        key = jax.random.fold_in(ctx.key, ctx.program.poisson_salt[node.name])
        chance = jnp.broadcast_to(chance, (size,))
        count = jax.random.binomial(key, node.n, jnp.clip(chance.astype(dtype), 0, 1), (size,),
                                    dtype)
        add_to(ctx, node.pop, node.var, count * evaluate(node.weight, env))
        return
    key = step_key(ctx.key, ctx.program.poisson_salt[node.name])
    count = _native_poisson(node, ctx, key, table) if table.shape[0] <= COMPARED_WHOLE else None
    if count is None:
        numbers = uniform(key, ctx.program.neuron_index(node.pop))
        # a short table (the usual case: few sources or a low rate) is compared whole, one
        # fused kernel; XLA:CPU runs a binary search as a while loop of several kernels a round
        method = "compare_all" if table.shape[0] <= COMPARED_WHOLE else "scan"
        count = jnp.minimum(jnp.searchsorted(table, numbers, side="right", method=method),
                            node.n).astype(dtype)
    add_to(ctx, node.pop, node.var, count * evaluate(node.weight, env))


def _native_poisson(node: ir.PoissonInput, ctx: StepContext, key, table):
    """The counts by the native kernel (the same bits as the JAX path), or None without it."""
    if not (ctx.program.native and ctx.program.gradients is None and _native.available()):
        return None
    first = (np.int64(0) if ctx.program.partition is None  # a constant: no kernel a step
             else ctx.program.neuron_index(node.pop)[0].astype(jnp.int64))
    return _native_kernels.poisson_count(key, first, table.astype(jnp.float64), node.n,
                                         ctx.program.sizes[node.pop], ctx.program.dtype)


def effect_scale(node: ir.Projection) -> ir.Expr | None:
    """The factor `a` in `target += a*w` (None when a = 1): kernels only ever sum weights."""
    linear = ir.decompose(node.effect.expr, {"w"})
    if (linear is None or set(linear[0]) != {"w"}
        or not (isinstance(linear[1], ir.Const) and linear[1].value == 0)):
        raise LoweringError(f"projection '{node.name}': on_pre must be linear in w, as in"
                            f" 'ge += w' or 'v += w*(E - v)', got '{node.effect.text()}'", node.loc)
    a = linear[0]["w"]
    return None if a == ir.Const(1.0) else a
