"""Worker: the digits SNN of `_digits.py` in neuroflow: examples/train/digits_snn.nfl compiled and
trained through `sim.function`; prints `RESULT {json}`.

    python digits_neuroflow.py [--seed 0 --epochs 30 --data digits-0.npz] [--loop bptt|scan]

`--loop bptt` (the default) trains with `nf.train.bptt`, as a user would: its own batches,
shuffling and timing (`history["epoch_seconds"]`), starting from the shared initial weights
when it accepts `theta=`, else from `f.init(seed)`.  `--loop scan` puts the model function
`f` into exactly the loop of `digits_jax.py` (the same initial weights, batches and fused,
ahead-of-time compiled epoch): the difference to jax-scan is then the model function alone.
"""
from __future__ import annotations

import inspect
import os
import sys
import time

import _digits as P

NFL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "train",
                   "digits_snn.nfl")


def model_function(nf, native: bool):
    model = nf.load(NFL).model
    sim = nf.compile(model, dt=P.DT_MS, dtype="float32", native=native)
    f = sim.function(params=["in_to_H.w", "H_to_Out.w"], inputs=["In.s"], outputs=["Out.v"])
    return sim, f


def main() -> None:
    args = P.parse_args(lambda p: (p.add_argument("--loop", choices=["bptt", "scan"],
                                                  default="bptt"),
                                   p.add_argument("--no-native", action="store_true")))
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from importlib import metadata

    import neuroflow as nf

    x_train, y_train, x_test, y_test = P.load_data(args)
    sim, f = model_function(nf, native=not args.no_native)
    w_in, w_out = P.initial_weights(args.seed)
    theta = {"in_to_H.w": jnp.asarray(w_in.reshape(-1)),
             "H_to_Out.w": jnp.asarray(w_out.reshape(-1))}
    key = jax.random.key(args.seed)
    batched = jax.vmap(f, in_axes=(None, 0, None))

    def logits_of(theta, x):
        return batched(theta, {"In.s": x}, key)["Out.v"].mean(axis=1)    # [batch, 10]

    def loss_of_outputs(outputs, y):
        logits = outputs["Out.v"].mean(axis=1)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    optimizer = optax.adam(P.LEARNING_RATE)
    extra = {}
    if args.loop == "bptt":
        # the protocol's batches: the last partial one dropped, as every peer does
        kwargs = dict(optimizer=optimizer, epochs=args.epochs, batch_size=P.BATCH, seed=args.seed,
                      drop_last=True)
        if "theta" in inspect.signature(nf.train.bptt).parameters:
            kwargs["theta"] = theta
        else:
            extra["initial_weights"] = "f.init(seed): nf.train.bptt takes no theta"
        trained = nf.train.bptt(f, loss_of_outputs, ({"In.s": x_train}, y_train), **kwargs)
        theta = trained.theta
        epoch_s = [float(s) for s in trained.history["epoch_seconds"]]
        losses = [float(v) for v in trained.history["loss"]]
    else:
        def loss(theta, x, y):
            return optax.softmax_cross_entropy_with_integer_labels(logits_of(theta, x), y).mean()

        def epoch(theta, opt_state, x_all, y_all, order):
            def one_batch(carry, idx):
                theta, opt_state = carry
                value, grads = jax.value_and_grad(loss)(theta, x_all[idx], y_all[idx])
                updates, opt_state = optimizer.update(grads, opt_state, theta)
                return (optax.apply_updates(theta, updates), opt_state), value

            (theta, opt_state), values = jax.lax.scan(one_batch, (theta, opt_state), order)
            return theta, opt_state, values.mean()

        opt_state = optimizer.init(theta)
        x_dev, y_dev = jnp.asarray(x_train), jnp.asarray(y_train)
        order0 = jnp.asarray(P.epoch_order(args.seed, 0, len(y_train)))
        start = time.perf_counter()
        compiled = jax.jit(epoch).lower(theta, opt_state, x_dev, y_dev, order0).compile()
        extra["compile_s"] = time.perf_counter() - start
        epoch_s, losses = [], []
        for e in range(args.epochs):
            order = jnp.asarray(P.epoch_order(args.seed, e, len(y_train)))
            t0 = time.perf_counter()
            theta, opt_state, value = compiled(theta, opt_state, x_dev, y_dev, order)
            losses.append(float(value))
            epoch_s.append(time.perf_counter() - t0)
    predict = jax.jit(lambda t, x: logits_of(t, x).argmax(axis=1))
    accuracy = float(np.mean(np.asarray(predict(theta, jnp.asarray(x_test))) == y_test))
    kernels = {p.name: str(p.kernel) for p in f.model.find(nf.ir.Projection)}
    versions = {name: metadata.version(name) for name in ("jax", "jaxlib", "optax")}
    P.emit(args, "neuroflow", epoch_s=epoch_s, losses=losses, test_accuracy=accuracy,
           versions=versions, loop=args.loop, native=not args.no_native,
           kernels=kernels, **extra)


if __name__ == "__main__":
    sys.exit(main())
