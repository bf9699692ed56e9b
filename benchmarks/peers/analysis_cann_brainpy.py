"""BrainPy 2.9's `SlowPointFinder` on the continuous attractor network of `examples/cann.nfl`
(512 units, no input): the same weights and candidates as neuroflow's, read from the `.npz`
that `benchmarks/analysis_cann.py` writes, gradient descent with Adam as in BrainPy's CANN
example, then its loss filter, deduplication and Jacobians.  Prints one `RESULT {json}` line."""
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
    finder.filter_loss(args.tolerance)
    finder.keep_unique()
    jacobians = finder.compute_jacobians(finder.fixed_points, plot=False)
    eigenvalues = np.linalg.eigvals(np.asarray(jacobians))
    elapsed = time.perf_counter() - start
    points = np.asarray(finder.fixed_points)
    losses = np.asarray(finder.losses)
    print("RESULT " + json.dumps({
        "simulator": "brainpy", "version": bp.__version__, "import_s": IMPORTED - START,
        "analysis_s": elapsed, "count": int(len(points)),
        "max_q": float(losses.max()) if len(losses) else None,
        "peaks": np.asarray(data["positions"])[np.argmax(points, axis=1)].tolist(),
        "leading": np.sort(eigenvalues.real, axis=1)[:, -1].tolist()}))


if __name__ == "__main__":
    main()
