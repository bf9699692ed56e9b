"""A million neurons: COBA with procedural connectivity, fan-in 80, 1 s simulated.

    python benchmarks/million.py [--neurons 1000000] [--fan-in 80] [--duration 1000]
                                 [--monitor rate|spikes] [--no-native] [--seed 0] [--threads T]

The COBA network of `benchmarks/models/coba.py` (80% excitatory, exponential Euler, dt
0.1 ms, float32) at `--neurons` N, each projection `fixed_prob(fan_in / N)`: every neuron
receives `fan_in` synapses on average (64 excitatory and 16 inhibitory at fan-in 80), as at
4000 neurons with p = 0.02, so the weights stay those of the 4000-neuron benchmark and the
network stays in its asynchronous regime (~22 Hz).  The procedural kernel generates
`fixed_prob` and `fixed_fan_out`; `fixed_prob` is used because it keeps the benchmark's
rule.  Both projections are forced to the `procedural` kernel (synapses regenerated from a
counter-based hash every step: nothing is stored), and with `--monitor rate` (the default)
the spike monitor is replaced by a population rate monitor.

Runs in a fresh process (a worker started by this script), which prints, in order: the
memory estimate (`sim.memory(duration)`, nothing allocated), the build time (model, passes,
lowering), the first chunk of 1000 steps (XLA compilation plus 100 ms simulated), the full
run (wall and CPU time), the peak resident size (getrusage ru_maxrss, the whole process),
the mean rate and the load average before and after.  The native kernels use every CPU the
process may run on (two on the development machine), or `--threads` T.  Never part of the test
run.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def worker(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    import neuroflow as nf
    from neuroflow.units import ms

    sys.path.insert(0, str(HERE))
    from models import coba
    imported = time.perf_counter() - start

    print(f"load average before (1/5/15 min): {load()}", flush=True)
    start = time.perf_counter()
    model = coba.build(args.neurons, min(1.0, args.fan_in / args.neurons))[0]
    model = model.replace(*[p.replace(kernel="procedural")
                            for p in model.find(nf.ir.Projection)])
    if args.monitor == "rate":
        model = model.remove(nf.ir.SpikeMonitor("P").id).add(nf.ir.RateMonitor("P"))
    sim = nf.compile(model, dt=0.1 * ms, dtype="float32", native=not args.native_off)
    built = time.perf_counter() - start
    duration = args.duration * ms
    print(sim.memory(duration, spike_rate_hz=22.0).text(), flush=True)
    kernels = ", ".join(f"{p.name}={p.kernel}" for p in sim.model.find(nf.ir.Projection))
    print(f"COBA N = {args.neurons}, fan-in {args.fan_in:g} (fixed_prob({args.fan_in:g}/N)),"
          f" {args.duration:g} ms, dt 0.1 ms, float32, {args.monitor} monitor, kernels: {kernels},"
          f" native: {sim.program.native}, threads: {os.environ.get('NEUROFLOW_THREADS', 'all')}",
          flush=True)
    print(f"import:                               {imported:7.2f} s", flush=True)
    print(f"build + passes + lowering:            {built:7.2f} s", flush=True)
    start = time.perf_counter()
    sim.run(sim.chunk_steps * sim.dt * ms, seed=args.seed, progress=False)
    first = time.perf_counter() - start
    print(f"first chunk ({sim.chunk_steps} steps, compilation incl.): {first:7.2f} s",
          flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    results = sim.run(duration, seed=args.seed, progress=False)
    ran, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"run of {args.duration:g} ms (compilation excl.): {ran:7.2f} s"
          f" (CPU time of all threads: {cpu:.2f} s)", flush=True)
    print(f"peak resident size (whole process):   {nf.ir.size_text(peak)}", flush=True)
    print(f"mean rate: {results.rate('P'):.1f} Hz", flush=True)
    print(f"load average after (1/5/15 min): {load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neurons", type=int, default=1_000_000, help="N (80%% excitatory)")
    parser.add_argument("--fan-in", type=float, default=80.0,
                        help="expected synapses onto each neuron (both projections)")
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--monitor", choices=("rate", "spikes"), default="rate")
    parser.add_argument("--no-native", dest="native_off", action="store_true",
                        help="keep to the pure-JAX kernels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0,
                        help="threads of the native kernels (default: the CPUs available)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    env = dict(os.environ, **({"NEUROFLOW_THREADS": str(args.threads)} if args.threads else {}))
    done = subprocess.run([sys.executable, __file__, "--worker", *sys.argv[1:]], check=False,
                          env=env)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
