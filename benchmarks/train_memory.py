"""Memory of BPTT over long sequences: plain against checkpointed scans of `sim.function`.

A recurrent spiking network (200 LIF neurons with surrogate gradients, 20 inputs, 2 readout
units) runs 1000 steps per sequence, a batch of 16; the gradient of a loss on the readout is
compiled with and without `checkpoint=K` (the scan in chunks of K steps under
`jax.checkpoint`). Prints XLA's account of each compiled gradient's memory (arguments,
outputs, temporaries), the time of one gradient, and the largest difference between the
gradients.

    python benchmarks/train_memory.py [--steps 1000] [--batch 16] [--chunks 10,32,100]
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

import neuroflow as nf
from neuroflow.units import ms

LIF = "dv/dt = (-v + I)/(20*ms) : 1\ndI/dt = -I/(5*ms) : 1"


def network(hidden: int) -> nf.ir.Model:
    net = nf.Network()
    inputs = net.population("In", 20, "s : 1", threshold="s > 0.5")
    rec = net.population("H", hidden, LIF, threshold="v > 1", reset="v -= 1",
                         surrogate="fast_sigmoid(25)")
    out = net.population("Out", 2, LIF)
    net.projection(inputs, rec, on_pre="I += w", weights=nf.normal(0, 0.5),
                   connect=nf.all_to_all(), name="in_to_H")
    net.projection(rec, rec, on_pre="I += w", weights=nf.normal(0, 0.05),
                   connect=nf.fixed_prob(0.2), name="rec")
    net.projection(rec, out, on_pre="I += w", weights=nf.normal(0, 0.1),
                   connect=nf.all_to_all(), name="H_to_Out")
    return net.build()


def measure(sim, spikes, chunk):
    f = sim.function(params=["in_to_H.w", "rec.w", "H_to_Out.w"], inputs=["In.s"],
                     outputs=["Out.v"], checkpoint=chunk)
    batched = jax.vmap(f, in_axes=(None, 0, None))

    def loss(theta):
        return jnp.mean(batched(theta, {"In.s": spikes}, None)["Out.v"][:, -100:] ** 2)

    theta = f.init()
    grad = jax.jit(jax.grad(loss))
    compiled = grad.lower(theta).compile()
    memory = compiled.memory_analysis()
    total = (memory.argument_size_in_bytes + memory.output_size_in_bytes
             + memory.temp_size_in_bytes - memory.alias_size_in_bytes)
    value = jax.block_until_ready(compiled(theta))
    start = time.perf_counter()
    jax.block_until_ready(compiled(theta))
    return total, time.perf_counter() - start, jax.flatten_util.ravel_pytree(value)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--chunks", default="10,32,100")
    args = parser.parse_args()
    sim = nf.compile(network(args.hidden), dt=1.0 * ms)
    rng = np.random.default_rng(0)
    spikes = jnp.asarray((rng.random((args.batch, args.steps, 20)) < 0.05).astype(np.float32))
    print(f"{args.hidden} LIF neurons, {args.steps} steps, batch {args.batch}, float32,"
          f" jax {jax.__version__} on {jax.default_backend()}")
    plain_memory, plain_time, plain = measure(sim, spikes, None)
    print(f"{'checkpoint':>10} {'memory MiB':>11} {'ratio':>6} {'gradient s':>11}"
          f" {'max |diff|':>11}")
    print(f"{'none':>10} {plain_memory / 2**20:11.1f} {1.0:6.2f} {plain_time:11.3f} {0.0:11.2e}")
    for chunk in (int(c) for c in args.chunks.split(",")):
        memory, seconds, grads = measure(sim, spikes, chunk)
        print(f"{chunk:>10} {memory / 2**20:11.1f} {memory / plain_memory:6.2f} {seconds:11.3f}"
              f" {float(jnp.max(jnp.abs(grads - plain))):11.2e}")


if __name__ == "__main__":
    main()
