"""Pytrees of a batch of runs (a sweep's states, parameters and monitor outputs): every leaf
has one entry per run along its first axis."""
from __future__ import annotations

import jax
import numpy as np


def stack(trees: list):
    """One pytree whose leaves stack those of `trees` (one per run) along a new first axis."""
    return jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *trees)


def run_of(tree, k: int):
    """Run `k` of a batched pytree."""
    return jax.tree_util.tree_map(lambda leaf: leaf[k], tree)


def runs_on_host(tree, runs: int) -> list:
    """The first `runs` runs of a batched pytree as numpy arrays, each a view of the shard that
    holds it (on a CPU device, without a copy): gathering the shards into one array first
    copied every chunk's monitors, megabytes of fresh pages, while the devices ran the next."""
    leaves, structure = jax.tree_util.tree_flatten(tree)
    rows = [_rows(leaf) for leaf in leaves]
    return [structure.unflatten([leaf_rows[k] for leaf_rows in rows]) for k in range(runs)]


def _rows(leaf) -> list:
    """The runs of one leaf, in order: of each shard on this process, its own runs (a shard
    that holds them all, replicated, writes the same ones again)."""
    if not isinstance(leaf, jax.Array):
        return list(np.asarray(leaf))
    rows = [None] * leaf.shape[0]
    for shard in leaf.addressable_shards:
        block = np.asarray(shard.data)
        start = shard.index[0].start or 0
        rows[start:start + len(block)] = list(block)
    return rows
