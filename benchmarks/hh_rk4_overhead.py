"""The cost of neuroflow's generated RK4 step against a hand-written jax.numpy RK4 step.

    python benchmarks/hh_rk4_overhead.py [--neurons 4000] [--steps 10000] [--repeats 3]

4000 Hodgkin–Huxley neurons (the classic squid axon, as in examples/hh.py, with a
spread of input currents so they do not fire in lockstep), integrated with `rk4` at
dt = 0.01 ms in float32.  Both versions run the same number of steps inside one
jitted `lax.scan`; the script prints both times and the ratio.
"""
from __future__ import annotations

import argparse
import runpy
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import neuroflow as nf
from neuroflow.backend.jax import jax_scope
from neuroflow.units import cm2, mS, mV, ms, uA, uF

DT = 0.01
HH_EQUATIONS = runpy.run_path(str(Path(__file__).resolve().parents[1] / "examples" / "hh.py"),
                              run_name="__bench__")["EQUATIONS"]


def neuroflow_model(n: int) -> nf.ir.Model:
    net = nf.Network("hh_population")
    net.population("HH", n, equations=HH_EQUATIONS + "    I : amp/meter**2 (constant)\n",
                   params=dict(Cm=1 * uF / cm2, gNa=120 * mS / cm2, gK=36 * mS / cm2,
                               gL=0.3 * mS / cm2, ENa=50 * mV, EK=-77 * mV, EL=-54.4 * mV,
                               I=np.linspace(5, 15, n) * uA / cm2),
                   init=dict(v=-65 * mV, m=0.052932, h=0.596121, n=0.317677), method="rk4")
    return net.build()


def exprel(x):
    small = jnp.abs(x) < 1e-6
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 + x / 2, jnp.expm1(safe) / safe)


def hand_written(n: int, steps: int):
    """The same equations in plain jax.numpy, in the internal units (mV, ms, uF/cm2 = 0.01 ...)."""
    c = 0.01  # uF/cm2, mS/cm2 and uA/cm2 are all 0.01 in neuroflow's internal units
    current = jnp.asarray(np.linspace(5, 15, n) * c, jnp.float32)

    def derivative(y):
        v, m, h, k = y
        am, bm = 1 / exprel(-(v + 40) / 10), 4 * jnp.exp(-(v + 65) / 18)
        ah, bh = 0.07 * jnp.exp(-(v + 65) / 20), 1 / (1 + jnp.exp(-(v + 35) / 10))
        an, bn = 0.1 / exprel(-(v + 55) / 10), 0.125 * jnp.exp(-(v + 65) / 80)
        dv = (current - 120 * c * m**3 * h * (v - 50) - 36 * c * k**4 * (v + 77)
              - 0.3 * c * (v + 54.4)) / c
        return (dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - k) - bn * k)

    def step(y, _):
        k1 = derivative(y)
        k2 = derivative(tuple(a + 0.5 * DT * b for a, b in zip(y, k1)))
        k3 = derivative(tuple(a + 0.5 * DT * b for a, b in zip(y, k2)))
        k4 = derivative(tuple(a + DT * b for a, b in zip(y, k3)))
        return tuple(a + DT / 6 * (p + 2 * q + 2 * r + s)
                     for a, p, q, r, s in zip(y, k1, k2, k3, k4)), None

    y0 = tuple(jnp.full(n, value, jnp.float32) for value in (-65.0, 0.052932, 0.596121, 0.317677))
    return jax.jit(lambda y: jax.lax.scan(step, y, None, length=steps)[0]), y0


def best_of(fn, repeats: int) -> float:
    jax.block_until_ready(fn())  # compile
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    sim = nf.compile(neuroflow_model(args.neurons), dt=DT * ms, dtype="float32")
    state, params, conn = sim.program.initial(0)
    derived = sim.program.prepare(params)

    def run_chunk():  # the chunk donates the state it is given: each run gets a copy of its own
        with jax_scope():  # the JAX settings `sim.run` calls its chunks in
            return sim._chunk(jax.tree.map(jnp.array, state), params, conn, derived,
                              args.steps)[0]
    ours = best_of(run_chunk, args.repeats)
    theirs_fn, y0 = hand_written(args.neurons, args.steps)
    theirs = best_of(lambda: theirs_fn(y0), args.repeats)
    print(f"{args.neurons} HH neurons, rk4, {args.steps} steps of {DT} ms, float32, "
          f"{jax.default_backend()}")
    print(f"neuroflow step:      {ours:.3f} s")
    print(f"hand-written jnp:    {theirs:.3f} s")
    print(f"ratio:               {ours / theirs:.2f}")
    # the two must compute the same thing
    v_ours = run_chunk()["pops"]["HH"]["v"]
    v_theirs = theirs_fn(y0)[0]
    print(f"max |v difference|:  {float(jnp.max(jnp.abs(v_ours - v_theirs))):.2e} mV")


if __name__ == "__main__":
    main()
