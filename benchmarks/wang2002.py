"""Wang (2002), 2000 neurons, 3 s: neuroflow against Brian2 2.11 C++ standalone.

    python benchmarks/wang2002.py [--duration 3000] [--repeats 3] [--no-brian2] [--kernels]

neuroflow (float32, native kernels) runs `models/wang2002.py` in this process: the first run
with compilation, then the best of `--repeats`; Brian2 runs `peers/wang2002_brian2.py` in the
venv `compare.py --only-setup` makes (its loop time, `device._last_run_time`, without code
generation and compilation).  Both print the rates of the two selective pools after 2 s: at
25.6% coherence the first pool wins (tens of Hz) and the second falls silent.  neuroflow's
`cpu` is the CPU time of its best run (on a shared machine, less disturbed than the wall time).
`--kernels` also prints what XLA runs in one step of the compiled loop (`hlo_ops.py`'s count:
fusions, copies, dots, native custom calls) and a digest of the spikes, to check that a change
to the step leaves them as they were.
"""
import argparse
import collections
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import neuroflow as nf  # noqa: E402
from models.wang2002 import POOL, build  # noqa: E402
from neuroflow.units import ms  # noqa: E402

BRIAN2 = Path.home() / ".cache" / "neuroflow-bench" / "brian2-py3.13" / "bin" / "python"


def late_rates(t: np.ndarray, i: np.ndarray, duration: float) -> list[float]:
    late = t >= 2000.0
    return [float(((i >= a) & (i < a + POOL) & late).sum() / POOL / ((duration - 2000) / 1000))
            for a in (0, POOL)]


def step_kernels(sim) -> collections.Counter:
    """The kernels XLA runs in one step of the compiled loop, by kind."""
    from hlo_ops import BOOKKEEPING, loop_body, opcode
    state, params, conn = sim.program.initial(0)
    hlo = sim._chunk.lower(state, params, conn, sim.program.prepare(params), 100).compile()
    return collections.Counter(op for op in map(opcode, loop_body(hlo.as_text()))
                               if op not in BOOKKEEPING)


def neuroflow(duration: float, repeats: int, kernels: bool = False) -> dict:
    start = time.perf_counter()
    sim = nf.compile(build(25.6, duration * ms, seed=1), dt=0.1 * ms)
    results = sim.run(duration * ms, seed=1)
    first = time.perf_counter() - start
    runs, cpu = [], []
    for _ in range(repeats):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        sim.run(duration * ms, seed=1)
        runs.append(time.perf_counter() - begin)
        cpu.append(time.process_time() - begin_cpu)
    t, i = results.spikes("E")
    out = {"tool": "neuroflow", "first_s": first, "best_s": min(runs), "cpu_s": min(cpu),
           "rates_late_hz": late_rates(t, i, duration), "spikes": len(t),
           "digest": hashlib.sha1(np.asarray(t).tobytes() + np.asarray(i).tobytes()).hexdigest()}
    if kernels:
        out["kernels"] = dict(step_kernels(sim).most_common())
    return out


def brian2(duration: float) -> dict:
    out = subprocess.run([str(BRIAN2), str(HERE / "peers" / "wang2002_brian2.py"),
                          "--duration", str(duration)], capture_output=True, text=True)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"Brian2 failed:\n{out.stderr[-2000:]}")
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=3000.0, help="ms, at least 2500")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-brian2", action="store_true")
    parser.add_argument("--kernels", action="store_true", help="count the step's XLA kernels")
    args = parser.parse_args()
    ours = neuroflow(args.duration, args.repeats, args.kernels)
    print(f"neuroflow: {ours['best_s']:.2f} s, cpu {ours['cpu_s']:.2f} s (first run"
          f" {ours['first_s']:.2f} s), pools after 2 s: {ours['rates_late_hz'][0]:.1f} /"
          f" {ours['rates_late_hz'][1]:.1f} Hz")
    if args.kernels:
        print(f"step: {sum(ours['kernels'].values())} kernels {ours['kernels']};"
              f" {ours['spikes']} spikes of E, digest {ours['digest'][:12]}")
    if not args.no_brian2:
        theirs = brian2(args.duration)
        print(f"Brian2 standalone: {theirs['loop_s']:.2f} s loop ({theirs['total_s']:.1f} s with"
              f" code generation and g++), pools after 2 s: {theirs['rates_late_hz'][0]:.1f} /"
              f" {theirs['rates_late_hz'][1]:.1f} Hz")
        print(f"neuroflow / Brian2: {ours['best_s'] / theirs['loop_s']:.2f}")


if __name__ == "__main__":
    main()
