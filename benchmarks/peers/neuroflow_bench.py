"""Worker: one benchmark model in neuroflow, in this process; prints `RESULT {json}`.

    python benchmarks/peers/neuroflow_bench.py --model coba [--n 4000 --p 0.02 --duration 1000]

The networks are `benchmarks/models/{coba,cuba,cobahh}.py` (COBA and CUBA are the
equations of `examples/`).  float32, dt = 0.1 ms, the default pipeline, native kernels
where neuroflow has them (`--no-native`: pure JAX); each run starts from the initial state
drawn from `--seed`.  The first run also draws the connectivity (in its time); the repeated
runs reuse it, as `Simulator.run` does for a seed it has drawn (since 2026-11-27; before, every
run drew it again), like Brian2's runtime and BrainPy, whose networks keep their synapses
between runs; Brian2 standalone's binary creates them in every run.
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import _common

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def load_model(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}",
                                                  HERE.parent / "models" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def repeat_runs(sim, duration, seed: int, repeats: int) -> list[float]:
    """Wall times of `repeats` runs of `sim` (compiled already), each from the seed's initial
    state."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sim.run(duration, seed=seed, progress=False)
        times.append(time.perf_counter() - start)
    return times


def source_state() -> str:
    """The commit, and a digest of neuroflow's source files when they differ from it."""
    if os.environ.get("NEUROFLOW_BENCH_SOURCE"):    # compare.py --neuroflow-rev
        return os.environ["NEUROFLOW_BENCH_SOURCE"]
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip() or "no git"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "neuroflow"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10,
                               check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev, dirty = "no git", "?"
    if not dirty:
        return rev
    digest = hashlib.sha1()
    for path in sorted((ROOT / "neuroflow").rglob("*")):
        if path.suffix in (".py", ".cc", ".lark", ".nfl") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return f"{rev} + uncommitted changes (sources {digest.hexdigest()[:10]})"


def main() -> None:
    def extra(parser):
        parser.add_argument("--dtype", default="float32")
        parser.add_argument("--no-native", action="store_true", help="pure-JAX kernels only")
    args = _common.parse_args(extra)
    import jax

    import neuroflow as nf
    from neuroflow.units import ms
    import_s = time.perf_counter() - _common.START

    start = time.perf_counter()
    model, exc, _ = load_model(args.model).build(args.n, args.p)
    dt = 0.1 * ms
    options = {"native": False} if args.no_native else {}
    if options and "native" not in inspect.signature(nf.compile).parameters:
        raise SystemExit("this neuroflow has no native kernels to switch off")
    sim = nf.compile(model, dt=dt, dtype=args.dtype, **options)
    results = sim.run(args.duration * ms, seed=args.seed, progress=False)
    first_s = time.perf_counter() - start

    runs_s = repeat_runs(sim, args.duration * ms, args.seed, args.repeats)

    _, neuron = results.spikes("P")
    n_exc = exc.stop - exc.start
    kernels = {p.name: p.kernel for p in sim.model.find(nf.ir.Projection)}
    methods = sorted({str(getattr(u, "method", "?")) for u in sim.model.find(nf.ir.StateUpdate)})
    try:
        from neuroflow.backend.jax import _native
        native = (not args.no_native) and _native.available()
    except ImportError:
        native = False
    _common.emit(args, "neuroflow-jax" if args.no_native else "neuroflow", import_s=import_s,
                 first_s=first_s, runs_s=runs_s,
                 spikes_exc=int((neuron < n_exc).sum()), spikes_inh=int((neuron >= n_exc).sum()),
                 versions={"neuroflow": f"{getattr(nf, '__version__', '?')} ({source_state()})",
                           "jax": jax.__version__, "jaxlib": metadata.version("jaxlib")},
                 dtype=args.dtype, kernels=kernels, native_kernels=native, methods=methods,
                 package=str(Path(nf.__file__).resolve().parent))


if __name__ == "__main__":
    sys.exit(main())
