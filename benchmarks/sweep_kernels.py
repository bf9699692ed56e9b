"""A sweep of 8 COBA-4k runs with one kernel forced, native kernels on or off.

    python benchmarks/sweep_kernels.py [--kernel procedural] [--no-native] [--duration 20]
                                       [--repeats 2]

Compiles `models/coba.py` (4000 neurons, p = 0.02, float32) with `kernels{default=KERNEL}`,
sweeps the drive `P.I` over 18..25 mV in one batched program (`sim.sweep`) once to compile,
then `--repeats` times, and prints the best time, the spike counts of the runs (to compare two
versions of neuroflow run after run) and the load average.  Run it with `PYTHONPATH` set to an
export of another commit (`git archive REV | tar -x -C DIR`) to time that version.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernel", default="procedural")
    parser.add_argument("--no-native", action="store_true", help="keep to the pure-JAX kernels")
    parser.add_argument("--duration", type=float, default=20.0, help="simulated ms per run")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import neuroflow as nf
    from neuroflow.units import mV, ms

    sys.path.insert(0, str(HERE))
    from models import coba

    pipeline = nf.passes.DEFAULT_PIPELINE.replace("kernels", f"kernels{{default={args.kernel}}}")
    sim = nf.compile(coba.build()[0], dt=0.1 * ms, pipeline=pipeline, native=not args.no_native)
    currents = [(18 + k) * mV for k in range(8)]
    load = os.getloadavg()[0]

    def sweep():
        return sim.sweep(args.duration * ms, {"P.I": currents}, seed=0, progress=False)

    start = time.perf_counter()
    swept = sweep()
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        swept = sweep()
        best = min(best, time.perf_counter() - start)
    print(f"neuroflow from {Path(nf.__file__).parent.parent.name}: sweep of 8, {args.kernel},"
          f" native {sim.program.native}, {args.duration:g} ms: first {first:.2f} s, best"
          f" {best:.3f} s; spikes {[len(r.spikes('P')[0]) for r in swept]}; load"
          f" {load:.1f} -> {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
