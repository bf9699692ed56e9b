"""Measure every projection kernel on a grid of cases and fit the cost model of the `kernels` pass.

    python benchmarks/calibrate_kernels.py [--steps 1000] [--fit] [--no-native]

For each case (pre/post sizes, connection probability, firing rate) every kernel the cost
model knows on this kind of device (dense, event, csr, ell; and event_parallel on GPUs and
TPUs, `device_kind()`) propagates random spikes for up to `--steps` steps
inside one jitted scan, with the connectivity passed as arguments as in a compiled model;
the time per step is printed next to the cost model's prediction, and the last column says
whether the model picks the measured-fastest kernel.  `--fit` prints non-negative
least-squares constants for `neuroflow/passes/kernels.py` from the measurements (on a GPU,
the entries of its `GPU` table).
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import nnls

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS, _native, device_kind, jax_scope
from neuroflow.backend.jax._kernels import draw_synapses
from neuroflow.passes.kernels import KernelOptions, constants, features, predicted_costs

DT = 0.1  # ms
CASES = [  # n_pre, n_post, p, rate (Hz)
    (100, 100, 0.5, 20), (400, 400, 0.2, 20), (1000, 1000, 0.1, 20), (1000, 1000, 0.1, 2000),
    (3200, 4000, 0.02, 20), (800, 4000, 0.02, 20), (4000, 4000, 0.5, 20), (16000, 16000, 0.005, 20),
    (2000, 2000, 0.02, 200), (64000, 64000, 0.00125, 20),
]
WORK_PER_CASE = 4e8  # synapses (or matrix entries) touched per timed run, at most: bounds the steps


def projection(n_pre, n_post, p):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post),
                         nf.fixed_prob(p), 0.5, ir.Type("float", ()),
                         ir.Statement("x", "+=", ir.Ref("w")), 0.0, "auto")


@jax_scope()  # the JAX settings a simulation runs its kernels in
def time_kernel(name, native, node, steps, rate, rng):
    pre, post, weight = draw_synapses(node, rng)
    entries = node.pre.size * node.post.size
    if name == "dense" and entries > 64_000_000:
        return float("nan")
    work = entries if name == "dense" else len(pre)
    steps = int(min(steps, max(100, WORK_PER_CASE // max(work, 1))))
    arrays = KERNELS[name].build(node, pre, post, weight, "float32")
    spikes = jnp.asarray(rng.random((steps, node.pre.size)) < rate * DT * 1e-3)

    def body(total, s, arrays):
        return total + KERNELS[name].propagate(arrays, s, node, native=native), None

    # connectivity and spikes are arguments, never constants XLA could fold
    run = jax.jit(lambda arrays, spikes: jax.lax.scan(lambda total, s: body(total, s, arrays),
                                                      jnp.zeros(node.post.size, jnp.float32),
                                                      spikes)[0])
    jax.block_until_ready(run(arrays, spikes))
    best = float("inf")
    for _ in range(2):  # the better of two: the machine is shared
        start = time.perf_counter()
        jax.block_until_ready(run(arrays, spikes))
        best = min(best, time.perf_counter() - start)
    return best / steps * 1e6  # µs per step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--no-native", action="store_true",
                        help="calibrate the pure-JAX event kernel")
    args = parser.parse_args()
    native = _native.available() and not args.no_native
    device = device_kind()
    names = tuple(constants(native, device))
    rng = np.random.default_rng(0)
    hits, rows = 0, []
    print(f"{'case':<30}" + "".join(f"{k:>9}" for k in names) + "   predicted" + " " * 34
          + "picks fastest?")
    for n_pre, n_post, p, rate in CASES:
        node = projection(n_pre, n_post, p)
        measured = {k: time_kernel(k, native, node, args.steps, rate, rng) for k in names}
        options = KernelOptions(rate=rate, native=native, device=device)
        predicted = predicted_costs(node, options, DT)
        fastest = min((v, k) for k, v in measured.items() if np.isfinite(v))[1]
        choice = min(predicted, key=predicted.get)
        hits += choice == fastest
        rows.append((node, rate, measured))
        label = f"{n_pre}x{n_post} p={p} {rate}Hz"
        shown = ", ".join(f"{k}:{v:.1f}" for k, v in predicted.items())
        print(f"{label:<30}" + "".join(f"{measured[k]:9.1f}" for k in names) + f"   {shown:<45} "
              f"{choice == fastest} ({choice}; fastest {fastest})", flush=True)
    print(f"the cost model picks the measured-fastest kernel in {hits} of {len(CASES)} cases"
          f" (native kernels: {native}; {device}; µs per step)")
    if args.fit:
        fit(rows, native, device, names)


def fit(rows, native: bool, device: str, names: tuple[str, ...]) -> None:
    """Non-negative least squares, per kernel, of the measured times on `features`, relative
    to each time (so that the small cases, where choices are close, weigh as much as the big)."""
    for name in names:
        x, y = [], []
        for node, rate, measured in rows:
            if np.isfinite(measured[name]):
                x.append(np.array(features(node, rate, DT)[name]) / measured[name])
                y.append(1.0)
        constants, _ = nnls(np.array(x), np.array(y))
        label = {"event": "EVENT_NATIVE" if native else "EVENT_JAX"}.get(name, name.upper())
        if device != "cpu":
            label = f"{device.upper()}[Kernel.{name.upper()}]"
        print(f"{label} = ({', '.join(f'{c:.3g}' for c in constants)})")


if __name__ == "__main__":
    main()
