"""`compile(model, dt, dtype)`: run the pass pipeline, lower to JAX, and wrap it for simulation."""
from __future__ import annotations

from .. import ir
from ..backend.jax import lower
from ..backend.jax._native import expected as native_kernels_expected
from ..passes import DEFAULT_PIPELINE, PassReport, run_pipeline
from .simulate import Simulator, to_ms


def compile(model: ir.Model, dt=0.1, dtype: str = "float32", *, pipeline: str = DEFAULT_PIPELINE,
            verify_each: bool = True, native: bool = True, chunk_steps: int = 1000,
            report: PassReport | None = None) -> Simulator:
    """Compile `model` with time step `dt` (a time, or ms) into a `Simulator`.

    `pipeline` lists the passes (see `neuroflow.passes`); `verify_each` checks
    the IR after every pass (a few milliseconds); `native=False` keeps to the
    pure-JAX kernels.  The IR after the pipeline is `simulator.ir`.
    """
    if isinstance(getattr(model, "model", None), ir.Model):  # a loaded model file
        model = model.model
    if not isinstance(model, ir.Model):
        build = getattr(model, "build", None)
        if build is None:
            raise TypeError(f"compile() needs an ir.Model, a Network or a loaded model file, got"
                        f" {type(model).__name__}")
        model = build()
    dt_ms = to_ms(dt, "dt")
    if not dt_ms > 0:
        raise ir.ModelError(f"dt must be positive, got {dt!r}")
    clock = ir.Clock(dt_ms)
    model = model.replace(clock) if "clock" in model else model.add(clock)
    native = native and native_kernels_expected()  # their build goes on while the passes run
    lowered = run_pipeline(model, pipeline, verify_each=verify_each, report=report,
                           defaults={"kernels": {"native": native}, "fuse": {"native": native}})
    sim = Simulator(lower(lowered, dt_ms, dtype, native), lowered, chunk_steps)
    sim.source, sim.pipeline = model, pipeline  # for `sim.function`, which compiles it again
    return sim
