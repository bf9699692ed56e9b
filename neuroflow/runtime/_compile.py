"""`compile(model, dt, dtype)`: run the pass pipeline, lower to JAX, and wrap it for simulation."""
from __future__ import annotations

import jax

from .. import ir
from ..backend.jax import device_kind, lower
from ..backend.jax._memory import device_memory
from ..backend.jax._native import expected as native_kernels_expected
from ..passes import DEFAULT_PIPELINE, PassReport, parse_pipeline, run_pipeline
from ._checks import to_ms
from ._partitioned import partition_devices
from .simulate import Simulator


def accelerator_memory() -> tuple[str, int] | None:
    """The name and memory of the device the arrays live on, where it is an accelerator that
    says (a GPU's `bytes_limit`); None for the CPU, whose memory is the machine's."""
    device = jax.devices()[0]
    limit = device_memory(device) if device.platform != "cpu" else None
    return (f"the {device.platform.upper()} ({device.device_kind})", int(limit)) if limit else None


def compile(model: ir.Model, dt=0.1, dtype: str = "float32", *, pipeline: str = DEFAULT_PIPELINE,
            verify_each: bool = True, native: bool = True, chunk_steps: int = 1000,
            report: PassReport | None = None, devices=None) -> Simulator:
    """Compile `model` with time step `dt` (a time, or ms) into a `Simulator`.

    `pipeline` lists the passes (see `neuroflow.passes`); `verify_each` checks
    the IR after every pass (a few milliseconds); `native=False` keeps to the
    pure-JAX kernels.  The IR after the pipeline is `simulator.ir`.

    `devices` (a list of JAX devices, or a count of `jax.devices()`) partitions every
    population's neurons over them (the `partition` pass, added to the pipeline if it is not
    there): each device holds its neurons and the synapses onto them, and the spikes are
    exchanged every step.  The spikes are those of a run on one device with the same seed.
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
    # before XLA's RESOURCE_EXHAUSTED
    ir.check_state_fits(model, 8 if dtype == "float64" else 4, device=accelerator_memory())
    clock = ir.Clock(dt_ms)
    model = model.replace(clock) if "clock" in model else model.add(clock)
    native = native and native_kernels_expected()  # their build goes on while the passes run
    # the cost model's device: `kernels{device=...}` in the pipeline overrides it
    defaults = {"kernels": {"native": native, "device": device_kind()}, "fuse": {"native": native}}
    if devices is not None:
        devices = partition_devices(devices)
        defaults["partition"] = {"devices": len(devices)}
        if "partition" not in {registered.name for registered, _ in parse_pipeline(pipeline)}:
            pipeline += ",partition"
    lowered = run_pipeline(model, pipeline, verify_each=verify_each, report=report,
                           defaults=defaults)
    sim = Simulator(lower(lowered, dt_ms, dtype, native), lowered, chunk_steps, devices)
    sim.source, sim.pipeline = model, pipeline  # for `sim.function`, which compiles it again
    return sim
