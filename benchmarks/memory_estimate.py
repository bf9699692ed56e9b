"""`sim.memory()` against the measured peak memory of a run: COBA at fan-in 80, 4k to 256k.

    python benchmarks/memory_estimate.py [--sizes 4000,64000,256000] [--duration 1000]
                                         [--monitor rate|spikes]

Each size runs in a fresh process.  The worker compiles the COBA network of
`benchmarks/models/coba.py` (p = 80 / N), runs it once for one chunk with another seed so that
XLA's compilation and the process's own memory are done with, drops that run (and the
connectivity it drew), gives freed memory back to the system and takes its resident size as the
baseline.  It then resets the kernel's peak counter (`/proc/self/clear_refs`), estimates the
run with `sim.memory(duration)` and runs it; the measured peak is `getrusage` maxrss (the peak
since the reset) minus the baseline.  With `--monitor rate` (the default) the spike monitor is
replaced by a rate monitor, so that the spikes recorded (which depend on the firing rate the
estimate can only assume) do not hide the rest.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_bytes(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def worker(args: argparse.Namespace) -> None:
    import jax

    import neuroflow as nf
    from neuroflow.units import ms

    sys.path.insert(0, str(HERE))
    from models import coba

    model = coba.build(args.n, min(1.0, 80 / args.n))[0]
    if args.monitor == "rate":
        model = model.remove(nf.ir.SpikeMonitor("P").id).add(nf.ir.RateMonitor("P"))
    sim = nf.compile(model, dt=0.1 * ms, dtype="float32")
    for _ in range(args.warm_ups):  # compile the chunk; leave the allocator as a run leaves it
        warm = sim.run(sim.chunk_steps * sim.dt * ms, seed=0, progress=False)
        del warm
        sim._drawn = None  # the warm-up's connectivity goes too: the measured run draws its own
        gc.collect()
        # host memory that arrays on the CPU device share with numpy is let go of at the next
        # dispatch: one tiny computation, so that the baseline holds none of the warm-up's
        jax.block_until_ready(jax.numpy.zeros(1) + 1)
        ctypes.CDLL(None).malloc_trim(0)
    baseline = rss_bytes()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak resident size starts again from the current one
    estimate = sim.memory(args.duration * ms, spike_rate_hz=args.assumed_rate)
    start = time.perf_counter()
    results = sim.run(args.duration * ms, seed=0, progress=False)
    run_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rate = results.rate("P")
    result = {"n": args.n, "monitor": args.monitor, "baseline_mib": baseline / 2**20,
              "peak_mib": peak / 2**20, "hwm_mib": rss_bytes("VmHWM") / 2**20,
              "measured_mib": (peak - baseline) / 2**20,
              "estimate_mib": estimate.peak / 2**20,
              "parts_mib": {k: v / 2**20 for k, v in estimate.by_kind().items()},
              "drawing_mib": estimate.drawing / 2**20, "rate_hz": rate, "run_s": run_s,
              "kernels": sorted({p.kernel for p in sim.model.find(nf.ir.Projection)})}
    print("RESULT " + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4000,64000,256000")
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--monitor", choices=("rate", "spikes"), default="rate")
    parser.add_argument("--assumed-rate", type=float, default=10.0,
                        help="firing rate (Hz) the estimate assumes for recorded spikes")
    parser.add_argument("--warm-ups", type=int, default=2,
                        help="runs of one chunk before the baseline is taken")
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)  # set for the workers
    args = parser.parse_args()
    if args.n:
        worker(args)
        return
    rows = []
    load_before = os.getloadavg()[0]
    for n in map(int, args.sizes.split(",")):
        command = [sys.executable, __file__, "--n", str(n), "--duration", repr(args.duration),
                   "--monitor", args.monitor, "--warm-ups", str(args.warm_ups),
                   "--assumed-rate", repr(args.assumed_rate)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            sys.exit(f"N = {n} failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(lines[-1][len("RESULT "):]))
        print(lines[-1], flush=True)
    print(f"\nCOBA at fan-in 80, {args.duration:g} ms, float32, {args.monitor} monitor"
          f" (spikes assumed at {args.assumed_rate:g} Hz);"
          f" load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after;"
          f" {time.strftime('%Y-%m-%d')}")
    print("| N | kernels | baseline RSS (MiB) | measured peak - baseline (MiB) | estimate (MiB) |"
          " estimate / measured | rate (Hz) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {', '.join(r['kernels'])} | {r['baseline_mib']:.0f} |"
              f" {r['measured_mib']:.1f} | {r['estimate_mib']:.1f} |"
              f" {r['estimate_mib'] / r['measured_mib']:.2f} | {r['rate_hz']:.1f} |")


if __name__ == "__main__":
    main()
