"""The phase plane of the Wong-Wang (2006) reduced decision model in neuroflow and in BrainPy 2.9
(`PhasePlane2D`): time to the nullclines and fixed points, and the fixed points' error against
scipy's `fsolve` on the same equations (tolerance 1e-14).

    python benchmarks/analysis_wong_wang.py [--resolution 0.01] [--brainpy-python PATH]

neuroflow runs in this process (`nf.analyze.phase_plane` on `examples/wong_wang.nfl`, timed
from the loaded file, compilation included, twice: the second finds XLA's compiled programs in
its disk cache); BrainPy in its venv (`~/.cache/neuroflow-bench/brainpy-py3.13`, made by
`compare.py --only-setup`), worker `peers/analysis_brainpy.py`.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import fsolve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import neuroflow as nf  # noqa: E402

BRAINPY = Path.home() / ".cache" / "neuroflow-bench" / "brainpy-py3.13" / "bin" / "python"


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


def neuroflow_run(resolution: int) -> dict:
    model = nf.load(ROOT / "examples" / "wong_wang.nfl")
    start = time.perf_counter()
    plane = nf.analyze.phase_plane(model, "S1,S2", {"c": 0.0}, resolution=resolution,
                                   bounds={"S1": (0, 1), "S2": (0, 1)}, duration=10)
    elapsed = time.perf_counter() - start
    points = plane.fixed_points.states.tolist()
    return {"simulator": "neuroflow", "analysis_s": elapsed, "fixed_points": points,
            "error": error(points), "count": len(points)}


def brainpy_run(python: Path, resolution: float) -> dict:
    worker = ROOT / "benchmarks" / "peers" / "analysis_brainpy.py"
    done = subprocess.run([str(python), str(worker), "--resolution", str(resolution)],
                          capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        return {"simulator": "brainpy", "failed": done.stderr[-400:]}
    result = json.loads(line[-1][7:])
    points = result["fixed_points"]
    return result | {"error": error(points), "count": len(points)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resolution", type=float, default=0.01,
                        help="BrainPy's grid step; neuroflow uses 1/resolution cells")
    parser.add_argument("--brainpy-python", type=Path, default=BRAINPY)
    args = parser.parse_args()
    results = [neuroflow_run(int(round(1 / args.resolution))) for _ in range(2)]
    if args.brainpy_python.exists():
        results.append(brainpy_run(args.brainpy_python, args.resolution))
    print(f"{'':12s} {'seconds':>8s} {'points':>6s} {'max error':>10s}")
    for r in results:
        if "failed" in r:
            print(f"{r['simulator']:12s} failed: {r['failed']}")
            continue
        print(f"{r['simulator']:12s} {r['analysis_s']:8.2f} {r['count']:6d} {r['error']:10.2e}")


if __name__ == "__main__":
    main()
