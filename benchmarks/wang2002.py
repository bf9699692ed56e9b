"""Wang (2002), 2000 neurons, 3 s: neuroflow against Brian2 2.11 C++ standalone.

    python benchmarks/wang2002.py [--duration 3000] [--repeats 3] [--no-brian2]

neuroflow (float32, native kernels) runs `models/wang2002.py` in this process: the first run
with compilation, then the best of `--repeats`; Brian2 runs `peers/wang2002_brian2.py` in the
venv `compare.py --only-setup` makes (its loop time, `device._last_run_time`, without code
generation and compilation).  Both print the rates of the two selective pools after 2 s: at
25.6% coherence the first pool wins (tens of Hz) and the second falls silent.
"""
import argparse
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


def neuroflow(duration: float, repeats: int) -> dict:
    start = time.perf_counter()
    sim = nf.compile(build(25.6, duration * ms, seed=1), dt=0.1 * ms)
    results = sim.run(duration * ms, seed=1)
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        begin = time.perf_counter()
        sim.run(duration * ms, seed=1)
        runs.append(time.perf_counter() - begin)
    return {"tool": "neuroflow", "first_s": first, "best_s": min(runs),
            "rates_late_hz": late_rates(*results.spikes("E"), duration)}


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
    args = parser.parse_args()
    ours = neuroflow(args.duration, args.repeats)
    print(f"neuroflow: {ours['best_s']:.2f} s (first run {ours['first_s']:.2f} s), pools after"
          f" 2 s: {ours['rates_late_hz'][0]:.1f} / {ours['rates_late_hz'][1]:.1f} Hz")
    if not args.no_brian2:
        theirs = brian2(args.duration)
        print(f"Brian2 standalone: {theirs['loop_s']:.2f} s loop ({theirs['total_s']:.1f} s with"
              f" code generation and g++), pools after 2 s: {theirs['rates_late_hz'][0]:.1f} /"
              f" {theirs['rates_late_hz'][1]:.1f} Hz")
        print(f"neuroflow / Brian2: {ours['best_s'] / theirs['loop_s']:.2f}")


if __name__ == "__main__":
    main()
