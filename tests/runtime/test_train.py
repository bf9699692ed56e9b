"""The trainers: `bptt` against a hand-written optax loop over the same function, its errors;
`ridge` and `force` against the normal equations solved with numpy."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import neuroflow as nf
from neuroflow.units import ms


def rate_function(**options):
    net = nf.Network()
    units = net.population("R", 6, "dx/dt = (-x + I_rec + u)/(5*ms) : 1\nI_rec : 1\nu : 1")
    net.projection(units, units, model="w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)",
                   weights=nf.normal(0, 0.4), connect=nf.all_to_all(), name="rec")
    sim = nf.compile(net.build(), dt=1.0, dtype="float64")
    return sim.function(params=["rec.w"], inputs=["R.u"],
                        outputs=["R.x"], **options)


def data(count=10, steps=20, seed=0):
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(count, steps, 6))
    targets = rng.normal(size=(count, 6)) * 0.3
    return {"R.u": inputs}, targets


def loss(outputs, targets):
    return jnp.mean((outputs["R.x"][:, -1] - targets) ** 2)


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_bptt_takes_the_steps_of_a_hand_written_optax_loop():
    f = rate_function()
    inputs, targets = data()
    trained = nf.train.bptt(f, loss, (inputs, targets), optimizer=optax.adam(1e-2), epochs=3,
                            batch_size=4, seed=1, progress=False)
    # the same batches, in the order bptt draws them, through plain JAX
    theta, optimizer = f.init(), optax.adam(1e-2)
    state, rng, key = optimizer.init(theta), np.random.default_rng(1), jax.random.key(1)
    batched = jax.vmap(f, in_axes=(None, 0, 0))
    for epoch in range(3):
        order = rng.permutation(10)
        for first in range(0, 10, 4):
            rows = order[first:first + 4]
            keys = jax.random.split(jax.random.fold_in(key, epoch * 10 + first), len(rows))
            grads = jax.grad(lambda th: loss(batched(th, {"R.u": inputs["R.u"][rows]}, keys),
                                             targets[rows]))(theta)
            updates, state = optimizer.update(grads, state, theta)
            theta = optax.apply_updates(theta, updates)
    np.testing.assert_allclose(trained.theta["rec.w"], theta["rec.w"], rtol=1e-10)
    assert len(trained.history["loss"]) == 3
    assert trained.history["memory_bytes"] > inputs["R.u"][:4].nbytes
    assert trained.history["loss"][-1] < trained.history["loss"][0]


def test_a_loss_that_is_no_number_is_refused():
    f = rate_function()
    with pytest.raises(nf.ModelError, match="must be one number"):
        nf.train.bptt(f, lambda out, y: out["R.x"][:, -1] - y, data(), progress=False)


def test_data_of_the_wrong_shape_is_refused():
    f = rate_function()
    inputs, targets = data()
    with pytest.raises(nf.ModelError, match=r"expected \[S, T, 6\]"):
        nf.train.bptt(f, loss, ({"R.u": inputs["R.u"][:, :, :5]}, targets), progress=False)
    with pytest.raises(nf.ModelError, match="one number of sequences"):
        nf.train.bptt(f, loss, (inputs, targets[:7]), progress=False)
    with pytest.raises(nf.ModelError, match="data's inputs"):
        nf.train.bptt(f, loss, ({"R.v": inputs["R.u"]}, targets), progress=False)


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_a_loss_that_becomes_nan_stops_training_and_keeps_the_last_good_values():
    f = rate_function()
    inputs, targets = data()

    def exploding(outputs, targets):
        # ascent on |x| makes the weights grow each step; past |x| = 30 the square root of a
        # negative number makes the loss and its gradient NaN, so applying that step would
        # leave NaN in theta (a guard with jnp.where would have a zero gradient there instead)
        x = outputs["R.x"]
        return -jnp.mean(x ** 2) + 0.0 * jnp.sqrt(30.0 - jnp.abs(x).max())

    with pytest.raises(nf.train.TrainingError, match=r"epoch 4, batch 2") as caught:
        nf.train.bptt(f, exploding, (inputs, targets), optimizer=optax.sgd(1.0), epochs=6,
                      batch_size=5, seed=0, progress=False)
    # the same batches through plain JAX, stopping before the first one whose loss or
    # gradient is not finite
    theta, optimizer = f.init(), optax.sgd(1.0)
    state, rng, key = optimizer.init(theta), np.random.default_rng(0), jax.random.key(0)
    batched = jax.vmap(f, in_axes=(None, 0, 0))
    means, failed = [], None
    for epoch in range(6):
        order, values = rng.permutation(10), []
        for first in range(0, 10, 5):
            rows = order[first:first + 5]
            keys = jax.random.split(jax.random.fold_in(key, epoch * 10 + first), len(rows))
            value, grads = jax.value_and_grad(
                lambda th: exploding(batched(th, {"R.u": inputs["R.u"][rows]}, keys),
                                     targets[rows]))(theta)
            if not (np.isfinite(value) and np.all(np.isfinite(grads["rec.w"]))):
                failed = (epoch + 1, first // 5 + 1)
                break
            values.append(float(value))
            updates, state = optimizer.update(grads, state, theta)
            theta = optax.apply_updates(theta, updates)
        if failed:
            break
        means.append(np.mean(values))
    assert failed == (4, 2)
    assert np.all(np.isfinite(caught.value.theta["rec.w"]))
    np.testing.assert_allclose(caught.value.theta["rec.w"], theta["rec.w"], rtol=1e-10)
    # only the epochs that finished are in the history
    np.testing.assert_allclose(caught.value.history["loss"], means, rtol=1e-10)
    assert len(caught.value.history["epoch_seconds"]) == 3


def test_ridge_solves_the_normal_equations():
    rng = np.random.default_rng(3)
    states = rng.normal(size=(500, 8))
    targets = states @ rng.normal(size=(8, 2)) + 0.7 + 0.01 * rng.normal(size=(500, 2))
    readout = nf.train.ridge(states, targets, alpha=1e-3, warmup=100)
    x, y = states[100:], targets[100:]
    xc, yc = x - x.mean(0), y - y.mean(0)
    want = np.linalg.solve(xc.T @ xc + 1e-3 * np.eye(8), xc.T @ yc)
    np.testing.assert_allclose(readout.weights, want, rtol=1e-10)
    np.testing.assert_allclose(readout.bias, y.mean(0) - x.mean(0) @ want, rtol=1e-10)
    np.testing.assert_allclose(readout.predict(x), x @ want + readout.bias, rtol=1e-9, atol=1e-12)


def test_ridge_sweeps_alpha_on_held_out_steps():
    rng = np.random.default_rng(4)
    states = rng.normal(size=(80, 40))  # few steps for many states: overfitting is easy
    targets = states[:, :1] + 0.5 * rng.normal(size=(80, 1))  # one useful state, 39 of noise
    readout = nf.train.ridge(states, targets, alpha=[1e-8, 30.0, 1e8])
    assert readout.alpha == 30.0  # neither fitting the noise nor shrinking everything
    assert set(readout.scores) == {1e-8, 30.0, 1e8}


def test_force_is_recursive_least_squares():
    # one pass of RLS from P0 = p0*I is the ridge solution with alpha = 1/p0, without bias
    rng = np.random.default_rng(5)
    states = rng.normal(size=(400, 5))
    targets = states @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(400, 1))
    readout = nf.train.force(states, targets, p0=0.5, bias=False)
    want = np.linalg.solve(states.T @ states + 2.0 * np.eye(5), states.T @ targets)
    np.testing.assert_allclose(readout.weights, want, rtol=1e-8)


def test_readouts_of_a_model_function():
    f = rate_function()
    u = np.sin(np.linspace(0, 20, 300))[:, None] * np.ones(6)
    states = np.asarray(f(f.init(), {"R.u": u})["R.x"])
    target = np.roll(u[:, 0], -3)  # the input three steps ahead
    readout = nf.train.ridge(states[:-3], target[:-3], alpha=1e-6, warmup=50)
    error = np.abs(readout.predict(states[50:-3])[:, 0] - target[50:-3])
    assert error.mean() < 0.1 * np.abs(target).mean()
    with pytest.raises(nf.ModelError, match="warmup"):
        nf.train.ridge(states, target, warmup=400)


def test_training_through_a_spiking_model_lowers_its_loss():
    net = nf.Network()
    inputs = net.population("In", 8, "s : 1", threshold="s > 0.5")
    hidden = net.population("H", 16, "dv/dt = (-v + I)/(10*ms) : 1\ndI/dt = -I/(5*ms) : 1",
                            threshold="v > 1", reset="v -= 1", surrogate="fast_sigmoid(25)")
    out = net.population("Out", 2, "dv/dt = (-v + I)/(10*ms) : 1\ndI/dt = -I/(5*ms) : 1")
    net.projection(inputs, hidden, on_pre="I += w", weights=nf.normal(0, 0.3),
                   connect=nf.all_to_all(), name="in_to_H")
    net.projection(hidden, out, on_pre="I += w", weights=nf.normal(0, 0.3),
                   connect=nf.all_to_all(), name="H_to_Out")
    f = nf.compile(net.build(), dt=1.0 * ms).function(params=["in_to_H.w", "H_to_Out.w"],
                                                       inputs=["In.s"], outputs=["Out.v"])
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 64)
    rates = np.where(labels[:, None] == 1, [0.6] * 4 + [0.05] * 4, [0.05] * 4 + [0.6] * 4)
    spikes = (rng.random((64, 30, 8)) < rates[:, None, :]).astype(np.float32)

    def cross_entropy(outputs, y):
        logits = jnp.max(outputs["Out.v"], axis=1)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    trained = nf.train.bptt(f, cross_entropy, ({"In.s": spikes}, labels),
                            optimizer=optax.adam(1e-2), epochs=15, batch_size=16, progress=False,
                            metrics={"accuracy": lambda o, y: jnp.mean(
                                jnp.argmax(jnp.max(o["Out.v"], axis=1), -1) == y)})
    assert trained.history["loss"][-1] < 0.5 * trained.history["loss"][0]
    assert trained.history["accuracy"][-1] > 0.9
