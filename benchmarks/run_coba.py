"""Time `sim.run` on the COBA benchmark (4000 neurons, 1 s simulated, dt 0.1 ms).

    python benchmarks/run_coba.py [--duration 1000] [--repeats 3] [--dtype float32]
                                  [--kernel auto] [--no-native] [--method rkf45]

Prints the wall time of the first run (compilation included), of the following runs
(compilation excluded) and the firing rates.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import os
import platform
import runpy
import time
from pathlib import Path

import jax

import neuroflow as nf
from neuroflow.units import ms

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coba.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--kernel", default="auto",
                        help="force a projection kernel (dense, event, csr, ell)")
    parser.add_argument("--no-native", action="store_true", help="keep to the pure-JAX kernels")
    parser.add_argument("--method", default="",
                        help="integrate every population with this method (rkf45, rk4, ...)"
                        " instead of the model's exponential Euler")
    args = parser.parse_args()

    start = time.perf_counter()
    example = runpy.run_path(str(EXAMPLE), run_name="__bench__")
    pipeline = nf.passes.DEFAULT_PIPELINE.replace("kernels", f"kernels{{default={args.kernel}}}")
    if args.method:
        pipeline = pipeline.replace("integrate", f"integrate{{method={args.method}}}")
    sim = nf.compile(example["model"], dt=0.1 * ms, dtype=args.dtype, pipeline=pipeline,
                     native=not args.no_native)
    built = time.perf_counter() - start

    start = time.perf_counter()
    results = sim.run(args.duration * ms, seed=0, progress=False)
    first = time.perf_counter() - start
    warm = []
    for seed in range(args.repeats):
        start = time.perf_counter()
        results = sim.run(args.duration * ms, seed=0, progress=False)
        warm.append(time.perf_counter() - start)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
          f" jax {jax.__version__} on {jax.default_backend()}")
    methods = ", ".join(sorted({u.method for u in sim.model.find(nf.ir.StateUpdate)}))
    print(f"COBA 4000 neurons, {args.duration:g} ms, dt 0.1 ms, {args.dtype}, method {methods},"
          f" native kernels: {sim.program.native}, kernels: "
          + ", ".join(f"{p.name}={p.kernel}" for p in sim.model.find(nf.ir.Projection)))
    print(f"build + passes + lowering:       {built:7.3f} s")
    print(f"first run (compilation incl.):   {first:7.3f} s")
    print(f"run (compilation excl.), best:   {min(warm):7.3f} s   "
          f"(all: {', '.join(f'{w:.3f}' for w in warm)})")
    print(f"rates: excitatory {results.rate(example['exc']):.1f} Hz, "
          f"inhibitory {results.rate(example['inh']):.1f} Hz")


if __name__ == "__main__":
    main()
