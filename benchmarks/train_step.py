"""The digits SNN's training step, neuroflow against the hand-written JAX loop, in one process.

    python benchmarks/train_step.py [--rounds 5] [--dump DIR]

`benchmarks/train_digits.py` runs each tool in a process of its own, one after the other, so on a
shared machine other processes disturb each tool differently.  Here both run in one process,
interleaved, so a disturbance hits both alike: the gradient of one batch of 128 (wall and CPU
time, each the mean of 30 calls) and an epoch of `nf.train.bptt` against the bar's fused epoch
(the fastest of 8).  Prints neuroflow's time over the bar's per round, the median and the
least.  `--dump DIR` writes both gradients' jaxpr and compiled HLO there, to compare them.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))
import _digits as P  # noqa: E402  (benchmarks is not a package)
import digits_jax  # noqa: E402
import digits_neuroflow  # noqa: E402

import neuroflow as nf  # noqa: E402


def timed(fn, *args, calls: int = 30) -> tuple[float, float]:
    """(wall, CPU) seconds per call."""
    jax.block_until_ready(fn(*args))
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dump", default=None, help="write the jaxprs and HLO here")
    args = parser.parse_args()
    x_train, y_train, _, _ = P.load_data(argparse.Namespace(data=None, seed=0))
    readout, optimizer, epoch = digits_jax.build(jax, jnp, optax)
    _, f = digits_neuroflow.model_function(nf, native=True)
    w_in, w_out = P.initial_weights(0)
    params = {"w_in": jnp.asarray(w_in), "w_out": jnp.asarray(w_out)}
    theta = {"in_to_H.w": jnp.asarray(w_in.reshape(-1)),
             "H_to_Out.w": jnp.asarray(w_out.reshape(-1))}
    x, y = jnp.asarray(x_train[:P.BATCH]), jnp.asarray(y_train[:P.BATCH])
    batched = jax.vmap(f, in_axes=(None, 0, None))

    def nf_loss(theta, x, y):
        logits = batched(theta, {"In.s": x}, None)["Out.v"].mean(axis=1)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def bar_loss(params, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(readout(params, x), y).mean()

    grads = {"neuroflow": (jax.value_and_grad(nf_loss), theta),
             "bar": (jax.value_and_grad(bar_loss), params)}
    compiled = {name: jax.jit(g).lower(p, x, y).compile() for name, (g, p) in grads.items()}
    if args.dump:
        out = Path(args.dump)
        out.mkdir(parents=True, exist_ok=True)
        for name, (g, p) in grads.items():
            (out / f"{name}.jaxpr").write_text(str(jax.make_jaxpr(g)(p, x, y)))
            (out / f"{name}.hlo").write_text(compiled[name].as_text())
    x_all, y_all = jnp.asarray(x_train), jnp.asarray(y_train)
    order = jnp.asarray(P.epoch_order(0, 0, len(y_train)))
    bar_epoch = jax.jit(epoch).lower(params, optimizer.init(params), x_all, y_all,
                                     order).compile()

    def loss(outputs, y):
        return optax.softmax_cross_entropy_with_integer_labels(outputs["Out.v"].mean(axis=1),
                                                               y).mean()

    ratios: dict[str, list[float]] = {"gradient (wall)": [], "gradient (CPU)": [], "epoch": []}
    for _ in range(args.rounds):
        (nf_wall, nf_cpu), (bar_wall, bar_cpu) = (timed(compiled[name], grads[name][1], x, y)
                                                  for name in ("neuroflow", "bar"))
        ratios["gradient (wall)"].append(nf_wall / bar_wall)
        ratios["gradient (CPU)"].append(nf_cpu / bar_cpu)
        state, p, seconds = optimizer.init(params), params, []
        for _ in range(8):
            start = time.perf_counter()
            p, state, value = bar_epoch(p, state, x_all, y_all, order)
            float(value)
            seconds.append(time.perf_counter() - start)
        trained = nf.train.bptt(f, loss, ({"In.s": x_train}, y_train), optimizer=optimizer,
                                epochs=9, batch_size=P.BATCH, theta=theta, drop_last=True,
                                progress=False)
        ratios["epoch"].append(min(trained.history["epoch_seconds"][1:]) / min(seconds))
        print(f"bar: gradient {1e3 * bar_wall:.2f} ms, epoch {1e3 * min(seconds):.1f} ms; "
              + ", ".join(f"{k} {v[-1]:.3f}" for k, v in ratios.items()), flush=True)
    print("neuroflow / bar: " + "; ".join(f"{k} median {statistics.median(v):.3f}, least"
                                          f" {min(v):.3f}" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
