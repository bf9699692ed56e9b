"""Spike rings: the pre spikes of delayed projections, kept for whole steps (`DelayBuffer`s of
kind `spikes`, one per projection or one per population shared by its projections).

A ring of `steps` steps has `steps + 1` rows: the step writes its spikes into row
`step % (steps + 1)` before any projection reads, and a projection delayed by `d <= steps`
steps reads row `(step - d) % (steps + 1)`, never the one just written.  Every read is of the
updated ring, so XLA updates it in place: were the spikes written after the reads into the
row being read, XLA would copy the ring (twice) every step to keep the old one for readers it
cannot order before the write."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ... import ir
from ._step import StepContext


def _modulo(step, offset: int, rows: int):
    """`(step + offset) % rows` for `step + offset >= 0`: no sign fix-ups in the step."""
    return jax.lax.rem(step + offset, jnp.asarray(rows, step.dtype))


def _written(ring_name: str, ctx: StepContext):
    """The ring with this step's spikes in it (written once, by its first reader)."""
    if ring_name in ctx.rings_written:
        return ctx.buffers[ring_name]
    program = ctx.program
    spikes = ctx.spikes if program.gradients is None else ctx.spike_values
    if program.buffers[ring_name].readers:
        row = spikes[ring_name]
    else:
        view = program.model.get(ring_name).pre
        row = spikes[view.population][view.start:view.stop]
    ring = ctx.buffers[ring_name]
    ctx.buffers[ring_name] = jax.lax.dynamic_update_index_in_dim(
        ring, row.astype(ring.dtype), _modulo(ctx.step, 0, ring.shape[0]), 0)
    ctx.rings_written[ring_name] = {}
    return ctx.buffers[ring_name]


def delayed_spikes(node: ir.Projection, ctx: StepContext, whole: bool = False):
    """The pre spikes of the projection's delay ago.  `whole`: `(spikes, start)`, the row of a
    population's shared ring without slicing it and where the projection's neurons start in
    it."""
    ring_name, delay = ctx.program.spike_rings[node.name]
    ring = _written(ring_name, ctx)
    rows = ctx.rings_written[ring_name]  # one read per delay, however many projections
    if delay not in rows:
        index = _modulo(ctx.step, ring.shape[0] - delay, ring.shape[0])
        rows[delay] = jax.lax.dynamic_index_in_dim(ring, index, keepdims=False)
    shared = ring_name != node.name
    if whole:
        return rows[delay], node.pre.start if shared else 0
    return rows[delay][node.pre.start:node.pre.stop] if shared else rows[delay]


def write_spike_rings(ctx: StepContext) -> None:
    """This step's spikes into the rings no projection read in this step."""
    for name, buffer in ctx.program.buffers.items():
        if buffer.kind == ir.BufferKind.SPIKES:
            _written(name, ctx)
