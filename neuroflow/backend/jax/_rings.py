"""Spike rings: the pre spikes of delayed projections, kept for whole steps (`DelayBuffer`s of
kind `spikes`, one per projection or one per population shared by its projections).

A ring of `steps` steps has `steps + 1` rows: the step writes its spikes into row
`step % (steps + 1)` before any projection reads, and a projection delayed by `d <= steps`
steps reads row `(step - d) % (steps + 1)`, never the one just written.  Every read is of the
updated ring, so XLA updates it in place: were the spikes written after the reads into the
row being read, XLA would copy the ring (twice) every step to keep the old one for readers it
cannot order before the write.

In a partitioned step a ring's rows are the whole population's spikes as the devices exchanged
them (`_step.exchanged_row`: each device's block of packed bits), whichever neurons its
projections read: an eighth of a row of booleans, written as it came from the exchange, read as
it is by the kernels that take packed spikes and unpacked for the others."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ... import ir
from ._step import StepContext, all_spikes, exchanged_row, exchanged_spikes, unpacked


def _modulo(step, offset: int, rows: int):
    """`(step + offset) % rows` for `step + offset >= 0`: no sign fix-ups in the step."""
    return jax.lax.rem(step + offset, jnp.asarray(rows, step.dtype))


def ring_source(program, ring_name: str) -> ir.PopSlice:
    """The neurons whose spikes a ring keeps: a population's shared ring, all of them; a
    projection's own ring, its pre neurons."""
    if program.buffers[ring_name].readers:
        return ir.PopSlice(ring_name, 0, program.total_sizes[ring_name])
    return program.model.get(ring_name).pre


def _written(ring_name: str, ctx: StepContext):
    """The ring with this step's spikes in it (written once, by its first reader).  A
    partitioned step that exchanges spikes once per interval leaves it as it is: the interval's
    spikes are written after their exchange (`_partition.exchange_interval`)."""
    if ring_name in ctx.rings_written:
        return ctx.buffers[ring_name]
    ctx.rings_written[ring_name] = {}
    program = ctx.program
    view = ring_source(program, ring_name)
    if program.partition is not None:
        if program.partition.exchange > 1:
            return ctx.buffers[ring_name]
        row = exchanged_spikes(ctx, view.population).bits
    elif program.gradients is None:
        row = all_spikes(ctx, view.population)[view.start:view.stop]
    else:
        row = ctx.spike_values[view.population][view.start:view.stop]
    ring = ctx.buffers[ring_name]
    ctx.buffers[ring_name] = jax.lax.dynamic_update_index_in_dim(
        ring, row.astype(ring.dtype), _modulo(ctx.step, 0, ring.shape[0]), 0)
    return ctx.buffers[ring_name]


def delayed_spikes(node: ir.Projection, ctx: StepContext, whole: bool = False,
                   packed: bool = False):
    """The pre spikes of the projection's delay ago.  `whole`: `(spikes, start)`, the row of a
    population's shared ring without slicing it and where the projection's neurons start in
    it; with `packed` too, a partitioned step's row as the devices exchanged it
    (`_native_kernels.PackedSpikes`)."""
    ring_name, delay = ctx.program.spike_rings[node.name]
    ring = _written(ring_name, ctx)
    rows = ctx.rings_written[ring_name]  # one read per delay, however many projections
    if delay not in rows:
        index = _modulo(ctx.step, ring.shape[0] - delay, ring.shape[0])
        rows[delay] = jax.lax.dynamic_index_in_dim(ring, index, keepdims=False)
    if ctx.program.partition is not None:  # the whole population's exchanged bits
        pop = node.pre.population
        exchanged = exchanged_row(ctx.program, pop, rows[delay])
        if whole and packed:
            return exchanged, node.pre.start
        if (delay, bool) not in rows:  # unpacked once, however many projections
            rows[delay, bool] = unpacked(ctx.program, pop, exchanged)
        spikes = rows[delay, bool]
        return (spikes, node.pre.start) if whole else spikes[node.pre.start:node.pre.stop]
    shared = ring_name != node.name
    if whole:
        return rows[delay], node.pre.start if shared else 0
    return rows[delay][node.pre.start:node.pre.stop] if shared else rows[delay]


def write_spike_rings(ctx: StepContext) -> None:
    """This step's spikes into the rings no projection read in this step."""
    for name, buffer in ctx.program.buffers.items():
        if buffer.kind == ir.BufferKind.SPIKES:
            _written(name, ctx)
