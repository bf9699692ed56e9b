"""Projection kernels: how the spikes of a pre population become input to the post population.

Each kernel has two halves: `build` (numpy, at initialisation: connectivity
arrays from the rule, the weights and a seed) and `propagate` (inside the
jitted step: the summed weight each post neuron receives).  Connectivity is
passed to the step as arrays, never baked in as constants.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...ir import Distribution, Projection


def draw_synapses(node: Projection, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`(pre, post, weight)` per synapse, indices relative to the projection's slices."""
    pre, post = node.rule.draw(node.pre.size, node.post.size, rng)
    if isinstance(node.weight, Distribution):
        weight = node.weight.sample(pre.shape, rng)
    elif len(node.weight_type.shape) == 2:  # a (pre, post) matrix: each synapse takes its entry
        weight = np.reshape(node.weight, node.weight_type.shape)[pre, post]
    elif isinstance(node.weight, tuple):
        weight = np.asarray(node.weight, dtype=float)
        if weight.shape != pre.shape:
            raise ValueError(f"projection '{node.name}' has {len(weight)} weights for {len(pre)} synapses;"
                             " give one per synapse of the drawn connectivity, or a (pre, post) matrix")
    else:
        weight = np.full(pre.shape, float(node.weight))
    return pre, post, weight


class Dense:
    """`spikes @ W` with a dense weight matrix: best for small or dense projections."""

    name = "dense"

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        matrix = np.zeros((node.pre.size, node.post.size))
        np.add.at(matrix, (pre, post), weight)
        return {"matrix": jnp.asarray(matrix, dtype)}

    def propagate(self, arrays: dict, spikes, node: Projection):
        return spikes.astype(arrays["matrix"].dtype) @ arrays["matrix"]


class Event:
    """Only the rows of neurons that spiked: synapses stored per pre neuron, padded to the
    largest fan-out (ELL layout).  The spiking rows are gathered into a buffer whose size is
    picked per step from a few buckets (16, 64, 256, ... rows), so that a quiet step costs
    little; a step with more spikes than the largest bucket touches every synapse, so no
    spike is ever dropped."""

    name = "event"

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        n_pre, n_post = node.pre.size, node.post.size
        counts = np.bincount(pre, minlength=n_pre)
        # Rounded up so that other seeds of the same network usually keep the shape (no recompile).
        width = -(-max(int(counts.max(initial=0)), 1) // 16) * 16
        # one padding row (index n_pre) and one padding column (target n_post) absorb unused slots
        targets = np.full((n_pre + 1, width), n_post, dtype=np.int32)
        weights = np.zeros((n_pre + 1, width))
        slot = np.arange(len(pre)) - np.repeat(np.cumsum(counts) - counts, counts)
        targets[pre, slot] = post
        weights[pre, slot] = weight
        return {"targets": jnp.asarray(targets), "weights": jnp.asarray(weights, dtype)}

    @staticmethod
    def buckets(n_pre: int) -> tuple[int, ...]:
        sizes, size = [], 16
        while size < n_pre // 4:
            sizes.append(size)
            size *= 4
        return tuple(sizes)

    def propagate(self, arrays: dict, spikes, node: Projection):
        n_pre, n_post = node.pre.size, node.post.size
        targets, weights = arrays["targets"], arrays["weights"]
        total = jnp.zeros(n_post + 1, weights.dtype)

        def gather(capacity: int):
            def run(_):
                rows = jnp.nonzero(spikes, size=capacity, fill_value=n_pre)[0]
                return total.at[targets[rows].ravel()].add(weights[rows].ravel())
            return run

        def every_synapse(_):
            active = jnp.where(spikes[:, None], weights[:n_pre], 0)
            return total.at[targets[:n_pre].ravel()].add(active.ravel())

        buckets = self.buckets(n_pre)
        branches = [gather(c) for c in buckets] + [every_synapse]
        choice = jnp.searchsorted(jnp.asarray(buckets, jnp.int32), jnp.sum(spikes, dtype=jnp.int32))
        summed = jax.lax.switch(choice, branches, None) if buckets else every_synapse(None)
        return summed[:n_post]


KERNELS = {k.name: k for k in (Dense(), Event())}
