"""A short prepared check of neuroflow on a GPU: versions and device, then for COBA at 4k, 64k
and 1M neurons and for a sweep of 8 the compilation time, run time and synaptic events per
second, and COBA 4k's spikes against a CPU run.

    python benchmarks/gpu_check.py [--duration 1000] [--repeats 2] [--json OUT] [--cpu-smoke]

Meant for a machine where JAX sees a GPU (with `jax[cuda12]` installed); it takes about
2-3 minutes on one H200 (estimated: no GPU was at hand when it was written) and stops the
optional parts (the forced-kernel tables) once `--budget` seconds have passed.
`--cpu-smoke` runs every step at tiny sizes on the CPU, with the cost model told it is on a
GPU (`kernels{device=gpu}`), so that the script is tested without one.

The network is COBA as in `models/coba.py` (80% excitatory, exponential Euler, dt 0.1 ms,
float32), fan-in 80 (`fixed_prob(80 / N)`, as p = 0.02 at 4000 neurons).  Every case compiles
with the pure-JAX kernels (native C++ kernels run on CPUs only) and the kernels the cost model
picks for the device, and prints them:

- `coba-4k`: 4000 neurons, stored synapses (320k), spike monitor;
- `coba-64k`: 64000 neurons, stored synapses (5.1M), spike monitor;
- `coba-1m`: 10^6 neurons, `procedural` connectivity (nothing stored), rate monitor;
- `sweep-8`: COBA 4k with the drive `P.I` from 18 to 26 mV, 8 runs in one batched program;
- `kernels-4k`, `kernels-64k`: each kernel forced, `--kernel-ms` simulated: the measured µs
  per step next to the cost model's prediction (the GPU constants of the `kernels` pass are
  estimates; these rows, and `calibrate_kernels.py --fit` run on the GPU, give fitted ones).

Each case prints the first run (compilation included), the best of `--repeats` further runs,
compilation (their difference), the mean rate, synaptic events per second (spikes times the
mean fan-out, over the best run) and the speed against real time.  The check runs COBA 4k
in float64 here and in a fresh CPU process (`JAX_PLATFORMS=cpu`, the same kernels): the spike
trains are identical, or it prints when they part and both rates.  GPU and CPU math libraries
round differently and the network is chaotic, so trains may part after a while; the check fails
(exit status 1) if they differ in the first 10 ms or the rates by more than 5%.  A case that
fails is reported and the others still run (and the exit status is 1).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FAN_IN = 80.0
FULL = {"small": 4000, "medium": 64000, "large": 1_000_000}
SMOKE = {"small": 300, "medium": 800, "large": 3000}
SWEEP = 8
CURRENTS_MV = [18 + 8 * k / (SWEEP - 1) for k in range(SWEEP)]
PARTED_TOO_SOON_MS = 10.0
RATE_TOLERANCE = 0.05


def label(n: int) -> str:
    """4000 -> 4k, 1000000 -> 1m: the names of the cases."""
    for unit, size in (("m", 1_000_000), ("k", 1000)):
        if n >= size and n % (size // 10) == 0:
            return f"{n / size:g}{unit}"
    return str(n)


def network(n: int, procedural: bool = False):
    """COBA at `n` neurons, fan-in 80; procedural connectivity with a rate monitor."""
    import neuroflow as nf

    sys.path.insert(0, str(HERE))
    from models import coba

    model = coba.build(n, min(1.0, FAN_IN / n))[0]
    if procedural:
        model = model.replace(*[p.replace(kernel="procedural")
                                for p in model.find(nf.ir.Projection)])
        model = model.remove(nf.ir.SpikeMonitor("P").id).add(nf.ir.RateMonitor("P"))
    return model


def compile_for(model, device: str, dtype: str = "float32", kernel: str = "auto"):
    import neuroflow as nf
    from neuroflow.units import ms

    pipeline = nf.passes.DEFAULT_PIPELINE.replace(
        "kernels", f"kernels{{device={device},default={kernel}}}")
    return nf.compile(model, dt=0.1 * ms, dtype=dtype, pipeline=pipeline, native=False)


def synapses(sim) -> float:
    import neuroflow as nf

    return sum(p.rule.expected_synapses(p.pre.size, p.post.size)
               for p in sim.model.find(nf.ir.Projection))


def kernels_of(sim) -> str:
    import neuroflow as nf

    return ", ".join(f"{p.name}={p.kernel}" for p in sim.model.find(nf.ir.Projection))


def timed(run, repeats: int):
    """`(first, best, result)`: the first call (compilation included), the best of the rest."""
    start = time.perf_counter()
    result = run()
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return first, best, result


def report(name: str, sim, first: float, best: float, rate_hz: float, duration_ms: float,
           runs: int = 1) -> dict:
    events = rate_hz * duration_ms * 1e-3 * synapses(sim) * runs
    row = {"case": name, "neurons": sim.program.sizes["P"], "synapses": synapses(sim),
           "kernels": kernels_of(sim), "runs": runs, "first_s": first, "run_s": best,
           "compile_s": max(first - best, 0.0), "rate_hz": rate_hz,
           "events_per_s": events / best, "realtime": duration_ms * 1e-3 * runs / best}
    print(f"{name:<10} {row['neurons']:>8} neurons x{runs}  kernels {row['kernels']}\n"
          f"{'':<10} first {first:7.2f} s  run {best:7.3f} s  compile {row['compile_s']:6.2f} s"
          f"  rate {rate_hz:5.1f} Hz  {row['events_per_s']:.3g} synaptic events/s"
          f"  {row['realtime']:.2f}x real time", flush=True)
    return row


def run_case(n: int, device: str, args, procedural: bool = False) -> dict:
    from neuroflow.units import ms

    sim = compile_for(network(n, procedural), device)
    first, best, results = timed(
        lambda: sim.run(args.duration * ms, seed=0, progress=False), args.repeats)
    return report(f"coba-{label(n)}", sim, first, best, results.rate("P"), args.duration)


def sweep_case(n: int, device: str, args) -> dict:
    from neuroflow.units import mV, ms

    sim = compile_for(network(n), device)
    currents = [c * mV for c in CURRENTS_MV]
    first, best, swept = timed(lambda: sim.sweep(args.duration * ms, {"P.I": currents}, seed=0,
                                                 progress=False), args.repeats)
    rate = float(np.mean([r.rate("P") for r in swept]))
    return report(f"sweep-{SWEEP}", sim, first, best, rate, args.duration, runs=SWEEP)


def kernel_table(n: int, device: str, args, skip=()) -> list[dict]:
    """Each kernel forced: measured µs per step against the cost model's prediction."""
    import neuroflow as nf
    from neuroflow.passes.kernels import constants
    from neuroflow.units import ms

    name = f"kernels-{label(n)}"
    steps = int(round(args.kernel_ms / 0.1))
    rows = []
    print(f"{name}: each kernel forced, {args.kernel_ms:g} ms; µs per step (whole step, both"
          " projections) and the cost model's sum over the projections", flush=True)
    for kernel in constants(False, device):
        if kernel in skip:
            continue
        sim = compile_for(network(n), device, kernel=kernel)
        _, best, _ = timed(lambda: sim.run(args.kernel_ms * ms, seed=0, progress=False), 1)
        predicted = sum(dict(p.costs)[kernel] for p in sim.model.find(nf.ir.Projection))
        rows.append({"case": name, "kernel": str(kernel), "measured_us": best / steps * 1e6,
                     "predicted_us": predicted})
        print(f"  {kernel:<15} measured {best / steps * 1e6:9.1f}   predicted {predicted:9.1f}",
              flush=True)
    return rows


