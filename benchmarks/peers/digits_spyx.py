"""Worker: the digits SNN of `_digits.py` in Spyx 1.0 (Flax NNX); prints `RESULT {json}`.

    python digits_spyx.py [--seed 0 --epochs 30 --data digits-0.npz]

Runs under the Spyx venv that `benchmarks/train_digits.py` makes.  The network is Spyx's own:
`spyx.nn.Sequential(nnx.Linear, spyx.nn.CuBaLIF, nnx.Linear, spyx.nn.LI)` run over time by
`spyx.nn.run` (a `lax.scan`), with `spyx.axn.superspike(k=25)` (the fast sigmoid).  alpha and
beta are fixed (only the two kernels are trained).  Spyx's CuBaLIF differs from the protocol's
reference in two details that are its own: it emits the spike of the membrane before the
step's update (one step later than the reference), and its subtractive reset is not detached
from the gradient.  The training loop is Spyx's idiom: a whole epoch in one jitted
`lax.scan` over its batches, optax Adam, compiled ahead of time.
"""
from __future__ import annotations

import sys
import time

import _digits as P


def main() -> None:
    args = P.parse_args()
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    import spyx
    from flax import nnx
    from importlib import metadata

    x_train, y_train, x_test, y_test = P.load_data(args)
    rngs = nnx.Rngs(args.seed)
    model = spyx.nn.Sequential(
        nnx.Linear(P.N_IN, P.N_HIDDEN, use_bias=False, rngs=rngs),
        spyx.nn.CuBaLIF((P.N_HIDDEN,), alpha=P.ALPHA, beta=P.BETA, threshold=P.THRESHOLD,
                        activation=spyx.axn.superspike(k=P.SLOPE), rngs=rngs),
        nnx.Linear(P.N_HIDDEN, P.N_OUT, use_bias=False, rngs=rngs),
        spyx.nn.LI((P.N_OUT,), beta=P.BETA, rngs=rngs))
    w_in, w_out = P.initial_weights(args.seed)
    model.layers[0].kernel.value = jnp.asarray(w_in)
    model.layers[2].kernel.value = jnp.asarray(w_out)
    kernels = nnx.All(nnx.Param, nnx.PathContains("kernel"))
    graphdef, trainable, fixed = nnx.split(model, kernels, ...)

    def readout(trainable, x):
        net = nnx.merge(graphdef, trainable, fixed)
        traces, _ = spyx.nn.run(net, x, batch_major=True)      # [batch, steps, 10]
        return traces.mean(axis=1)

    def loss(trainable, x, y):
        logits = readout(trainable, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    optimizer = optax.adam(P.LEARNING_RATE)

    def epoch(trainable, opt_state, x_all, y_all, order):
        def one_batch(carry, idx):
            trainable, opt_state = carry
            value, grads = jax.value_and_grad(loss)(trainable, x_all[idx], y_all[idx])
            updates, opt_state = optimizer.update(grads, opt_state, trainable)
            return (optax.apply_updates(trainable, updates), opt_state), value

        (trainable, opt_state), losses = jax.lax.scan(one_batch, (trainable, opt_state), order)
        return trainable, opt_state, losses.mean()

    opt_state = optimizer.init(trainable)
    x_dev, y_dev = jnp.asarray(x_train), jnp.asarray(y_train)
    order0 = jnp.asarray(P.epoch_order(args.seed, 0, len(y_train)))
    start = time.perf_counter()
    compiled = jax.jit(epoch).lower(trainable, opt_state, x_dev, y_dev, order0).compile()
    compile_s = time.perf_counter() - start
    epoch_s, losses = [], []
    for e in range(args.epochs):
        order = jnp.asarray(P.epoch_order(args.seed, e, len(y_train)))
        t0 = time.perf_counter()
        trainable, opt_state, value = compiled(trainable, opt_state, x_dev, y_dev, order)
        losses.append(float(value))
        epoch_s.append(time.perf_counter() - t0)
    predict = jax.jit(lambda t, x: readout(t, x).argmax(axis=1))
    accuracy = float(np.mean(np.asarray(predict(trainable, jnp.asarray(x_test))) == y_test))
    versions = {name: metadata.version(name) for name in ("spyx", "flax", "jax", "optax")}
    P.emit(args, "spyx", epoch_s=epoch_s, losses=losses, test_accuracy=accuracy,
           versions=versions, compile_s=compile_s)


if __name__ == "__main__":
    sys.exit(main())
