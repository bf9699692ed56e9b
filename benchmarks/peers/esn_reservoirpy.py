"""Worker: the Lorenz ESN of `_esn.py` in ReservoirPy 0.4.2, with the shared matrices; prints
`RESULT {json}`.

    python esn_reservoirpy.py [--seeds 0 1 ... 9] [--sweep]

Runs under the ReservoirPy venv that `benchmarks/esn_lorenz.py` makes.  `Reservoir(lr=0.3,
activation="tanh", bias=0)` gets W = w.T and Win = w_in.T (ReservoirPy's rows are the post
units) and is run once over every step; `Ridge(ridge=1e-6)` is fitted on the training
states (its bias by centering) and `RLS` learns in one `partial_fit` pass over them.
ReservoirPy 0.4.2 sets P = I / alpha (its docstring says alpha is P's diagonal), so
P0 = 0.1 * I is `RLS(alpha=10)`; its bias is not inside P but a running mean of the errors.
"""
from __future__ import annotations

import sys
import time

import _esn as E


def main() -> None:
    args = E.parse_args()
    from importlib import metadata

    import numpy as np

    from reservoirpy.nodes import RLS, Reservoir, Ridge

    split, tasks = E.problem()
    scores = E.Scores()
    train, test = split.train, split.test
    for seed in args.seeds:
        w_in, w = tasks.reservoir_matrices(seed)
        t0 = time.perf_counter()
        reservoir = Reservoir(units=E.UNITS, lr=E.LEAK, activation="tanh", W=w.T.copy(),
                              Win=w_in.T.copy(), bias=0.0)
        states = reservoir.run(split.inputs)
        run_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        readout = Ridge(ridge=E.RIDGE)
        readout.fit(states[train], split.targets[train])
        prediction = readout.run(states[test])
        scores.add("ridge", *E.errors(prediction, split.targets[test]),
                   run_s + time.perf_counter() - t0)
        for name, p0, forgetting in E.rls_variants(args.sweep):
            t0 = time.perf_counter()
            readout = RLS(alpha=1.0 / p0, forgetting=forgetting)
            readout.partial_fit(states[train], split.targets[train])
            prediction = readout.run(states[test])
            scores.add(name, *E.errors(prediction, split.targets[test]),
                       run_s + time.perf_counter() - t0)
        print(f"seed {seed}: " + ", ".join(f"{m} {v['mae'][-1]:.4g}"
                                           for m, v in scores.methods.items()),
              file=sys.stderr, flush=True)
    versions = {name: metadata.version(name) for name in ("reservoirpy", "numpy", "scipy")}
    E.emit(args, "reservoirpy", scores, versions, dtype=str(np.asarray(states).dtype))


if __name__ == "__main__":
    sys.exit(main())
