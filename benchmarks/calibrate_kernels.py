"""Measure every projection kernel on a grid of cases and fit the cost model of the `kernels` pass.

    python benchmarks/calibrate_kernels.py [--steps 1000] [--fit]

For each case (pre/post sizes, connection probability, firing rate) every applicable kernel
propagates random spikes for `--steps` steps inside one jitted scan; the time per step is
printed next to the cost model's prediction, and the last column says whether the model
picks the measured-fastest kernel.  `--fit` prints least-squares constants for
`neuroflow/passes/kernels.py` from the measurements.
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import neuroflow as nf
import numpy as np
from neuroflow import ir
from neuroflow.backend.jax import KERNELS, _native
from neuroflow.backend.jax._kernels import draw_synapses
from neuroflow.passes.kernels import KernelOptions, predicted_costs

DT = 0.1  # ms
CASES = [  # n_pre, n_post, p, rate (Hz)
    (100, 100, 0.5, 20), (400, 400, 0.2, 20), (1000, 1000, 0.1, 20), (1000, 1000, 0.02, 5),
    (3200, 4000, 0.02, 20), (800, 4000, 0.02, 20), (4000, 4000, 0.5, 20), (16000, 16000, 0.005, 20),
    (2000, 2000, 0.02, 200), (64000, 64000, 0.00125, 20),
]


def projection(n_pre, n_post, p):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), nf.fixed_prob(p), 0.5,
                         ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")), 0.0, "auto")


def time_kernel(name, native, node, steps, rate, rng):
    pre, post, weight = draw_synapses(node, rng)
    if name == "dense" and node.pre.size * node.post.size > 64_000_000:
        return float("nan")
    arrays = KERNELS[name].build(node, pre, post, weight, "float32")
    spikes = jnp.asarray(rng.random((steps, node.pre.size)) < rate * DT * 1e-3)

    def body(total, s):
        return total + KERNELS[name].propagate(arrays, s, node, native=native), None

    run = jax.jit(lambda: jax.lax.scan(body, jnp.zeros(node.post.size, jnp.float32), spikes)[0])
    jax.block_until_ready(run())
    start = time.perf_counter()
    jax.block_until_ready(run())
    return (time.perf_counter() - start) / steps * 1e6  # µs per step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--no-native", action="store_true", help="calibrate the pure-JAX event kernel")
    args = parser.parse_args()
    native = _native.available() and not args.no_native
    rng = np.random.default_rng(0)
    hits, rows = 0, []
    print(f"{'case':<32} {'dense':>9} {'event':>9} {'predicted':>22} picks fastest?")
    for n_pre, n_post, p, rate in CASES:
        node = projection(n_pre, n_post, p)
        measured = {k: time_kernel(k, native, node, args.steps, rate, rng) for k in ("dense", "event")}
        predicted = predicted_costs(node, KernelOptions(rate=rate, native=native), DT)
        fastest = min((v, k) for k, v in measured.items() if np.isfinite(v))[1]
        choice = min(predicted, key=predicted.get)
        hits += choice == fastest
        rows.append((node, rate, measured))
        label = f"{n_pre}x{n_post} p={p} {rate}Hz"
        shown = ", ".join(f"{k}:{v:.1f}" for k, v in predicted.items())
        print(f"{label:<32} {measured['dense']:9.1f} {measured['event']:9.1f} {shown:>22} {choice == fastest}")
    print(f"the cost model picks the measured-fastest kernel in {hits} of {len(CASES)} cases"
          f" (native kernels: {native}; µs per step)")
    if args.fit:
        fit(rows)


def fit(rows) -> None:
    """Least squares for dense = a + b*n_pre*n_post and event = c + d*n_post + e*spiking synapses."""
    dense = [(1.0, n.pre.size * n.post.size, m["dense"]) for n, r, m in rows if np.isfinite(m["dense"])]
    a, b = np.linalg.lstsq(np.array([d[:2] for d in dense]), np.array([d[2] for d in dense]), rcond=None)[0]
    event = []
    for node, rate, m in rows:
        synapses = node.rule.expected_synapses(node.pre.size, node.post.size) * rate * DT * 1e-3
        event.append((1.0, node.post.size, synapses, m["event"]))
    c, d, e = np.linalg.lstsq(np.array([x[:3] for x in event]), np.array([x[3] for x in event]), rcond=None)[0]
    print(f"dense: {a:.3g} + {b:.3g}*n_pre*n_post;  event: {c:.3g} + {d:.3g}*n_post + {e:.3g}*synapses_per_step")


if __name__ == "__main__":
    main()