def spike_trains(n: int, device: str, duration_ms: float) -> tuple[np.ndarray, np.ndarray]:
    from neuroflow.units import ms

    sim = compile_for(network(n), device, dtype="float64")
    return sim.run(duration_ms * ms, seed=0, progress=False).spikes("P")


def check_against_cpu(n: int, device: str, args) -> dict:
    """COBA at `n` in float64 here and in a fresh CPU process: where the spike trains part."""
    here = spike_trains(n, device, args.check_ms)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cpu.npz"
        command = [sys.executable, __file__, "--cpu-reference", str(out), "--neurons", str(n),
                   "--device", device, "--check-ms", repr(args.check_ms)]
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        subprocess.run(command, env=env, check=True)
        with np.load(out) as saved:
            cpu = saved["t"], saved["i"]
    parted = first_difference(here, cpu)
    rates = [len(t) / (n * args.check_ms * 1e-3) for t, _ in (here, cpu)]
    identical = parted is None
    close = abs(rates[0] - rates[1]) <= RATE_TOLERANCE * max(rates[1], 1e-9)
    passed = identical or (parted >= PARTED_TOO_SOON_MS and close)
    verdict = ("identical spike trains" if identical else
               f"spike trains part at {parted:.1f} ms")
    print(f"check COBA {n} float64, {args.check_ms:g} ms, here against a CPU process: {verdict};"
          f" rates {rates[0]:.2f} / {rates[1]:.2f} Hz -> {'PASS' if passed else 'FAIL'}",
          flush=True)
    return {"case": "check", "identical": identical, "parted_ms": parted, "rates_hz": rates,
            "passed": passed}


