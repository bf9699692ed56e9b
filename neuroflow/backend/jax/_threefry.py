"""The step's random key, `jax.random.fold_in(key, step)`, with Threefry-2x32's rounds written
out: the same bits as JAX's, in one fused kernel.  JAX lowers Threefry on CPUs as a rolled loop
(to compile faster), which XLA:CPU runs as a while loop of some 16 kernels a round, five rounds:
about 80 tiny kernels every step, for two words.  Other key implementations go through JAX."""
from __future__ import annotations

import jax
import jax.numpy as jnp

ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
PARITY = 0x1BD11BDA  # Threefry's key-schedule constant


def _rotate_left(x, bits: int):
    return (x << jnp.uint32(bits)) | (x >> jnp.uint32(32 - bits))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 (20 rounds) of the words (x0, x1) under the key (k0, k1), all uint32."""
    schedule = (k0, k1, k0 ^ k1 ^ jnp.uint32(PARITY))
    x0, x1 = x0 + schedule[0], x1 + schedule[1]
    for group in range(5):
        for bits in ROTATIONS[group % 2]:
            x0 = x0 + x1
            x1 = _rotate_left(x1, bits) ^ x0
        x0 = x0 + schedule[(group + 1) % 3]
        x1 = x1 + schedule[(group + 2) % 3] + jnp.uint32(group + 1)
    return x0, x1


def fold_in(key_data, data):
    """`jax.random.key_data(jax.random.fold_in(wrap_key_data(key_data), data))` for the default
    (threefry2x32) keys: `data` (a 32-bit integer) hashed into the key."""
    if jax.config.jax_default_prng_impl != "threefry2x32":
        return jax.random.key_data(jax.random.fold_in(jax.random.wrap_key_data(key_data), data))
    words = key_data.astype(jnp.uint32)
    y0, y1 = threefry2x32(words[0], words[1], jnp.uint32(0), jnp.asarray(data).astype(jnp.uint32))
    return jnp.stack([y0, y1])
