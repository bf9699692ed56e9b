"""The Lorenz ESN protocol that every `esn_*.py` worker follows (issue 14); numpy and the
standard library only, since the workers run under different interpreters.

Data and matrices come from examples/train/tasks.py: Lorenz (sigma 10, beta 8/3, rho 28, from
(8, 1, 1), RK4, dt = 0.001, 100 000 samples, raw units, no normalization); inputs data[t],
targets data[t + 5]; the reservoir runs from a zero state through every step; steps
[0, 1000) are discarded, the readout is fitted on [1000, 70 000) and scored on the rest
(29 995 held-out steps).  The reservoir: 100 units,

    r[t] = (1 - 0.3) * r[t-1] + 0.3 * tanh(u[t] @ w_in + r[t-1] @ w)

with `tasks.reservoir_matrices(seed)` (Normal(0, 0.1) at 10% connectivity, no rescaling) and no
bias; the readout is y[t] = r[t] @ W_out + b.  Errors: the mean over steps and the 3
coordinates of |y - target| (MAE) and (y - target)^2 (MSE), one value per seed 0-9.

Methods: `ridge` closed-form ridge regression with alpha = 1e-6 on the weights, the bias fitted
by centering (ReservoirPy's `Ridge`); `rls` recursive least squares (FORCE) in one pass over
the training steps from W_out = 0 with P0 = 0.1 * I (the `rls-P0=..` and `-lambda=..` variants
change P0 and the forgetting factor).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

START = time.perf_counter()

UNITS = 100
LEAK = 0.3
RIDGE = 1e-6
RLS_P0 = 0.1
SEEDS = tuple(range(10))


def parse_args(extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--sweep", action="store_true",
                        help="also RLS with other P0 and forgetting factors")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def tasks():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "examples", "train"))
    import tasks as module
    return module


def problem():
    """(EsnSplit, tasks module): the protocol's Lorenz data, split."""
    module = tasks()
    return module.esn_split(module.lorenz()), module


def rls_variants(sweep: bool) -> list[tuple[str, float, float]]:
    """(name, P0 scale, forgetting factor) of the RLS runs."""
    variants = [("rls", RLS_P0, 1.0)]
    if sweep:
        variants += [(f"rls-P0={p0:g}", p0, 1.0) for p0 in (1.0, 10.0, 100.0, 1000.0)]
        variants += [(f"rls-P0={p0:g}-lambda={lam:g}", p0, lam)
                     for p0 in (0.1, 100.0) for lam in (0.99999, 0.9999)]
    return variants


def errors(prediction, target) -> tuple[float, float]:
    import numpy as np
    diff = np.asarray(prediction, dtype=float) - np.asarray(target, dtype=float)
    return float(np.abs(diff).mean()), float((diff ** 2).mean())


class Scores:
    """Per method: MAE, MSE and seconds, one entry per seed."""

    def __init__(self):
        self.methods: dict[str, dict[str, list[float]]] = {}

    def add(self, method: str, mae: float, mse: float, seconds: float) -> None:
        entry = self.methods.setdefault(method, {"mae": [], "mse": [], "seconds": []})
        entry["mae"].append(mae)
        entry["mse"].append(mse)
        entry["seconds"].append(seconds)


def emit(args: argparse.Namespace, tool: str, scores: Scores, versions: dict, **extra) -> None:
    result = dict(tool=tool, seeds=args.seeds, methods=scores.methods,
                  total_s=time.perf_counter() - START, python=platform.python_version(),
                  versions=versions, **extra)
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)
