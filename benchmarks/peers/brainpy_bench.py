"""Worker: one benchmark model in BrainPy, in this process; prints `RESULT {json}`.

    python brainpy_bench.py --model coba [--n 4000 --p 0.02 --duration 1000]

Runs under a Python >= 3.12 with brainpy[cpu] (2.9; it brings its own JAX) installed;
compare.py makes that venv.  The models are written here from the published equations of
Brette et al. (2007), with BrainPy's building blocks: one `bp.DynamicalSystem` per network
whose state variables are `bm.Variable`s, `bp.odeint(method="exp_auto")` (exponential
Euler, as in Brian2 and neuroflow) for COBA and COBAHH, the exact update of the linear
system for CUBA, and event-driven CSR projections (`bm.event.csrmv`).  float32, dt = 0.1 ms,
run by a jitted `bp.DSRunner`.

The step follows Brian2's order: integrate (v held while refractory), threshold, add the
synaptic effects of this step's spikes, reset.  Spikes are counted per neuron in the step
(no [time, neuron] spike record).  The connectivity is drawn with numpy (exact Bernoulli
trials per pair through geometric gaps): `bp.conn.FixedProb` took 8.6 s at 4000 neurons
and did not finish within ten minutes at 64 000 on the 2-core machine.

first_s is building the network (drawing the connectivity), jit-compiling and running
`duration`; runs_s are further `runner.run(duration)` calls continuing the network.
"""
from __future__ import annotations

import sys
import time

import _common

DT = 0.1  # ms


def csr(rng, n_pre: int, n_post: int, p: float):
    """(indices, indptr) of a random n_pre x n_post matrix, each entry present with probability
    p."""
    import numpy as np
    total = n_pre * n_post
    if p <= 0:
        return np.zeros(0, np.int32), np.zeros(n_pre + 1, np.int32)
    chunks, position = [], -1
    expected = int(total * p)
    while position < total:
        size = max(1024, int(expected * 1.05) + 64 * int(np.sqrt(expected + 1)))
        gaps = rng.geometric(p, size=size) if p < 1 else np.ones(size, np.int64)
        flat = position + np.cumsum(gaps)
        position = int(flat[-1])
        chunks.append(flat[flat < total])
    flat = np.concatenate(chunks)
    pre, post = np.divmod(flat, n_post)
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_pre), out=indptr[1:])
    return post.astype(np.int32), indptr.astype(np.int32)


