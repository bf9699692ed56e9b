"""What the benchmark workers share: their command line and the one JSON line they print.

Every worker (`neuroflow_bench.py`, `brian2_bench.py`, `brainpy_bench.py`) runs one model
once in its own process and prints a line `RESULT {json}`; `benchmarks/compare.py` starts
them, each under the Python that has its simulator, and reads that line.  This file uses
the standard library only, because the workers run under different interpreters.

Times are wall-clock seconds (time.perf_counter):
  import_s   importing the simulator
  first_s    from after the import to the first result: building the network, generating
             and compiling code, drawing the connectivity and simulating `duration`
  runs_s     the same simulation again, `repeats` times, with everything compiled
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

START = time.perf_counter()   # the first thing a worker imports, before its simulator

MODELS = ("coba", "cuba", "cobahh")
EXC_FRACTION = 0.8            # the first 80% of every network is excitatory


def parse_args(extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--n", type=int, default=4000, help="neurons (80%% excitatory)")
    parser.add_argument("--p", type=float, default=0.02, help="connection probability")
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=3, help="runs after the first one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=None,
                        help="a folder for generated code and caches (fresh one when omitted)")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size (Linux reports KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024.0


def emit(args: argparse.Namespace, simulator: str, *, import_s: float, first_s: float,
         runs_s: list[float], spikes_exc: int, spikes_inh: int, versions: dict,
         peak_rss: float | None = None, **extra) -> None:
    """Print the worker's result as one `RESULT {json}` line on stdout."""
    n_exc = int(args.n * EXC_FRACTION)
    n_inh = args.n - n_exc
    seconds = args.duration / 1000.0
    result = dict(
        simulator=simulator, model=args.model, n=args.n, p=args.p, duration_ms=args.duration,
        seed=args.seed, import_s=import_s, first_s=first_s, runs_s=runs_s,
        rate_exc_hz=spikes_exc / n_exc / seconds, rate_inh_hz=spikes_inh / n_inh / seconds,
        peak_rss_mib=peak_rss_mib() if peak_rss is None else peak_rss,
        total_s=time.perf_counter() - START,
        python=platform.python_version(), versions=versions, **extra)
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)


def workdir(args: argparse.Namespace, tag: str) -> str:
    """`--workdir`, or a fresh temporary folder that is removed when the worker exits."""
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        return os.path.abspath(args.workdir)
    import atexit
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix=f"nf-bench-{tag}-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def run_binary(cmd: list[str], cwd: str) -> tuple[float, float]:
    """Run `cmd`; return (wall seconds, peak RSS in MiB).

    The peak is the child's VmHWM, polled from /proc while it runs: rusage from wait4
    would not do, since Linux folds the forking Python process's own peak into the
    rusage of an exec'd child.
    """
    import subprocess
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL)
    status_file = f"/proc/{proc.pid}/status"
    peak_kib = 0
    while proc.poll() is None:
        try:
            with open(status_file) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
                        break
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed with status {proc.returncode}")
    return wall, peak_kib / 1024.0
