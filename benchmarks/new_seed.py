"""What a new seed costs: COBA runs that draw their connectivity anew, against runs that reuse it.

    python benchmarks/new_seed.py [--repeats 5] [--sizes 4000,64000]

For each N (fan-in 80, p = 80/N; 4000 is the benchmark's p = 0.02), in this process: building the
simulator (`nf.compile`: model, passes, lowering), drawing the connectivity and initial state of a
new seed (`program.initial`, what `sim.run` does first for a seed it has not drawn), and 1 s runs
(100 ms at 64k) with the seed drawn last (reused) and with a new seed each time, interleaved;
best of `--repeats`.  Native kernels, float32.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jax

import neuroflow as nf
from neuroflow.units import ms

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import coba  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    jax.block_until_ready(action())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="4000,64000")
    args = parser.parse_args()
    print(f"load average (1/5/15 min): {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| N | build (s) | draw a new seed (s) | run, seed reused (s) | run, new seed (s) |"
          " simulated |")
    print("|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        model = coba.build(n, min(1.0, 80 / n))[0]
        simulated = 1000 if n <= 16000 else 100
        duration = simulated * ms
        build = min(timed(lambda: nf.compile(model, dt=0.1 * ms, dtype="float32"))
                    for _ in range(args.repeats))
        sim = nf.compile(model, dt=0.1 * ms, dtype="float32")
        sim.run(duration, seed=0)  # compiled
        draw = min(timed(lambda s=s: sim.program.initial(100 + s)) for s in range(args.repeats))
        reused, new = [], []
        for k in range(args.repeats):
            reused.append(timed(lambda: sim.run(duration, seed=0)))
            new.append(timed(lambda k=k: sim.run(duration, seed=1 + k)))
            sim.run(duration, seed=0)  # seed 0 is the one drawn last again
        print(f"| {n} | {build:.3f} | {draw:.3f} | {min(reused):.3f} | {min(new):.3f} |"
              f" {simulated} ms |", flush=True)
    print(f"load average (1/5/15 min): {'/'.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
