"""Worker: the Lorenz ESN of `_esn.py` in BrainPy 2.9, ridge readout only; prints
`RESULT {json}`.

    python esn_brainpy.py [--seeds 0 1 ... 9] [--x64]

Runs under the BrainPy venv that `benchmarks/compare.py --only-setup` makes.  `bp.dyn.Reservoir`
(leaky_rate 0.3, tanh inside, no bias) gets the shared matrices as its initial weights with
connectivity 1 (they are already sparse; BrainPy's rows are presynaptic, as ours) and runs
over every step in one `bm.for_loop`; `bp.algorithms.RidgeRegression(alpha=1e-6)` solves for
the readout on the training states with a column of ones appended (the bias, penalized like
the weights: BrainPy's `pinv(X^T X + alpha I) X^T Y`).  float32 by default (BrainPy's),
float64 with --x64.
"""
from __future__ import annotations

import sys
import time

import _esn as E


def main() -> None:
    args = E.parse_args(lambda p: p.add_argument("--x64", action="store_true"))
    import brainpy as bp
    import brainpy.math as bm
    import jax.numpy as jnp
    import numpy as np
    from importlib import metadata

    if args.x64:
        bm.enable_x64()
    split, tasks = E.problem()
    scores = E.Scores()
    train, test = split.train, split.test
    dtype = bm.float_
    inputs = jnp.asarray(split.inputs, dtype=dtype)
    for seed in args.seeds:
        w_in, w = tasks.reservoir_matrices(seed)
        t0 = time.perf_counter()
        reservoir = bp.dyn.Reservoir(3, E.UNITS, leaky_rate=E.LEAK, activation="tanh",
                                     Win_initializer=jnp.asarray(w_in, dtype=dtype),
                                     Wrec_initializer=jnp.asarray(w, dtype=dtype),
                                     b_initializer=None, in_connectivity=1.0,
                                     rec_connectivity=1.0)
        steps = jnp.arange(len(inputs))
        states = np.asarray(bm.for_loop(reservoir.step_run, (steps, inputs)))
        run_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with_ones = np.hstack([states, np.ones((len(states), 1), dtype=states.dtype)])
        solver = bp.algorithms.RidgeRegression(alpha=E.RIDGE)
        weights = np.asarray(solver(jnp.asarray(split.targets[train], dtype=dtype),
                                    jnp.asarray(with_ones[train])))
        prediction = with_ones[test] @ weights
        scores.add("ridge", *E.errors(prediction, split.targets[test]),
                   run_s + time.perf_counter() - t0)
        print(f"seed {seed}: ridge {scores.methods['ridge']['mae'][-1]:.4g}", file=sys.stderr,
              flush=True)
    versions = {name: metadata.version(name) for name in ("brainpy", "jax", "jaxlib")}
    E.emit(args, "brainpy", scores, versions, dtype=str(np.dtype(dtype)))


if __name__ == "__main__":
    sys.exit(main())
