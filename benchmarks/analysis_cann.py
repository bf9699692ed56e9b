"""Slow points of the continuous attractor network of `examples/cann.nfl` (512 units, no input)
in neuroflow (`nf.analyze.slow_points`) and in BrainPy 2.9 (`SlowPointFinder`), from the same
candidates (bumps at random positions) on the same weights: time, how many distinct points,
their largest q, the ring they span and their leading eigenvalue (zero along the ring).

    python benchmarks/analysis_cann.py [--candidates 32] [--repeats 3] [--modes 8]

What each side does in its timed region (both in a fresh process, one after the other, the
repeats interleaved; both in float64):

  neuroflow  `slow_points(steps=0, tol=1e-20)`: Levenberg–Marquardt from the candidates, its
             linear systems solved by conjugate gradients on Jacobian–vector products, all
             candidates at once under one jit and vmap, until q < 1e-30 (4 steps here);
             deduplication; the Jacobians (jacfwd) of the distinct points and their
             eigenvalues: numpy's `eigvals` (all 512), or with `--modes K` the K leading
             ones (and their eigenvectors) by scipy's ARPACK.  `first` is the first call in
             the process (XLA's compilation included; `--cold` turns JAX's disk cache off, else
             a second benchmark run loads the compiled programs from it), `warm` a second call.
  BrainPy    `SlowPointFinder.find_fps_with_gd_method` (Adam from 0.1 decaying, in jitted
             batches of 200 steps, stopping after the first batch whose mean loss is under
             1e-10), `filter_loss(1e-10)`, `keep_unique()`, `compute_jacobians`, then numpy's
             `eigvals` of them (or the same ARPACK call with `--modes K`): JAX's compilation
             included (it keeps no disk cache).

Both workers run with `--blas-threads` (1) OpenBLAS threads: on this 2-core machine, shared with
other work, a second thread makes numpy's 512x512 `eigvals` 1-6x slower, not faster.

Workers: `peers/analysis_cann_neuroflow.py` (this interpreter) and `peers/analysis_cann_brainpy.py`
(the venv `~/.cache/neuroflow-bench/brainpy-py3.13`, made by `compare.py --only-setup`).
`other` is the CPU (in cores) other processes used meanwhile.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import neuroflow as nf  # noqa: E402
from benchmarks.compare import add_ratios, print_ratios, run_peer_worker  # noqa: E402

BRAINPY = Path.home() / ".cache" / "neuroflow-bench" / "brainpy-py3.13" / "bin" / "python"
PEERS = ROOT / "benchmarks" / "peers"


def candidates(count: int, positions: np.ndarray) -> np.ndarray:
    centers = np.random.default_rng(0).uniform(-np.pi, np.pi, count)
    return np.array([0.3 * np.exp(-np.angle(np.exp(1j * (positions - c))) ** 2)
                     for c in centers])


def run(python: str, worker: str, network: Path, modes: int | None, cold: bool) -> dict:
    extra = [] if modes is None else ["--modes", str(modes)]
    saved = os.environ.get("JAX_ENABLE_COMPILATION_CACHE")
    if cold:
        os.environ["JAX_ENABLE_COMPILATION_CACHE"] = "false"
    try:
        result, why, _ = run_peer_worker(python, PEERS / worker, [str(network), *extra], 900)
    finally:
        if saved is None:
            os.environ.pop("JAX_ENABLE_COMPILATION_CACHE", None)
        else:
            os.environ["JAX_ENABLE_COMPILATION_CACHE"] = saved
    return result or {"failed": why}


def describe(name: str, r: dict) -> str:
    if "failed" in r:
        return f"{name:10s} failed: {r['failed']}"
    first = r.get("first_s", r["analysis_s"])
    return (f"{name:10s} {first:7.2f} {r['analysis_s']:7.2f} {r['points_s']:7.2f}"
            f" {r['count']:6d} {r['max_q']:9.1e} {np.ptp(r['peaks']):6.2f}"
            f" {np.abs(r['leading']).max():9.1e} {np.max(r['second']):8.4f}"
            f" {r['other_cores']:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", type=int, default=None,
                        help="the leading eigenvalues only (ARPACK), on both sides")
    parser.add_argument("--cold", action="store_true", help="JAX's disk cache off for neuroflow")
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--brainpy-python", type=Path, default=BRAINPY)
    args = parser.parse_args()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.blas_threads)
    system = nf.analyze.System(nf.load(ROOT / "examples" / "cann.nfl"), {"A": 0.0})
    positions = np.asarray(system.params["R.x"])
    ratios = {"first": [], "warm": []}
    print(f"{'':10s} {'first':>7s} {'warm':>7s} {'points':>7s} {'count':>6s} {'max q':>9s}"
          f" {'span':>6s} {'|lead λ|':>9s} {'2nd λ':>8s} {'other':>5s}")
    with tempfile.TemporaryDirectory() as folder:
        network = Path(folder) / "cann.npz"
        np.savez(network, weights=np.asarray(system.field.conn["recurrent"]["weights"]),
                 tau=float(system.params["R.tau"]), k=float(system.params["R.k"]),
                 candidates=candidates(args.candidates, positions), positions=positions)
        for _ in range(args.repeats):
            ours = run(sys.executable, "analysis_cann_neuroflow.py", network, args.modes,
                       args.cold)
            print(describe("neuroflow", ours), flush=True)
            if not args.brainpy_python.exists():
                continue
            theirs = run(str(args.brainpy_python), "analysis_cann_brainpy.py", network,
                         args.modes, False)
            print(describe("brainpy", theirs), flush=True)
            add_ratios(ratios, ours, theirs)
    print_ratios(ratios, "neuroflow/BrainPy")


if __name__ == "__main__":
    main()
