"""The JAX backend: `lower(model, dt, dtype) -> Program` with one pure, jittable `step`."""
import importlib.util
import os

# XLA:CPU's YNNPACK fusions (jaxlib 0.10) miscompile a product with a constant matrix of equal
# entries (an all-to-all coupling of weight 1) followed by a sum under `jit(vmap(...))`: NaN or
# wrong sums.  Off unless the user chose a fusion type; read when XLA's CPU backend starts.
if "xla_cpu_experimental_ynn_fusion_type" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_experimental_ynn_fusion_type=").strip()

import jax  # noqa: E402

# float64 programs need x64; float32 programs cast every array explicitly, so it is harmless.
jax.config.update("jax_enable_x64", True)

from ._native import cache_dir, private_folder  # noqa: E402

# Compiled steps are kept on disk, so a fresh process that runs the same model skips XLA's
# compilation; where `filelock` is installed (JAX needs it for this) JAX deletes the least
# recently used beyond 1 GiB, elsewhere `neuroflow cache --clear` empties it.  A cache the
# user configured is left alone; one in a folder others can write to is not used (it holds
# programs that run).
if not jax.config.jax_compilation_cache_dir and private_folder(cache_dir() / "xla"):
    jax.config.update("jax_compilation_cache_dir", str(cache_dir() / "xla"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    if importlib.util.find_spec("filelock") is not None:
        jax.config.update("jax_compilation_cache_max_size", 2**30)

from ._coupling import COUPLING_KERNELS  # noqa: E402
from ._expr import evaluate  # noqa: E402
from ._gradients import SpikeGradients  # noqa: E402
from ._kernels import KERNELS  # noqa: E402
from ._lower import LoweringError, Program, lower  # noqa: E402
from ._vector_field import StateEntry, VectorField, vector_field  # noqa: E402

__all__ = ["COUPLING_KERNELS", "KERNELS", "LoweringError", "Program", "SpikeGradients",
           "StateEntry", "VectorField", "evaluate", "lower", "vector_field"]
