"""Worker: the Lorenz ESN of `_esn.py` in neuroflow: examples/train/esn_lorenz.nfl through
`sim.function` (float64), the readouts by `nf.train.ridge` and `nf.train.force`; prints
`RESULT {json}`.

    python esn_neuroflow.py [--seeds 0 1 ... 9] [--sweep] [--dtype float32]

The reservoir gets the shared matrices as `theta` (examples/train/esn_lorenz.py's
`reservoir_theta`) and runs over every step in one call of the jitted function; `rls` is
`nf.train.force` (the bias inside P, as the numpy reference) with P0 = 0.1 I, and --sweep
adds the same P0 and forgetting factors as the other workers.
"""
from __future__ import annotations

import os
import sys
import time

import _esn as E

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "examples", "train"))


def main() -> None:
    args = E.parse_args(lambda p: p.add_argument("--dtype", default="float64"))
    from importlib import metadata

    import esn_lorenz as example
    import jax
    import jax.numpy as jnp
    import numpy as np

    import neuroflow as nf

    # float64 arrays in this program too (neuroflow sets no JAX default for the process)
    jax.config.update("jax_enable_x64", args.dtype == "float64")
    split, _ = E.problem()
    scores = E.Scores()
    train, test = split.train, split.test
    f = example.make_function(args.dtype)
    run = jax.jit(f)
    inputs = jnp.asarray(split.inputs, f.dtype)
    for seed in args.seeds:
        theta = example.reservoir_theta(f, seed)
        t0 = time.perf_counter()
        states = np.asarray(run(theta, {"In.u": inputs})["R.r"])
        run_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        readout = nf.train.ridge(states[train], split.targets[train], alpha=E.RIDGE)
        scores.add("ridge", *E.errors(readout.predict(states[test]), split.targets[test]),
                   run_s + time.perf_counter() - t0)
        for name, p0, forgetting in E.rls_variants(args.sweep):
            t0 = time.perf_counter()
            readout = nf.train.force(states[train], split.targets[train], p0=p0,
                                     forgetting=forgetting)
            scores.add(name, *E.errors(readout.predict(states[test]), split.targets[test]),
                       run_s + time.perf_counter() - t0)
        print(f"seed {seed}: " + ", ".join(f"{m} {v['mae'][-1]:.4g}"
                                           for m, v in scores.methods.items()),
              file=sys.stderr, flush=True)
    versions = {name: metadata.version(name) for name in ("jax", "jaxlib", "numpy", "scipy")}
    E.emit(args, "neuroflow", scores, versions, dtype=args.dtype)


if __name__ == "__main__":
    sys.exit(main())
