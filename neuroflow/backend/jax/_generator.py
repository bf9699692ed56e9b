"""Lowering of spike generators: the spikes of a step looked up in the generator's table."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ... import ir
from ._step import LoweringError, StepContext


class SpikeTable:
    """One generator's entries as whole steps (`ir.spike_steps`), sorted, with the largest
    number of entries in one step: a step finds its first entry by binary search and reads that
    many from there, so its cost does not grow with the length of the table and the step needs
    no pointer in its state (a run may start at any step)."""

    def __init__(self, node: ir.SpikeGenerator, dt: float, size: int):
        try:
            steps = np.asarray(ir.spike_steps(node, dt), np.int32)
        except ValueError as err:
            raise LoweringError(str(err), node.loc, "give the neuron's times at least one step"
                                " apart") from None
        self.size = size
        self.count = len(steps)
        self.width = int(np.bincount(steps).max()) if self.count else 0
        self.steps = jnp.asarray(steps)
        self.indices = jnp.asarray(np.asarray(node.indices, np.int32))

    def spikes(self, step):
        if not self.count:
            return jnp.zeros(self.size, bool)
        first = jnp.searchsorted(self.steps, step, side="left")
        entries = first + jnp.arange(self.width)
        inside = jnp.minimum(entries, self.count - 1)
        now = (entries < self.count) & (self.steps[inside] == step)
        neurons = jnp.where(now, self.indices[inside], self.size)  # past the end: dropped
        return jnp.zeros(self.size, bool).at[neurons].set(True, mode="drop")


def lower_generator(node: ir.SpikeGenerator, ctx: StepContext):
    spikes = ctx.program.generators[node.pop].spikes(ctx.step)
    ctx.spikes[node.pop] = spikes
    if ctx.program.gradients is not None:  # spikes as numbers, with no slope: a table is data
        ctx.spike_values[node.pop] = spikes.astype(ctx.program.dtype)