def first_difference(a, b) -> float | None:
    """The time (ms) of the first spike in one train and not in the other; None if equal."""
    ta, ia = a
    tb, ib = b
    if len(ta) == len(tb) and np.array_equal(ta, tb) and np.array_equal(ia, ib):
        return None
    order_a, order_b = np.lexsort((ia, ta)), np.lexsort((ib, tb))
    a_pairs = list(zip(ta[order_a].tolist(), ia[order_a].tolist()))
    b_pairs = list(zip(tb[order_b].tolist(), ib[order_b].tolist()))
    for (t1, i1), (t2, i2) in zip(a_pairs, b_pairs):
        if (t1, i1) != (t2, i2):
            return min(t1, t2)
    longer = a_pairs if len(a_pairs) > len(b_pairs) else b_pairs
    return longer[min(len(a_pairs), len(b_pairs))][0]


def versions() -> dict:
    import jax
    import jaxlib

    import neuroflow as nf
    from neuroflow.backend.jax import device_kind

    device = jax.devices()[0]
    found = {"python": platform.python_version(), "jax": jax.__version__,
             "jaxlib": jaxlib.__version__, "neuroflow": getattr(nf, "__version__", "?"),
             "numpy": np.__version__, "backend": jax.default_backend(),
             "device": f"{device.platform} {device.device_kind}", "devices": len(jax.devices()),
             "kind": device_kind()}
    for key, value in found.items():
        print(f"{key:<10} {value}", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms per run")
    parser.add_argument("--repeats", type=int, default=2, help="warm runs; the best is kept")
    parser.add_argument("--kernel-ms", type=float, default=200.0,
                        help="simulated ms per forced kernel")
    parser.add_argument("--check-ms", type=float, default=1000.0,
                        help="simulated ms of the CPU comparison")
    parser.add_argument("--budget", type=float, default=240.0,
                        help="seconds after which the optional kernel tables are skipped")
    parser.add_argument("--json", type=Path, help="write every row to this file")
    parser.add_argument("--cpu-smoke", action="store_true",
                        help="tiny sizes on the CPU, the cost model told it is on a GPU")
    parser.add_argument("--cpu-reference", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--neurons", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--device", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_reference:  # the CPU side of the check, in its own process
        t, i = spike_trains(args.neurons, args.device, args.check_ms)
        np.savez(args.cpu_reference, t=t, i=i)
        return
    start = time.perf_counter()
    from neuroflow.backend.jax import device_kind

    sizes = SMOKE if args.cpu_smoke else FULL
    if args.cpu_smoke:
        args.duration, args.kernel_ms, args.check_ms = (min(args.duration, 20.0),
                                                        min(args.kernel_ms, 5.0),
                                                        min(args.check_ms, 30.0))
    found = versions()
    device = "gpu" if args.cpu_smoke else device_kind()
    if device == "cpu":
        print("JAX sees no accelerator: this is a GPU check (try --cpu-smoke)", flush=True)
    print(f"cost model for: {device}; {args.duration:g} ms per run, float32, dt 0.1 ms",
          flush=True)
    small, medium, large = sizes["small"], sizes["medium"], sizes["large"]
    rows, failed = [], []

    def attempt(function, n: int, *arguments, **options) -> None:
        """Run one case; one that fails (memory, a missing feature) is reported and must not
        cost the others' numbers."""
        try:
            done = function(n, device, args, *arguments, **options)
            rows.extend(done if isinstance(done, list) else [done])
        except Exception as error:  # noqa: BLE001 - reported, and the exit status says so
            print(f"{function.__name__} at {n}: FAILED: {type(error).__name__}:"
                  f" {str(error)[:2000]}", flush=True)
            failed.append(f"{function.__name__}({n})")

    attempt(run_case, small)
    attempt(run_case, medium)
    attempt(run_case, large, procedural=True)
    attempt(sweep_case, small)
    attempt(check_against_cpu, small)
    for n, skip in ((small, ()), (medium, ("dense",))):
        if time.perf_counter() - start > args.budget:
            print(f"kernels-{label(n)}: skipped, past the budget of {args.budget:g} s", flush=True)
            continue
        attempt(kernel_table, n, skip)
    elapsed = time.perf_counter() - start
    passed = any(r["case"] == "check" and r["passed"] for r in rows) and not failed
    print(f"total {elapsed:.1f} s; {'all passed' if passed else 'FAILED: ' + ', '.join(failed)}",
          flush=True)
    if args.json:
        args.json.write_text(json.dumps({"versions": found, "rows": rows, "failed": failed,
                                         "total_s": elapsed}, indent=1))
    sys.exit(0 if passed else 1)

if __name__ == "__main__":
    main()
