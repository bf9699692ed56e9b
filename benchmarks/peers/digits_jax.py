"""Worker: the digits SNN of `_digits.py` written by hand in JAX: `jax.lax.scan` over time,
`jax.grad`, optax Adam; prints `RESULT {json}`.

    python digits_jax.py [--seed 0 --epochs 30 --data digits-0.npz]

The limit a compiler of the same network can aim for: dense float32 matmuls
(batch x 64 @ 64 x 128 inside each step: on XLA:CPU twice as fast, forward and backward, as one
einsum over all steps before the scan), the surrogate as a `jax.custom_jvp`, and a whole epoch in
one jitted `lax.scan` over its batches with the data on the device (Spyx's fused epoch).  The
epoch function is compiled ahead of time (`.lower(...).compile()`), so no epoch's time
includes compilation.
"""
from __future__ import annotations

import sys
import time

import _digits as P


def build(jax, jnp, optax):
    @jax.custom_jvp
    def spike(v):
        return (v > P.THRESHOLD).astype(v.dtype)

    @spike.defjvp
    def _spike_jvp(primals, tangents):
        (v,), (dv,) = primals, tangents
        return spike(v), dv / (1.0 + P.SLOPE * jnp.abs(v - P.THRESHOLD)) ** 2

    def readout(params, x):
        """x [batch, steps, 64] -> mean over time of the readout [batch, 10]."""
        batch = x.shape[0]

        def step(carry, x_t):
            i, v, s, u = carry
            i = P.ALPHA * i + x_t @ params["w_in"]
            v = P.BETA * v + i - P.THRESHOLD * jax.lax.stop_gradient(s)
            s = spike(v)
            u = P.BETA * u + s @ params["w_out"]
            return (i, v, s, u), u

        hidden = jnp.zeros((batch, P.N_HIDDEN), x.dtype)
        init = (hidden, hidden, hidden, jnp.zeros((batch, P.N_OUT), x.dtype))
        _, u = jax.lax.scan(step, init, jnp.moveaxis(x, 1, 0))
        return u.mean(axis=0)

    def loss(params, x, y):
        logits = readout(params, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    optimizer = optax.adam(P.LEARNING_RATE)

    def epoch(params, opt_state, x_all, y_all, order):
        def one_batch(carry, idx):
            params, opt_state = carry
            value, grads = jax.value_and_grad(loss)(params, x_all[idx], y_all[idx])
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), value

        (params, opt_state), losses = jax.lax.scan(one_batch, (params, opt_state), order)
        return params, opt_state, losses.mean()

    return readout, optimizer, epoch


def main() -> None:
    args = P.parse_args()
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from importlib import metadata

    x_train, y_train, x_test, y_test = P.load_data(args)
    readout, optimizer, epoch = build(jax, jnp, optax)
    w_in, w_out = P.initial_weights(args.seed)
    params = {"w_in": jnp.asarray(w_in), "w_out": jnp.asarray(w_out)}
    opt_state = optimizer.init(params)
    x_dev, y_dev = jnp.asarray(x_train), jnp.asarray(y_train)
    order0 = jnp.asarray(P.epoch_order(args.seed, 0, len(y_train)))
    start = time.perf_counter()
    compiled = jax.jit(epoch).lower(params, opt_state, x_dev, y_dev, order0).compile()
    compile_s = time.perf_counter() - start
    epoch_s, losses = [], []
    for e in range(args.epochs):
        order = jnp.asarray(P.epoch_order(args.seed, e, len(y_train)))
        t0 = time.perf_counter()
        params, opt_state, value = compiled(params, opt_state, x_dev, y_dev, order)
        losses.append(float(value))          # waits for the epoch
        epoch_s.append(time.perf_counter() - t0)
    predict = jax.jit(lambda p, x: readout(p, x).argmax(axis=1))
    accuracy = float(np.mean(np.asarray(predict(params, jnp.asarray(x_test))) == y_test))
    versions = {name: metadata.version(name) for name in ("jax", "jaxlib", "optax")}
    P.emit(args, "jax-scan", epoch_s=epoch_s, losses=losses, test_accuracy=accuracy,
           versions=versions, compile_s=compile_s, devices=str(jax.devices()))


if __name__ == "__main__":
    sys.exit(main())
