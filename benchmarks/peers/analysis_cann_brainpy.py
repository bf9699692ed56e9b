"""BrainPy 2.9's `SlowPointFinder` on the continuous attractor network of `examples/cann.nfl`
(512 units, no input): the same weights and candidates as neuroflow's, read from the `.npz`
that `benchmarks/analysis_cann.py` writes, gradient descent with Adam as in BrainPy's CANN
example (200 steps: the first batch brings the mean loss below the tolerance), then its loss
filter, deduplication and Jacobians, and the eigenvalues of these (numpy's `eigvals`, all 512;
with `--modes K` the K leading ones by scipy's ARPACK, as neuroflow's `modes=K`).  Timed from
after the import: the first (and only) call, JAX's compilation included (BrainPy does not turn
on JAX's disk cache).  Prints one `RESULT {json}` line."""
import argparse
import json
import time

START = time.perf_counter()
import brainpy as bp  # noqa: E402
import brainpy.math as bm  # noqa: E402
import numpy as np  # noqa: E402

IMPORTED = time.perf_counter()
bm.enable_x64()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("network", help="the .npz with weights [pre, post], tau, k, candidates")
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--tolerance", type=float, default=1e-10)
    parser.add_argument("--modes", type=int, default=None)
    args = parser.parse_args()
    data = np.load(args.network)
    weights, tau, k = bm.asarray(data["weights"]), float(data["tau"]), float(data["k"])

    def cell(u):
        r = u ** 2 / (1.0 + k * bm.sum(u ** 2))
        return (-u + r @ weights) / tau

    start = time.perf_counter()
    finder = bp.analysis.SlowPointFinder(f_cell=cell, f_type=bp.analysis.CONTINUOUS,
                                         verbose=False)
    finder.find_fps_with_gd_method(
        candidates=bm.asarray(data["candidates"]), tolerance=args.tolerance, num_batch=200,
        num_opt=args.steps, optimizer=bp.optim.Adam(lr=bp.optim.ExponentialDecay(0.1, 2, 0.999)))
    optimized = time.perf_counter()
    finder.filter_loss(args.tolerance)
    finder.keep_unique()
    linearized = time.perf_counter()
    jacobians = np.asarray(finder.compute_jacobians(finder.fixed_points, plot=False))
    if args.modes is None:
        eigenvalues = np.linalg.eigvals(jacobians)
    else:
        from scipy.sparse.linalg import eigs
        eigenvalues = np.array([eigs(m, k=args.modes, which="LR", tol=1e-12,
                                     return_eigenvectors=False) for m in jacobians])
    elapsed = time.perf_counter() - start
    points = np.asarray(finder.fixed_points)
    losses = np.asarray(finder.losses)
    print("RESULT " + json.dumps({
        "simulator": "brainpy", "version": bp.__version__, "import_s": IMPORTED - START,
        "analysis_s": elapsed, "count": int(len(points)), "optimize_s": optimized - start,
        "points_s": linearized - start,
        "max_q": float(losses.max()) if len(losses) else None,
        "peaks": np.asarray(data["positions"])[np.argmax(points, axis=1)].tolist(),
        "leading": np.sort(eigenvalues.real, axis=1)[:, -1].tolist(),
        "second": np.sort(eigenvalues.real, axis=1)[:, -2].tolist()}))


if __name__ == "__main__":
    main()
