"""The JAX backend: `lower(model, dt, dtype) -> Program` with one pure, jittable `step`.

Importing it sets no JAX configuration: neuroflow's code runs inside `jax_scope()` (64-bit
types and its compilation cache, for the current thread only); see `_scope`."""
from ._coupling import COUPLING_KERNELS
from ._device import device_kind
from ._expr import evaluate
from ._gradients import STEP_RESIDUALS, SpikeGradients
from ._kernels import KERNELS
from ._lower import STATE_LAYOUT, LoweringError, Program, lower
from ._native import threads_shared_by
from ._scope import COMPILER_OPTIONS, jax_scope, jit
from ._vector_field import StateEntry, VectorField, vector_field

__all__ = ["COMPILER_OPTIONS", "COUPLING_KERNELS", "KERNELS", "LoweringError", "Program",
           "STATE_LAYOUT", "STEP_RESIDUALS", "SpikeGradients", "StateEntry", "VectorField",
           "device_kind", "evaluate", "jax_scope", "jit", "lower", "threads_shared_by",
           "vector_field"]
