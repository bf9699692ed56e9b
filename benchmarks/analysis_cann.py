"""Slow points of the continuous attractor network of `examples/cann.nfl` (512 units, no input)
in neuroflow (`nf.analyze.slow_points`) and in BrainPy 2.9 (`SlowPointFinder`), from the same
candidates (bumps at random positions) on the same weights: time, how many distinct points,
their largest q = |f|^2/2, and their leading eigenvalue (zero along the ring).

    python benchmarks/analysis_cann.py [--candidates 64] [--brainpy-python PATH]

neuroflow runs in this process, twice (the second finds XLA's compiled programs in its disk
cache); BrainPy in its venv (`~/.cache/neuroflow-bench/brainpy-py3.13`, made by `compare.py
--only-setup`), worker `peers/analysis_cann_brainpy.py`.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import neuroflow as nf  # noqa: E402

BRAINPY = Path.home() / ".cache" / "neuroflow-bench" / "brainpy-py3.13" / "bin" / "python"


def candidates(count: int, positions: np.ndarray) -> np.ndarray:
    centers = np.random.default_rng(0).uniform(-np.pi, np.pi, count)
    return np.array([0.3 * np.exp(-np.angle(np.exp(1j * (positions - c))) ** 2)
                     for c in centers])


def neuroflow_run(system, starts: np.ndarray, positions: np.ndarray) -> dict:
    start = time.perf_counter()
    found = nf.analyze.slow_points(system, candidates=starts, steps=200, learning_rate=1e-3,
                                   tol=1e-20)
    elapsed = time.perf_counter() - start
    return {"simulator": "neuroflow", "analysis_s": elapsed, "count": len(found),
            "max_q": float(found.speed.max()),
            "peaks": positions[np.argmax(found.states, axis=1)].tolist(),
            "leading": found.eigenvalues[:, 0].real.tolist()}


def brainpy_run(python: Path, network: Path) -> dict:
    worker = ROOT / "benchmarks" / "peers" / "analysis_cann_brainpy.py"
    done = subprocess.run([str(python), str(worker), str(network)], capture_output=True,
                          text=True, env=dict(os.environ, MPLBACKEND="Agg"))
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        return {"simulator": "brainpy", "failed": done.stderr[-600:]}
    return json.loads(line[-1][7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=64)
    parser.add_argument("--brainpy-python", type=Path, default=BRAINPY)
    args = parser.parse_args()
    system = nf.analyze.System(nf.load(ROOT / "examples" / "cann.nfl"), {"A": 0.0})
    positions = np.asarray(system.params["R.x"])
    starts = candidates(args.candidates, positions)
    results = [neuroflow_run(system, starts, positions) for _ in range(2)]
    if args.brainpy_python.exists():
        with tempfile.TemporaryDirectory() as folder:
            network = Path(folder) / "cann.npz"
            np.savez(network, weights=np.asarray(system.field.conn["recurrent"]["weights"]),
                     tau=float(system.params["R.tau"]), k=float(system.params["R.k"]),
                     candidates=starts, positions=positions)
            results.append(brainpy_run(args.brainpy_python, network))
    print(f"{'':12s} {'seconds':>8s} {'points':>6s} {'max q':>9s} {'ring span':>9s}"
          f" {'max |leading λ|':>15s}")
    for r in results:
        if "failed" in r:
            print(f"{r['simulator']:12s} failed: {r['failed']}")
            continue
        span = np.ptp(r["peaks"]) if r["peaks"] else 0.0
        leading = np.abs(r["leading"]).max() if r["leading"] else np.nan
        print(f"{r['simulator']:12s} {r['analysis_s']:8.2f} {r['count']:6d} {r['max_q']:9.1e}"
              f" {span:9.2f} {leading:15.1e}")


if __name__ == "__main__":
    main()
