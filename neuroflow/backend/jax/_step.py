"""What one step works on while its schedule runs: the context (state, parameters, spikes),
name resolution inside a population, refractoriness, and how synapses add to a variable."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from ... import ir
from . import _native, _native_kernels
from ._expr import evaluate
from ._hash import step_key, uniform

if TYPE_CHECKING:  # the program builds contexts; this module only reads it
    from ._lower import Program

LASTSPIKE = "_lastspike"
NEVER = -(2**30)  # step index of "no spike yet": far enough back to be never refractory


class LoweringError(ir.NeuroflowError):
    pass


@dataclass(frozen=True)
class LocalPartition:
    """Where a device's step of a partitioned model runs: inside `shard_map` over the mesh
    axis `axis` of `devices` devices, its spikes exchanged every `exchange` steps."""

    axis: str
    devices: int
    exchange: int = 1


@dataclass
class StepContext:
    """Mutable working state of one step while the schedule runs."""

    program: "Program"
    pops: dict  # population -> {variable: array}
    params: dict
    conn: dict
    derived: dict
    step: jax.Array  # index of this step
    key: jax.Array | None
    outputs: dict
    spikes: dict
    not_refractory: dict
    buffers: dict  # projection -> ring buffer of delayed spikes or input
    synapses: dict = field(default_factory=dict)  # plastic projection -> its synapse variables
    summed: set = field(default_factory=set)  # summed variables ("pop.var") set in this step
    spike_values: dict = field(default_factory=dict)  # spikes as numbers, for gradients
    rings_written: dict = field(default_factory=dict)  # spikes ring -> {delay: row read}
    gathered: dict = field(default_factory=dict)  # partitioned: each population's spikes, whole
    gathered_bits: dict = field(default_factory=dict)  # and as exchanged (`PackedSpikes`)
    carried: dict = field(default_factory=dict)  # population -> {variable: array}, as given


class PopulationEnv:
    """Name resolution inside one population for `evaluate`."""

    def __init__(self, ctx: StepContext, pop: str):
        self.ctx, self.pop = ctx, pop
        self.dtype = ctx.program.dtype
        self.temps: dict = {}
        self._subs: dict = {}

    def lookup(self, name: str):
        ctx, pop = self.ctx, self.pop
        if name in self.temps:
            return self.temps[name]
        if name in ctx.pops[pop]:
            return ctx.pops[pop][name]
        if name in ctx.params[pop]:
            value = ctx.params[pop][name]
            timed = ctx.program.inputs[pop].get(name)
            return value if timed is None else self._timed(value, timed.period)
        sub = ctx.program.subexpressions[pop].get(name)
        if sub is not None:
            if name not in self._subs:
                self._subs[name] = evaluate(sub.expr, self)
            return self._subs[name]
        return self._builtin(name)

    def delayed(self, name: str, time):
        """`name(time)` from the history buffer, linearly interpolated between steps."""
        history = self.ctx.buffers[f"{self.pop}.{name}"]
        rows = history.shape[0]
        # at least 0: a stage of an integrator may ask for a time past the newest recorded value
        dt = self.ctx.program.dt
        lag = jnp.maximum((self.ctx.step.astype(self.dtype) * dt - time) / dt, 0)
        whole = jnp.floor(lag)
        frac = lag - whole
        newer = (self.ctx.step - whole.astype(jnp.int32)) % rows
        older = (newer - 1) % rows
        columns = jnp.arange(history.shape[1])
        return (1 - frac) * history[newer, columns] + frac * history[older, columns]

    def _timed(self, values, period: float):
        """The bin holding t, in whole steps as Brian2's TimedArray; the last one holds past the
        end.  Bin k starts at the first step at or after k*period, up to a thousandth of a step:
        a tolerance in steps, since one relative to the period would move the start of a bin of
        1000 steps or more one step early."""
        steps_per_bin = period / self.ctx.program.dt
        whole = round(steps_per_bin)
        if whole >= 1 and abs(steps_per_bin - whole) <= 1e-3:  # bins of whole steps: exact
            # steps are never negative: a plain division, not floor division's sign fix-up
            index = jax.lax.div(self.ctx.step, jnp.asarray(whole, self.ctx.step.dtype))
        else:
            index = jnp.floor((self.ctx.step.astype(self.dtype) + 1e-3) / steps_per_bin)
        index = jnp.clip(index.astype(jnp.int32), 0, values.shape[0] - 1)
        return values[index]

    def _builtin(self, name: str):
        program, size = self.ctx.program, self.ctx.program.sizes[self.pop]
        if name == "t":
            return self.ctx.step.astype(self.dtype) * program.dt
        if name == "dt":
            return jnp.asarray(program.dt, self.dtype)
        if name == "i":
            return program.neuron_index(self.pop)
        if name == "N":
            return jnp.asarray(program.total_sizes[self.pop])
        if name == "not_refractory":
            return self.ctx.not_refractory.get(self.pop, jnp.ones(size, bool))
        if name == "lastspike":
            return self.ctx.pops[self.pop][LASTSPIKE].astype(self.dtype) * program.dt
        if name in ("True", "False"):
            return jnp.asarray(name == "True")
        raise LoweringError(f"name '{name}' of population '{self.pop}' has no value in the step",
                            hint="run the 'canonicalize' pass before lowering: it folds unit names")

    def random(self, kind: str):
        """Fresh numbers per neuron for each `rand()`/`randn()` call (SDE increments included):
        uniform numbers of the counter-based hash (`_hash`; some 30 times cheaper than threefry
        on CPUs), through the inverse normal for `randn()`.

        The hash is keyed by the step's key, the population's position in the model and the
        number of draws this population made so far in this step, counted over all its
        operations, so that a threshold's `rand()` never repeats an update's `randn()`.  All of
        it follows from the model and the seed, so a run is reproducible in any process."""
        if self.ctx.key is None:
            raise LoweringError("rand() needs a random key in the step state")
        # per step: the context lives for one step
        draws = vars(self.ctx).setdefault("random_draws", {})
        draws[self.pop] = draws.get(self.pop, 0) + 1
        pops = list(self.ctx.program.sizes)
        key = step_key(self.ctx.key, (pops.index(self.pop) << 20) + draws[self.pop])
        numbers = uniform(key, self.ctx.program.neuron_index(self.pop))
        if kind == "randn":
            numbers = jax.scipy.special.ndtri(numbers)
        return numbers.astype(self.dtype)


def all_spikes(ctx: StepContext, pop: str):
    """The spikes of every neuron of `pop` in this step.  In a partitioned step each device has
    those of its own neurons: the others' come from an all-gather of their packed bits, once per
    population and step (one bit per neuron, a fraction of the step's time even at 10^5)."""
    partition = ctx.program.partition
    if partition is None:
        return ctx.spikes[pop]
    if pop not in ctx.gathered:
        ctx.gathered[pop] = unpacked(ctx.program, pop, exchanged_spikes(ctx, pop))
    return ctx.gathered[pop]


def unpacked(program, pop: str, exchanged: _native_kernels.PackedSpikes):
    """The spikes of every neuron of `pop`, a boolean vector, from the bits the devices of a
    partitioned step exchanged."""
    blocks = exchanged.bits.reshape(program.partition.devices, -1)
    spikes = jnp.unpackbits(blocks, axis=1, count=exchanged.owned).reshape(-1)
    return spikes[:program.total_sizes[pop]].astype(bool)


def packed_own(program, spikes):
    """`jnp.packbits` of a device's own spikes, natively where the kernels are built (XLA:CPU's
    packbits is a fusion it splits over its threads every step)."""
    native = program.native and _native.available()
    return _native_kernels.pack_bits(spikes) if native else jnp.packbits(spikes)


def exchanged_row(program, pop: str, bits) -> _native_kernels.PackedSpikes:
    """One step's exchanged bits of `pop` (every device's block, one after the other) as the
    kernels read them."""
    return _native_kernels.PackedSpikes(bits, program.sizes[pop],
                                        8 * (bits.shape[-1] // program.partition.devices))


def exchanged_spikes(ctx: StepContext, pop: str) -> _native_kernels.PackedSpikes | None:
    """A partitioned step's spikes of `pop` as the devices exchange them (each packs its own);
    None in a step of one device, or where a caller gave the spikes whole (`gathered`)."""
    partition = ctx.program.partition
    if partition is None or (pop in ctx.gathered and pop not in ctx.gathered_bits):
        return None
    if pop not in ctx.gathered_bits:
        blocks = jax.lax.all_gather(packed_own(ctx.program, ctx.spikes[pop]), partition.axis)
        ctx.gathered_bits[pop] = exchanged_row(ctx.program, pop, blocks.reshape(-1))
    return ctx.gathered_bits[pop]


def all_spikes_packed(ctx: StepContext, pop: str):
    """`jnp.packbits(all_spikes(ctx, pop))`: the exchanged bits where their blocks line up."""
    exchanged = exchanged_spikes(ctx, pop)
    if (exchanged is not None and exchanged.owned == exchanged.stride
            and exchanged.owned * ctx.program.partition.devices == ctx.program.total_sizes[pop]):
        return exchanged.bits
    return jnp.packbits(all_spikes(ctx, pop))


def all_values(ctx: StepContext, pop: str, values):
    """`values` (one per neuron of `pop` this device holds) for every neuron of `pop`."""
    partition = ctx.program.partition
    if partition is None:
        return values
    whole = jax.lax.all_gather(values, partition.axis, tiled=True)
    return whole[:ctx.program.total_sizes[pop]]


def per_neuron(value, size: int, dtype):
    return jnp.broadcast_to(jnp.asarray(value, dtype), (size,))


def outside_refractory_period(ctx: StepContext, pop: str):
    """The neurons of `pop` not refractory, by their last spike as it is now."""
    period = evaluate(ctx.program.refractory[pop].period, PopulationEnv(ctx, pop))
    # Brian2 compares whole steps: refractory for floor(period/dt) steps after the spike.
    steps = jnp.floor(period / ctx.program.dt + 1e-3).astype(jnp.int32)
    return (ctx.step - ctx.pops[pop][LASTSPIKE]) >= steps


def refractory_mask(ctx: StepContext, pop: str):
    if pop not in ctx.not_refractory and pop in ctx.program.refractory:
        ctx.not_refractory[pop] = outside_refractory_period(ctx, pop)


def add_to(ctx: StepContext, pop: str, var: str, change, start: int = 0, stop: int | None = None):
    """`var[start:stop] += change` from synapses or Poisson input.  A variable held during the
    refractory period (`unless refractory`) changes only in neurons outside it, as in Brian2,
    where every write to such a variable but the reset's is conditional on `not_refractory`
    (after this step's threshold: a neuron that just spiked receives nothing)."""
    state = ctx.pops[pop]
    stop = ctx.program.sizes[pop] if stop is None else stop
    change = change.astype(state[var].dtype)
    if var in ctx.program.held.get(pop, ()):
        outside = outside_refractory_period(ctx, pop)[start:stop]
        change = jnp.where(outside, change, jnp.zeros((), change.dtype))
    if start == 0 and stop == state[var].shape[0]:  # the whole population: no scatter
        state[var] = state[var] + change
    else:
        state[var] = state[var].at[start:stop].add(change)


def record_history(pop: str, ctx: StepContext) -> None:
    """Write this step's values of the variables read in the past into their history buffers."""
    for var in ctx.program.histories.get(pop, ()):
        ring = ctx.buffers[f"{pop}.{var}"]
        ctx.buffers[f"{pop}.{var}"] = ring.at[ctx.step % ring.shape[0]].set(ctx.pops[pop][var])
