"""The phase plane of the Wong-Wang (2006) reduced decision model in neuroflow and in BrainPy 2.9
(`PhasePlane2D`): time to the nullclines and fixed points, and the fixed points' error against
scipy's `fsolve` on the same equations (tolerance 1e-14).

    python benchmarks/analysis_wong_wang.py [--resolution 0.01] [--repeats 3] [--cold]

Both sides run in fresh processes, one after the other, the repeats interleaved:

  neuroflow  `nf.analyze.phase_plane` on `examples/wong_wang.nfl` (worker
             `peers/analysis_wong_wang_neuroflow.py`) with 1/resolution cells per side:
             nullclines found on the grid and traced as curves by continuation (to 1e-11),
             the field on the grid, a 10 ms trajectory, and the fixed points by Newton from
             ~400 seeds, with their Jacobians' eigenvalues.  `first` is the first call in the
             process (tracing and XLA's compilation included; `--cold` turns JAX's disk cache
             off, else a second benchmark run loads the compiled programs from it), `warm` a
             second call on the same loaded file.
  BrainPy    `PhasePlane2D(resolutions=resolution)`: `plot_nullcline()` and
             `plot_fixed_point()` (worker `peers/analysis_brainpy.py`, its venv
             `~/.cache/neuroflow-bench/brainpy-py3.13` made by `compare.py --only-setup`),
             timed from after the import, JAX's compilation included (it keeps no disk cache).

`other` is the CPU (in cores) other processes used meanwhile.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import fsolve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.compare import add_ratios, print_ratios, run_peer_worker  # noqa: E402

BRAINPY = Path.home() / ".cache" / "neuroflow-bench" / "brainpy-py3.13" / "bin" / "python"
PEERS = ROOT / "benchmarks" / "peers"


def rates(s):
    """dS/dt (1/s) in the paper's units, written here by hand."""
    def h(x):
        y = 270 * x - 108
        return y / (1 - np.exp(-0.154 * y))
    x = 0.2609 * s - 0.0497 * s[::-1] + 0.3255 + 0.00052 * 30
    return -s / 0.1 + (1 - s) * 0.641 * h(x)


def error(points) -> float:
    with warnings.catch_warnings():  # fsolve complains that it cannot improve on a solution
        warnings.simplefilter("ignore", RuntimeWarning)
        return max(float(np.abs(np.asarray(p) - fsolve(rates, p, xtol=1e-14)).max())
                   for p in points)


def run(python: str, worker: str, args: list[str], cold: bool) -> dict:
    saved = os.environ.get("JAX_ENABLE_COMPILATION_CACHE")
    if cold:
        os.environ["JAX_ENABLE_COMPILATION_CACHE"] = "false"
    try:
        result, why, _ = run_peer_worker(python, PEERS / worker, args, 900)
    finally:
        if saved is None:
            os.environ.pop("JAX_ENABLE_COMPILATION_CACHE", None)
        else:
            os.environ["JAX_ENABLE_COMPILATION_CACHE"] = saved
    if result is None:
        return {"failed": why}
    points = result["fixed_points"]
    return result | {"error": error(points), "count": len(points)}


def describe(name: str, r: dict) -> str:
    if "failed" in r:
        return f"{name:10s} failed: {r['failed']}"
    return (f"{name:10s} {r.get('first_s', r['analysis_s']):7.2f} {r['analysis_s']:7.2f}"
            f" {r['count']:6d} {r['error']:10.2e} {r['other_cores']:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resolution", type=float, default=0.01,
                        help="BrainPy's grid step; neuroflow uses 1/resolution cells")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="JAX's disk cache off for neuroflow")
    parser.add_argument("--brainpy-python", type=Path, default=BRAINPY)
    args = parser.parse_args()
    cells = str(int(round(1 / args.resolution)))
    ratios = {"first": [], "warm": []}
    print(f"{'':10s} {'first':>7s} {'warm':>7s} {'points':>6s} {'max error':>10s} {'other':>5s}")
    for _ in range(args.repeats):
        ours = run(sys.executable, "analysis_wong_wang_neuroflow.py", ["--cells", cells],
                   args.cold)
        print(describe("neuroflow", ours), flush=True)
        if not args.brainpy_python.exists():
            continue
        theirs = run(str(args.brainpy_python), "analysis_brainpy.py",
                     ["--resolution", str(args.resolution)], False)
        print(describe("brainpy", theirs), flush=True)
        add_ratios(ratios, ours, theirs)
    print_ratios(ratios, "neuroflow/BrainPy")


if __name__ == "__main__":
    main()
