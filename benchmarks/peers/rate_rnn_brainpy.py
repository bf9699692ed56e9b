"""Worker: the rate RNN of `_rate.py` in BrainPy 2.9, in this process; prints `RESULT {json}`.

    python rate_rnn_brainpy.py --net sparse|dense [--duration 1000 --repeats 3]

Runs under the BrainPy venv that `benchmarks/compare.py` makes.  One `bp.DynamicalSystem`
whose state is a `bm.Variable` x, integrated by `bp.odeint(method="euler")`; the recurrent
input `W^T tanh(x)` is, for `dense`, a float32 [pre, post] matrix product, and for `sparse`
BrainPy's (non-event) sparse mat-vec `bm.sparse.csrmv` (brainevent's CSR kernel) on W^T
stored in CSR with one row per post neuron (a gather per row, no scatter).  W and x(0) are
drawn here with numpy from the seed (the same distributions as neuroflow's, another
realisation).  float32, dt = 0.1 ms, run by a jitted `bp.DSRunner` without monitors;
`first_s` is building, jit-compiling and `runner.run(duration)`, `runs_s` further
`runner.run(duration)` calls continuing the network.
"""
from __future__ import annotations

import sys
import time

import _rate
from brainpy_bench import csr


def make_network(bp, bm, n: int, p: float, seed: int):
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(seed)
    sigma = _rate.weight_sigma(n, p)
    tau = _rate.TAU_MS

    class RateRNN(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            if p >= 1:
                self.w = jnp.asarray(rng.normal(0.0, sigma, (n, n)), dtype=bm.float_)
            else:  # rows are post neurons: W^T in CSR
                indices, indptr = csr(rng, n, n, p)
                self.w = jnp.asarray(rng.normal(0.0, sigma, len(indices)), dtype=bm.float_)
                self.indices, self.indptr = jnp.asarray(indices), jnp.asarray(indptr)
            self.x = bm.Variable(jnp.asarray(rng.uniform(-1.0, 1.0, n), dtype=bm.float_))
            self.integral = bp.odeint(self.dx, method="euler")

        @staticmethod
        def dx(x, t, i_rec):
            return (-x + i_rec) / tau

        def recurrent(self, rate):
            if p >= 1:
                return rate @ self.w
            return bm.sparse.csrmv(self.w, self.indices, self.indptr, rate, shape=(n, n))

        def update(self):
            t = bp.share.load("t")
            dt = bp.share.load("dt")
            x = self.x.value
            self.x.value = self.integral(x, t, self.recurrent(jnp.tanh(x)), dt=dt)

    return RateRNN()


def main() -> None:
    args = _rate.parse_args()
    from importlib import metadata

    import brainpy as bp
    import brainpy.math as bm
    import jax
    import numpy as np

    start = time.perf_counter()
    bm.set_dt(_rate.DT_MS)
    net = make_network(bp, bm, args.n, args.p, args.seed)
    runner = bp.DSRunner(net, monitors={}, jit=True, progress_bar=False)
    runner.run(args.duration)
    x_end = np.asarray(net.x.value)
    first_s = time.perf_counter() - start
    runs_s = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        runner.run(args.duration)
        jax.block_until_ready(net.x.value)
        runs_s.append(time.perf_counter() - t0)
    versions = {name: metadata.version(name)
                for name in ("brainpy", "brainstate", "brainevent", "jax", "jaxlib")}
    _rate.emit(args, "brainpy", first_s=first_s, runs_s=runs_s, x_end=x_end.tolist(),
               versions=versions, dtype=str(np.dtype(bm.float_)),
               coupling="dense matmul" if args.p >= 1 else "bm.sparse.csrmv (W^T, rows = post)")


if __name__ == "__main__":
    sys.exit(main())