def make_network(bp, bm, model: str, n: int, p: float, seed: int):
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(seed)
    ne = int(n * _common.EXC_FRACTION)
    exc_indices, exc_indptr = csr(rng, ne, n, p)
    inh_indices, inh_indptr = csr(rng, n - ne, n, p)

    class Network(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.exc_conn = (jnp.asarray(exc_indices), jnp.asarray(exc_indptr))
            self.inh_conn = (jnp.asarray(inh_indices), jnp.asarray(inh_indptr))
            self.spike = bm.Variable(jnp.zeros(n, dtype=bool))
            self.count = bm.Variable(jnp.zeros(n, dtype=jnp.int32))
            self.last_spike = bm.Variable(jnp.full(n, -1e7, dtype=bm.float_))
            self.not_ref = bm.Variable(jnp.ones(n, dtype=bool))
            self.ge = bm.Variable(jnp.zeros(n, dtype=bm.float_))
            self.gi = bm.Variable(jnp.zeros(n, dtype=bm.float_))
            if model == "coba":
                self.v = bm.Variable(jnp.asarray(rng.normal(-55.0, 2.0, n), dtype=bm.float_))
                self.integral = bp.odeint(bp.JointEq(self.dv_coba, self.dge, self.dgi),
                                          method="exp_auto")
                self.w_exc, self.w_inh, self.ref = 0.6, 6.7, 5.0
            elif model == "cuba":
                self.v = bm.Variable(jnp.asarray(rng.uniform(-60.0, -50.0, n), dtype=bm.float_))
                self.w_exc, self.w_inh, self.ref = 1.62, -9.0, 5.0
            else:
                self.v = bm.Variable(jnp.asarray(rng.normal(-65.0, 5.0, n), dtype=bm.float_))
                self.ge.value = jnp.asarray(rng.normal(40.0, 15.0, n), dtype=bm.float_)     # nS
                self.gi.value = jnp.asarray(rng.normal(200.0, 120.0, n), dtype=bm.float_)   # nS
                self.m = bm.Variable(jnp.zeros(n, dtype=bm.float_))
                self.h = bm.Variable(jnp.zeros(n, dtype=bm.float_))
                self.nk = bm.Variable(jnp.zeros(n, dtype=bm.float_))
                self.integral = bp.odeint(
                    bp.JointEq(self.dv_hh, self.dm, self.dh, self.dn, self.dge_hh, self.dgi_hh),
                    method="exp_auto")
                self.w_exc, self.w_inh, self.ref = 6.0, 67.0, 3.0

        # COBA (ms, mV; conductances in units of the leak conductance)
        @staticmethod
        def dv_coba(v, t, ge, gi):
            return (ge * (0.0 - v) + gi * (-80.0 - v) + (-60.0 - v) + 20.0) / 20.0

        @staticmethod
        def dge(ge, t):
            return -ge / 5.0

        @staticmethod
        def dgi(gi, t):
            return -gi / 10.0

        # COBAHH (ms, mV, nS, pF): Traub-Miles kinetics on a 20 000 um2 patch, VT = -63 mV
        @staticmethod
        def dv_hh(v, t, m, h, nk, ge, gi):
            i_na = 20000.0 * m ** 3 * h * (v - 50.0)
            i_k = 6000.0 * nk ** 4 * (v + 90.0)
            return (10.0 * (-60.0 - v) + ge * (0.0 - v) + gi * (-80.0 - v) - i_na - i_k) / 200.0

        @staticmethod
        def dm(m, t, v):
            alpha = 1.28 / bm.exprel((13.0 - v - 63.0) / 4.0)
            beta = 1.4 / bm.exprel((v + 63.0 - 40.0) / 5.0)
            return alpha * (1 - m) - beta * m

        @staticmethod
        def dh(h, t, v):
            alpha = 0.128 * bm.exp((17.0 - v - 63.0) / 18.0)
            beta = 4.0 / (1 + bm.exp((40.0 - v - 63.0) / 5.0))
            return alpha * (1 - h) - beta * h

        @staticmethod
        def dn(nk, t, v):
            alpha = 0.16 / bm.exprel((15.0 - v - 63.0) / 5.0)
            beta = 0.5 * bm.exp((10.0 - v - 63.0) / 40.0)
            return alpha * (1 - nk) - beta * nk

        @staticmethod
        def dge_hh(ge, t):
            return -ge / 5.0

        @staticmethod
        def dgi_hh(gi, t):
            return -gi / 10.0

        def update(self):
            t = bp.share.load("t")
            dt = bp.share.load("dt")
            v = self.v.value
            if model == "coba":
                v_new, ge, gi = self.integral(v, self.ge.value, self.gi.value, t, dt=dt)
                v_new = jnp.where(self.not_ref.value, v_new, v)       # (unless refractory)
                threshold = -50.0
            elif model == "cuba":
                # exact solution of the linear system over one step
                am, ae, ai = (float(np.exp(-dt / tau)) for tau in (20.0, 5.0, 10.0))
                ce, ci = 5.0 / (5.0 - 20.0) * (ae - am), 10.0 / (10.0 - 20.0) * (ai - am)
                ge0, gi0 = self.ge.value, self.gi.value
                v_new = -49.0 + (v + 49.0) * am + ce * ge0 + ci * gi0
                v_new = jnp.where(self.not_ref.value, v_new, v)
                ge, gi = ge0 * ae, gi0 * ai
                threshold = -50.0
            else:
                v_new, m, h, nk, ge, gi = self.integral(v, self.m.value, self.h.value,
                                                        self.nk.value, self.ge.value, self.gi.value,
                                                        t, dt=dt)
                self.m.value, self.h.value, self.nk.value = m, h, nk
                threshold = -20.0
            # threshold (Brian2: refractory while fewer than ref/dt steps have passed)
            not_ref = (t - self.last_spike.value) >= self.ref - 0.5 * dt
            spike = (v_new > threshold) & not_ref
            self.last_spike.value = jnp.where(spike, t, self.last_spike.value)
            self.not_ref.value = not_ref & ~spike
            # synaptic propagation of this step's spikes
            ge = ge + self.w_exc * bm.event.csrmv(1.0, *self.exc_conn, spike[:ne], shape=(ne, n),
                                                  transpose=True)
            gi = gi + self.w_inh * bm.event.csrmv(1.0, *self.inh_conn, spike[ne:],
                                                  shape=(n - ne, n), transpose=True)
            # reset
            if model in ("coba", "cuba"):
                v_new = jnp.where(spike, -60.0, v_new)
            self.v.value, self.ge.value, self.gi.value = v_new, ge, gi
            self.spike.value = spike
            self.count.value += spike

    return Network()


def main() -> None:
    args = _common.parse_args()
    from importlib import metadata

    import brainpy as bp
    import brainpy.math as bm
    import jax
    import numpy as np
    import_s = time.perf_counter() - _common.START

    start = time.perf_counter()
    bm.set_dt(DT)
    net = make_network(bp, bm, args.model, args.n, args.p, args.seed)
    runner = bp.DSRunner(net, monitors={}, jit=True, progress_bar=False)
    runner.run(args.duration)
    counts = np.asarray(net.count.value)
    first_s = time.perf_counter() - start
    runs_s = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        runner.run(args.duration)
        jax.block_until_ready(net.v.value)
        runs_s.append(time.perf_counter() - t0)
    ne = int(args.n * _common.EXC_FRACTION)
    versions = {name: metadata.version(name)
                for name in ("brainpy", "brainstate", "brainevent", "jax", "jaxlib")}
    _common.emit(args, "brainpy", import_s=import_s, first_s=first_s, runs_s=runs_s,
                 spikes_exc=int(counts[:ne].sum()), spikes_inh=int(counts[ne:].sum()),
                 versions=versions, dtype=str(np.dtype(bm.float_)), rss_of="Python process")


if __name__ == "__main__":
    sys.exit(main())
