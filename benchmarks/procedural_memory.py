"""Memory of stored against procedural connectivity: COBA at fixed fan-in, 1 s simulated.

    python benchmarks/procedural_memory.py [--n 256000 --fan-in 80 --duration 1000]

Runs the COBA network of `benchmarks/models/coba.py` (p = fan-in / N, as in
`compare.py --scaling`) once per kernel, each in a fresh process: `event` (synapses drawn
and stored per pre neuron) and `procedural` (regenerated from the seed every step).  Every
projection is forced to the kernel; the spike monitor is replaced by a rate monitor (with
`--monitor rate`, the default) so that recording 5 million spikes does not hide the
connectivity.  Each worker reports its peak resident set size (getrusage ru_maxrss), its
resident size after importing neuroflow, the bytes of the connectivity arrays handed to the
step, the wall time of the first run (drawing, compilation and simulation) and of a
second run, and the population rate.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def worker(args: argparse.Namespace) -> None:
    import jax

    import neuroflow as nf
    from neuroflow.units import ms

    sys.path.insert(0, str(HERE / "peers"))
    from neuroflow_bench import load_model, repeat_runs

    base_mib = rss_mib()
    model, _, _ = load_model("coba").build(args.n, min(1.0, args.fan_in / args.n))
    model = model.replace(*[p.replace(kernel=args.kernel) for p in model.find(nf.ir.Projection)])
    if args.monitor == "rate":
        model = model.remove(nf.ir.SpikeMonitor("P").id).add(nf.ir.RateMonitor("P"))
    sim = nf.compile(model, dt=0.1 * ms, dtype="float32")
    start = time.perf_counter()
    results = sim.run(args.duration * ms, seed=args.seed, progress=False)
    first_s = time.perf_counter() - start
    runs_s = repeat_runs(sim, args.duration * ms, args.seed, args.repeats)
    conn_bytes = sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(results.final.conn))
    result = {"kernel": args.kernel, "n": args.n, "fan_in": args.fan_in,
              "duration_ms": args.duration, "seed": args.seed, "monitor": args.monitor,
              "kernels": sorted({p.kernel for p in sim.model.find(nf.ir.Projection)}),
              "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
              "import_rss_mib": base_mib, "conn_mib": conn_bytes / 2**20, "first_s": first_s,
              "runs_s": runs_s, "rate_hz": results.rate("P")}
    print("RESULT " + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=256000, help="neurons (80%% excitatory)")
    parser.add_argument("--fan-in", type=float, default=80.0,
                        help="expected synapses per neuron and projection")
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=1, help="runs after the first one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--monitor", choices=("rate", "spikes"), default="rate")
    parser.add_argument("--kernels", default="event,procedural",
                        help="comma-separated kernels to compare")
    parser.add_argument("--kernel", help=argparse.SUPPRESS)  # set for the worker processes
    args = parser.parse_args()
    if args.kernel:
        worker(args)
        return
    rows = []
    for kernel in args.kernels.split(","):
        command = [sys.executable, __file__, "--kernel", kernel, "--n", str(args.n),
                   "--fan-in", repr(args.fan_in), "--duration", repr(args.duration),
                   "--repeats", str(args.repeats), "--seed", str(args.seed),
                   "--monitor", args.monitor]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            sys.exit(f"{kernel} failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(lines[-1][len("RESULT "):]))
        print(lines[-1], flush=True)
    print(f"\nCOBA N = {args.n}, fan-in {args.fan_in:g}, {args.duration:g} ms, "
          f"{args.monitor} monitor, seed {args.seed}")
    print("| kernel | peak RSS (MiB) | RSS after import (MiB) | connectivity arrays (MiB) |"
          " first run (s) | second run (s) | rate (Hz) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        again = ", ".join(f"{s:.1f}" for s in r["runs_s"]) or "-"
        print(f"| {r['kernel']} | {r['peak_rss_mib']:.0f} | {r['import_rss_mib']:.0f} |"
              f" {r['conn_mib']:.2f} | {r['first_s']:.1f} | {again} | {r['rate_hz']:.1f} |")
    if len(rows) == 2:
        print(f"\npeak RSS ratio {rows[1]['kernel']} / {rows[0]['kernel']}:"
              f" {rows[1]['peak_rss_mib'] / rows[0]['peak_rss_mib']:.3f}")


if __name__ == "__main__":
    main()
