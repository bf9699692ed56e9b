"""Moving host arrays onto the device, and what kind of device that is.

`jnp.asarray(numpy_array)` compiles a small XLA computation for every new shape (tens of
milliseconds each, before the first result); `jax.device_put` copies without compiling.
"""
from __future__ import annotations

import jax
import numpy as np


def to_device(value, dtype=None) -> jax.Array:
    """`value` (a number or array-like) as a device array of `dtype`, converted on the host."""
    return jax.device_put(np.asarray(value, dtype=dtype))


def device_kind() -> str:
    """The kind of device JAX runs on by default, as the cost model of the `kernels` pass
    names it: `cpu`, `tpu` or `gpu` (CUDA and ROCm alike)."""
    platform = jax.devices()[0].platform
    return platform if platform in ("cpu", "tpu") else "gpu"
