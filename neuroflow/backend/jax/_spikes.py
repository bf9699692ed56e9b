"""Walking over the neurons that spiked in one step, for the kernels that touch only their rows:
a loop with one step per spike (`each_spike`), a branch per buffer size (`bucketed`) and the
compaction of the spiking rows into a buffer of a static size (`spiking_rows`).  Under `vmap`
(parameter sweeps) the choice of branch is made once for the batch (`busiest_count`)."""
from __future__ import annotations

import jax
import jax.numpy as jnp


def _bit_words(flags):
    """Bools packed 32 to a uint32 word, flag i as bit i % 32 of word i // 32."""
    padded = jnp.pad(flags, (0, -flags.shape[0] % 32)).reshape(-1, 32).astype(jnp.uint32)
    return jnp.sum(padded << jnp.arange(32, dtype=jnp.uint32), axis=1, dtype=jnp.uint32)


def _lowest_bit(word):
    """`(index of the lowest set bit, that bit alone)` of a nonzero uint32."""
    bit = word & (~word + jnp.uint32(1))
    return jax.lax.population_count(bit - jnp.uint32(1)).astype(jnp.int32), bit


def each_spike(spikes, count, body, init):
    """`body(i, acc)` for each index i with `spikes[i]`, in increasing order, starting from
    `init`: exactly `count` (the number of spikes) loop steps.  The spikes are packed into bit
    words, with a second level of words flagging the nonzero ones, so each step finds the next
    spike with an argmax over n / 1024 words; `jnp.nonzero` costs a cumulative sum over all n
    flags (slow on XLA:CPU) and a bound on the count that could drop spikes."""
    words = _bit_words(spikes)

    def one(_, carry):
        top, words, acc = carry
        k = jnp.argmax(top != 0).astype(jnp.int32)
        low, _ = _lowest_bit(top[k])
        j = k * 32 + low
        bit, flag = _lowest_bit(words[j])
        rest = words[j] ^ flag
        emptied = jnp.where(rest == 0, jnp.uint32(1) << low.astype(jnp.uint32), jnp.uint32(0))
        return top.at[k].set(top[k] ^ emptied), words.at[j].set(rest), body(j * 32 + bit, acc)

    return jax.lax.fori_loop(0, count, one, (_bit_words(words != 0), words, init))[2]


def bucketed(spikes, branches: list, buckets: tuple[int, ...], operand):
    """Run the branch for the smallest bucket that holds this step's spikes (the last holds all);
    under `vmap`, the bucket of the batch's busiest member, for every member."""
    if not buckets:
        return branches[-1](operand)
    choice = jnp.searchsorted(jnp.asarray(buckets, jnp.int32), busiest_count(spikes))
    return jax.lax.switch(choice, branches, operand)


@jax.custom_batching.custom_vmap
def busiest_count(spikes):
    """The number of spikes; under `vmap`, the largest number of any member, one for all."""
    return jnp.sum(spikes, dtype=jnp.int32)


@busiest_count.def_vmap
def _busiest_of_batch(axis_size: int, in_batched: list, spikes):
    # one count for the batch keeps the branch index unbatched: `switch` with a batched index
    # runs every branch for every member and selects, the masked pass over every synapse too
    counts = jnp.sum(spikes.reshape(axis_size, -1), axis=1, dtype=jnp.int32)
    return jnp.max(counts), False


def spiking_rows(spikes, capacity: int):
    """The indices of the first `capacity` neurons that spiked, in increasing order, then
    `len(spikes)` (a padding row) for the unused places: a buffer of a static size, made
    without a loop (a cumulative sum and a scatter, parallel on accelerators)."""
    return jnp.nonzero(spikes, size=capacity, fill_value=spikes.shape[0])[0]
