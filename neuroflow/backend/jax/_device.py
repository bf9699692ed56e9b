"""Moving host arrays onto the device.

`jnp.asarray(numpy_array)` compiles a small XLA computation for every new shape (tens of
milliseconds each, before the first result); `jax.device_put` copies without compiling.
"""
from __future__ import annotations

import jax
import numpy as np


def to_device(value, dtype=None) -> jax.Array:
    """`value` (a number or array-like) as a device array of `dtype`, converted on the host."""
    return jax.device_put(np.asarray(value, dtype=dtype))
