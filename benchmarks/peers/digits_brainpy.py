"""Worker: the digits SNN of `_digits.py` in BrainPy 2.9; prints `RESULT {json}`.

    python digits_brainpy.py [--seed 0 --epochs 30 --data digits-0.npz]

Runs under the BrainPy venv that `benchmarks/compare.py --only-setup` makes.  BrainPy's own
components in training mode: `bp.dnn.Linear` (no bias) -> `bp.dyn.Expon` (tau_syn: the
current decays by alpha and the input is added) -> `bp.dyn.LifLTC` (tau_mem, threshold 1,
soft reset to 0, exact exponential integration with R = 1/(1 - beta) so that
V <- beta*V + I as in the reference) -> `bp.dnn.Linear` -> `bp.dyn.Leaky` (the readout).  The
spike function is the fast sigmoid written as a `jax.custom_jvp` (BrainPy's set has no
1/(1+k|x|)^2).  LifLTC resets in the same step it spikes and does not detach the reset from
the gradient (its `detach_spk` would detach the output spikes too); both are BrainPy's own.
The loop is BrainPy's idiom: `bm.for_loop` over the steps, `bm.grad`, `bp.optim.Adam`, one
`bm.jit` train step per batch; the first call of each jitted function compiles it, so the
first epoch includes compilation.
"""
from __future__ import annotations

import sys
import time

import _digits as P


def main() -> None:
    args = P.parse_args()
    import brainpy as bp
    import brainpy.math as bm
    import jax
    import jax.numpy as jnp
    import numpy as np
    from importlib import metadata

    x_train, y_train, x_test, y_test = P.load_data(args)
    bm.set_dt(P.DT_MS)
    bm.random.seed(args.seed)

    @jax.custom_jvp
    def fast_sigmoid(x):
        return (x > 0).astype(x.dtype)

    @fast_sigmoid.defjvp
    def _fast_sigmoid_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return fast_sigmoid(x), dx / (1.0 + P.SLOPE * jnp.abs(x)) ** 2

    w_in, w_out = P.initial_weights(args.seed)

    class Net(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.fc_in = bp.dnn.Linear(P.N_IN, P.N_HIDDEN, W_initializer=jnp.asarray(w_in),
                                       b_initializer=None)
            self.syn = bp.dyn.Expon(P.N_HIDDEN, tau=P.TAU_SYN_MS)
            self.lif = bp.dyn.LifLTC(P.N_HIDDEN, tau=P.TAU_MEM_MS, V_th=P.THRESHOLD,
                                     V_reset=0.0, V_rest=0.0, R=1.0 / (1.0 - P.BETA),
                                     spk_fun=fast_sigmoid, spk_reset="soft")
            self.fc_out = bp.dnn.Linear(P.N_HIDDEN, P.N_OUT, W_initializer=jnp.asarray(w_out),
                                        b_initializer=None)
            self.out = bp.dyn.Leaky(P.N_OUT, tau=P.TAU_MEM_MS)

        def update(self, x):
            return self.out(self.fc_out(self.lif(self.syn(self.fc_in(x)))))

    with bm.environment(mode=bm.TrainingMode(batch_size=P.BATCH)):
        net = Net()
    optimizer = bp.optim.Adam(lr=P.LEARNING_RATE, train_vars=net.train_vars().unique())

    def readout(x):                                   # x [batch, steps, 64]
        bp.reset_state(net, x.shape[0])
        steps = jnp.arange(x.shape[1])
        traces = bm.for_loop(net.step_run, (steps, jnp.moveaxis(x, 1, 0)))
        return traces.mean(axis=0)                    # [batch, 10]

    def loss(x, y):
        logits = readout(x)
        log_p = jax.nn.log_softmax(logits)
        return -jnp.take_along_axis(log_p, y[:, None], axis=1).mean()

    grad_fn = bm.grad(loss, grad_vars=optimizer.vars_to_train, return_value=True)

    @bm.jit
    def train_step(x, y):
        grads, value = grad_fn(x, y)
        optimizer.update(grads)
        return value

    predict = bm.jit(lambda x: readout(x).argmax(axis=1))
    x_dev, y_dev = jnp.asarray(x_train), jnp.asarray(y_train)
    epoch_s, losses = [], []
    for e in range(args.epochs):
        order = P.epoch_order(args.seed, e, len(y_train))
        t0 = time.perf_counter()
        values = [train_step(x_dev[idx], y_dev[idx]) for idx in order]
        losses.append(float(jnp.mean(jnp.stack(values))))
        epoch_s.append(time.perf_counter() - t0)
    accuracy = float(np.mean(np.asarray(predict(jnp.asarray(x_test))) == y_test))
    versions = {name: metadata.version(name)
                for name in ("brainpy", "brainstate", "jax", "jaxlib")}
    P.emit(args, "brainpy", epoch_s=epoch_s, losses=losses, test_accuracy=accuracy,
           versions=versions)


if __name__ == "__main__":
    sys.exit(main())
