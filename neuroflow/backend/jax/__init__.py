"""The JAX backend: `lower(model, dt, dtype) -> Program` with one pure, jittable `step`."""
import jax

# float64 programs need x64; float32 programs cast every array explicitly, so enabling it is harmless.
jax.config.update("jax_enable_x64", True)

from ._kernels import KERNELS  # noqa: E402
from ._lower import LoweringError, Program, lower  # noqa: E402

__all__ = ["KERNELS", "LoweringError", "Program", "lower"]
