"""Worker: the Lorenz ESN of `_esn.py` in plain numpy (float64): the independent reference
that neuroflow's and ReservoirPy's numbers are checked against; prints `RESULT {json}`.

    python esn_numpy.py [--seeds 0 1 ... 9] [--sweep]

The reservoir is a Python loop over the steps (one matrix-vector product each); `ridge`
solves (X^T X + alpha I) W = X^T Y on the centred training states and targets, the bias being
the difference of the means (as ReservoirPy's Ridge does); `rls` is the textbook recursive
least squares of Sussillo & Abbott (2009) on the states with a constant 1 appended (the bias
is one more weight, inside P), P0 = p0 * I, forgetting factor lambda:

    k = P r / (lambda + r^T P r);  e = W^T r - y;  W -= k e^T;  P = (P - k r^T P) / lambda
"""
from __future__ import annotations

import sys
import time

import _esn as E


def reservoir_states(np, inputs, w_in, w, leak=E.LEAK):
    drive = inputs @ w_in                       # [steps, units], all inputs at once
    states = np.empty_like(drive)
    r = np.zeros(w.shape[0])
    for t in range(len(drive)):
        r = (1.0 - leak) * r + leak * np.tanh(drive[t] + r @ w)
        states[t] = r
    return states


def ridge(np, x, y, alpha=E.RIDGE):
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc = x - x_mean
    w_out = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ y)
    return w_out, y_mean - x_mean @ w_out


def rls(np, x, y, p0, forgetting):
    """One pass of RLS over (x, y) from zero weights; returns (W_out, bias)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    n = xb.shape[1]
    p = np.eye(n) * p0
    w = np.zeros((n, y.shape[1]))
    for r, target in zip(xb, y):
        pr = p @ r
        k = pr / (forgetting + r @ pr)
        e = r @ w - target
        w -= np.outer(k, e)
        p = (p - np.outer(k, pr)) / forgetting
    return w[:-1], w[-1]


def main() -> None:
    args = E.parse_args()
    import numpy as np

    split, tasks = E.problem()
    scores = E.Scores()
    train, test = split.train, split.test
    for seed in args.seeds:
        w_in, w = tasks.reservoir_matrices(seed)
        t0 = time.perf_counter()
        states = reservoir_states(np, split.inputs, w_in, w)
        run_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        w_out, bias = ridge(np, states[train], split.targets[train])
        prediction = states[test] @ w_out + bias
        scores.add("ridge", *E.errors(prediction, split.targets[test]),
                   run_s + time.perf_counter() - t0)
        for name, p0, forgetting in E.rls_variants(args.sweep):
            t0 = time.perf_counter()
            w_out, bias = rls(np, states[train], split.targets[train], p0, forgetting)
            prediction = states[test] @ w_out + bias
            scores.add(name, *E.errors(prediction, split.targets[test]),
                       run_s + time.perf_counter() - t0)
        print(f"seed {seed}: " + ", ".join(f"{m} {v['mae'][-1]:.4g}"
                                           for m, v in scores.methods.items()),
              file=sys.stderr, flush=True)
    E.emit(args, "numpy", scores, {"numpy": np.__version__}, dtype="float64")


if __name__ == "__main__":
    sys.exit(main())
