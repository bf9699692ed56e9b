"""`sim.function`: the model as one pure JAX function.  Its forward pass is checked against
`sim.run`, its gradients against central finite differences (spikes replaced by the surrogate's
smooth step, float64) and, for the event kernel's custom gradient, against JAX's own autodiff of
the dense kernel; checkpointing against the plain scan, in values and in memory."""
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.units import ms

LIF = "dv/dt = (-v + I)/tau : 1\ndI/dt = -I/(5*ms) : 1"


def spiking(kernel="auto", delay=0 * ms, surrogate="sigmoid(4)"):
    """Inputs -> spiking hidden layer -> leaky readout: the shape of the training examples."""
    net = nf.Network()
    inputs = net.population("In", 6, "s : 1", threshold="s > 0.5")
    hidden = net.population("H", 8, LIF, threshold="v > 1", reset="v -= 1",
                            params={"tau": 10 * ms}, surrogate=surrogate)
    out = net.population("Out", 3, LIF, params={"tau": 20 * ms})
    net.projection(inputs, hidden, on_pre="I += w", weights=nf.normal(0.8, 0.3),
                   connect=nf.fixed_prob(0.6), name="in_to_H", kernel=kernel, delay=delay)
    net.projection(hidden, out, on_pre="I += w", weights=nf.normal(0.4, 0.2),
                   connect=nf.fixed_prob(0.8), name="H_to_Out", kernel=kernel)
    return net.build()


def rate_network(n=5):
    net = nf.Network()
    units = net.population("R", n, "dx/dt = (-x + I_rec + u)/tau : 1\nI_rec : 1\nu : 1",
                           params={"tau": 10 * ms}, init={"x": nf.uniform(-1, 1)})
    net.projection(units, units, model="w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)",
                   weights=nf.normal(0, 0.6), connect=nf.all_to_all(), name="rec")
    return net.build()


def spike_trains(steps=40, n=6, seed=0):
    return (np.random.default_rng(seed).random((steps, n)) < 0.3).astype(float)


def finite_differences(loss, theta, eps=1e-6):
    """Central differences in every entry of `theta`, all perturbations in one batch."""
    flat, unravel = jax.flatten_util.ravel_pytree(theta)
    steps = eps * jnp.eye(flat.size)
    values = jax.jit(jax.vmap(lambda d: loss(unravel(flat + d))))(jnp.concatenate([steps, -steps]))
    return np.asarray(values[:flat.size] - values[flat.size:]) / (2 * eps)


@pytest.mark.parametrize("delay", [0 * ms, nf.uniform(0 * ms, 3 * ms)],
                         ids=["no delay", "per-synapse delays"])
@pytest.mark.parametrize("params", [[], ["in_to_H.w", "H_to_Out.w"]], ids=["fixed", "trained"])
def test_forward_pass_equals_the_simulation(delay, params):
    x = spike_trains(60)
    sim = nf.compile(spiking(delay=delay), dt=1.0, dtype="float64", native=False)
    f = sim.function(params=params, inputs=["In.s"], outputs=["Out.v", "H.spikes"])
    out = f(f.init(), {"In.s": x})
    # the hidden layer spikes: resets and propagation run
    assert np.sum(np.asarray(out["H.spikes"])) > 5
    # the simulator's own step, with the same inputs written into the state
    state, params, conn = sim.program.initial(0)
    derived = sim.program.prepare(params)
    for t in range(60):
        state["pops"]["In"]["s"] = jnp.asarray(x[t])
        state, _ = sim.program.step(state, params, conn, derived)
        np.testing.assert_allclose(out["Out.v"][t], state["pops"]["Out"]["v"], rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("delay", [0 * ms, 2 * ms, nf.uniform(0 * ms, 3 * ms)],
                         ids=["no delay", "one delay", "per-synapse delays"])
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_gradient_of_a_spiking_model_equals_finite_differences(native, delay):
    sim = nf.compile(spiking(delay=delay), dt=1.0, dtype="float64", native=native)
    f = sim.function(params=["in_to_H.w", "H_to_Out.w", "H.tau"], inputs=["In.s"],
                     outputs=["Out.v"], smooth=True, detach_reset=False)
    x = spike_trains()

    def loss(theta):
        return jnp.sum(f(theta, {"In.s": x})["Out.v"] ** 2)

    theta = f.init()
    np.testing.assert_allclose(jax.flatten_util.ravel_pytree(jax.grad(loss)(theta))[0],
                               finite_differences(loss, theta), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_gradient_of_a_rate_model_equals_finite_differences(native):
    sim = nf.compile(rate_network(), dt=0.5, dtype="float64", native=native)
    f = sim.function(params=["rec.w", "R.tau"], inputs=["R.u"], outputs=["R.x"])
    u = np.sin(np.linspace(0, 6, 80))[:, None] * np.linspace(0.5, 1.5, 5)

    def loss(theta):
        return jnp.mean(f(theta, {"R.u": u})["R.x"][-20:] ** 2)

    theta = f.init()
    np.testing.assert_allclose(jax.flatten_util.ravel_pytree(jax.grad(loss)(theta))[0],
                               finite_differences(loss, theta), rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("delay", [0 * ms, 2 * ms], ids=["no delay", "one delay"])
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_event_kernel_gradient_equals_autodiff_of_the_dense_kernel(delay):
    x = spike_trains(50)
    grads = {}
    for kernel in ("dense", "csr", "ell", "event"):
        sim = nf.compile(spiking(kernel, delay, "fast_sigmoid(10)"), dt=1.0, dtype="float64")
        f = sim.function(params=["in_to_H.w", "H_to_Out.w", "H.tau"], inputs=["In.s"],
                         outputs=["Out.v"])
        assert f"kernel={kernel}" in f.ir
        grads[kernel] = jax.flatten_util.ravel_pytree(jax.grad(
            lambda th: jnp.sum(f(th, {"In.s": x})["Out.v"] ** 2))(f.init()))[0]
    assert np.max(np.abs(grads["dense"])) > 1e-3
    for kernel in ("csr", "ell", "event"):
        np.testing.assert_allclose(grads[kernel], grads["dense"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kernel", ["auto", "dense", "csr", "ell", "event"])
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_one_shared_weight_is_trained_one_per_synapse(kernel):
    # a kernel may store one weight for all synapses as a number: theta's must replace it
    net = nf.Network()
    inputs = net.population("In", 3, "s : 1", threshold="s > 0.5")
    out = net.population("P", 2, "dv/dt = -v/(10*ms) : 1")
    net.projection(inputs, out, on_pre="v += w", weights=0.5, connect=nf.all_to_all(),
                   name="syn", kernel=kernel)
    f = nf.compile(net.build(), dt=1.0, dtype="float64").function(
        params=["syn.w"], inputs=["In.s"], outputs=["P.v"])
    x = np.zeros((10, 3))
    x[2, 0] = x[5, 1] = 1.0
    grad = jax.grad(lambda th: f(th, {"In.s": x})["P.v"].sum())(f.init())["syn.w"]
    # w arrives at the end of the spike's step, then decays by exp(-1/10) a step: a sum over
    # the steps recorded from then on (8 from step 2, 5 from step 5, none for the silent one)
    pre, _ = f.synapses("syn")
    decay = np.exp(-0.1)
    recorded = np.array([8, 5, 0])[pre]
    want = (1 - decay ** recorded) / (1 - decay)
    np.testing.assert_allclose(grad, want, rtol=1e-9)


@pytest.mark.parametrize("kind, slope", [
    ("fast_sigmoid(10)", lambda x: 1 / (1 + 10 * abs(x)) ** 2),
    ("sigmoid(4)", lambda x: 4 * np.exp(-4 * x) / (1 + np.exp(-4 * x)) ** 2),
    ("arctan(2)", lambda x: 1 / (1 + (np.pi * x) ** 2)),
    ("piecewise_linear(0.5)", lambda x: max(0.0, 1 - abs(x) / 0.5) / 0.5),
    ("gaussian(0.5)", lambda x: np.exp(-x ** 2 / 0.5) / (0.5 * np.sqrt(2 * np.pi))),
])
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_a_spike_has_the_slope_of_its_surrogate(kind, slope):
    net = nf.Network()
    net.population("P", 5, "v : 1", threshold="v > 1", surrogate=kind)
    f = nf.compile(net.build(), dt=1.0, dtype="float64").function(inputs=["P.v"],
                                                                 outputs=["P.spikes"])
    v = np.array([[0.2, 0.9, 1.05, 1.3, 2.5]])
    spikes, pullback = jax.vjp(lambda v: f({}, {"P.v": v})["P.spikes"], v)
    np.testing.assert_array_equal(spikes, (v > 1).astype(float))  # the forward pass is a step
    np.testing.assert_allclose(pullback(jnp.ones_like(v))[0][0],
                               [slope(x) for x in v[0] - 1], rtol=1e-12, atol=1e-15)


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_detached_reset_takes_no_gradient_through_the_spike():
    # the crossing variable's reset (u = 0) is detached, as snnTorch and Spyx detach the
    # membrane's; another variable's (an adaptation, v = 5) keeps the spike's gradient
    net = nf.Network()
    net.population("P", 1, "u : 1\nv : 1", threshold="u > 1", reset="u = 0\nv = 5",
                   surrogate="sigmoid(1)")
    sim = nf.compile(net.build(), dt=1.0, dtype="float64")
    u = jnp.array([[1.5]])  # the margin: 0.5
    slope = np.exp(-0.5) / (1 + np.exp(-0.5)) ** 2  # sigmoid'(0.5)
    for detach, want_u in ((True, 0.0), (False, -1.5 * slope)):  # u + s*(0 - u)
        f = sim.function(inputs=["P.u"], outputs=["P.u", "P.v"], detach_reset=detach)
        for var, want in (("P.u", want_u), ("P.v", 5 * slope)):  # v + s*(5 - v), v = 0
            grad = jax.grad(lambda u: f({}, {"P.u": u})[var][0, 0])(u)
            np.testing.assert_allclose(grad[0, 0], want, rtol=1e-12, atol=1e-15)


@pytest.mark.usefixtures("x64")  # a float64 function under the test's own jax.grad
def test_a_subtractive_reset_detached_passes_the_gradient_unchanged():
    # u -= 1 where u crossed: detached, d(u - 1)/du = 1; otherwise u - s*1 gives 1 - slope
    net = nf.Network()
    net.population("P", 2, "u : 1", threshold="u > 1", reset="u -= 1", surrogate="sigmoid(1)")
    sim = nf.compile(net.build(), dt=1.0, dtype="float64")
    u = jnp.array([[1.5, 0.25]])  # margins 0.5 (spikes) and -0.75 (does not)
    slopes = [np.exp(-m) / (1 + np.exp(-m)) ** 2 for m in (0.5, -0.75)]  # sigmoid'(margin)
    for detach, want in ((True, [1.0, 1.0]), (False, [1 - s for s in slopes])):
        f = sim.function(inputs=["P.u"], outputs=["P.u"], detach_reset=detach)
        np.testing.assert_allclose(f({}, {"P.u": u})["P.u"][0], [0.5, 0.25], rtol=1e-15)
        grad = jax.grad(lambda u: jnp.sum(f({}, {"P.u": u})["P.u"]))(u)
        np.testing.assert_allclose(grad[0], want, rtol=1e-12, atol=1e-15)


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_batches_through_vmap_equal_single_calls():
    sim = nf.compile(spiking(), dt=1.0, dtype="float64")
    f = sim.function(params=["in_to_H.w"], inputs=["In.s"], outputs=["Out.v", "H.spikes"])
    theta = f.init()
    batch = np.stack([spike_trains(30, seed=k) for k in range(3)])
    together = jax.jit(jax.vmap(f, in_axes=(None, 0, None)))(theta, {"In.s": batch}, None)
    for k in range(3):
        alone = f(theta, {"In.s": batch[k]})
        for name in alone:
            np.testing.assert_allclose(together[name][k], alone[name], rtol=1e-12, atol=1e-12)


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_checkpointed_gradient_is_the_same_in_a_quarter_of_the_memory():
    # 100 units read out by 2, a batch of 4 sequences of 1000 steps: what a step keeps for the
    # backward pass is the units' state, which outweighs the buffers of the weights (100 x
    # 100, kept once) only over a batch, as in training
    net = nf.Network()
    units = net.population("R", 100, "dx/dt = (-x + I_rec + u)/(10*ms) : 1\nI_rec : 1\nu : 1",
                           init={"x": nf.uniform(-1, 1)})
    net.projection(units, units, model="w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)",
                   weights=nf.normal(0, 0.15), connect=nf.all_to_all(), name="rec")
    out = net.population("Out", 2, "y : 1")
    net.projection(units, out, model="w : 1\ny_post = w*x_pre : 1 (summed)",
                   weights=nf.normal(0, 0.1), connect=nf.all_to_all(), name="readout")
    sim = nf.compile(net.build(), dt=0.5, dtype="float64")
    u = np.cos(np.linspace(0, 30, 1000))[:, None] * np.ones(100)
    u = np.stack([u * (1 + 0.1 * k) for k in range(4)])
    grads, memory = {}, {}
    for chunk in (None, 32):
        f = sim.function(params=["rec.w", "readout.w"], inputs=["R.u"], outputs=["Out.y"],
                         checkpoint=chunk)
        batched = jax.vmap(f, in_axes=(None, 0, None))
        grad = jax.jit(jax.grad(lambda th: jnp.mean(batched(th, {"R.u": u}, None)["Out.y"] ** 2)))
        theta = f.init()
        grads[chunk] = jax.flatten_util.ravel_pytree(grad(theta))[0]
        memory[chunk] = grad.lower(theta).compile().memory_analysis().temp_size_in_bytes
    np.testing.assert_allclose(grads[32], grads[None], rtol=1e-6)
    assert memory[32] <= memory[None] / 4, memory


def test_init_gives_the_compiled_values_and_weights_in_synapse_order():
    sim = nf.compile(spiking(kernel="dense"), dt=1.0, dtype="float64")
    f = sim.function(params=["in_to_H.w", "H.tau"], inputs=["In.s"], outputs=["Out.v"])
    theta = f.init()
    assert float(theta["H.tau"]) == 10.0
    pre, post = f.synapses("in_to_H")
    assert theta["in_to_H.w"].shape == pre.shape
    # the simulator's dense kernel holds each synapse's weight at (pre, post)
    matrix = np.zeros((6, 8))
    matrix[pre, post] = np.asarray(theta["in_to_H.w"])
    _, _, conn = sim.program.initial(0)
    np.testing.assert_array_equal(np.asarray(conn["in_to_H"]["matrix"]), matrix)


@pytest.mark.parametrize("call, message", [
    (lambda sim: sim.function(params=["H.tua"], outputs=["Out.v"]), "did you mean 'H.tau'"),
    (lambda sim: sim.function(params=["in_to_H.delay"], outputs=["Out.v"]), "its weights"),
    (lambda sim: sim.function(params=["H.v"], outputs=["Out.v"]), "no parameter"),
    (lambda sim: sim.function(inputs=["H.v"], outputs=["Out.v"]), "has an equation"),
    (lambda sim: sim.function(outputs=["Out.spikes"]), "has no threshold"),
    (lambda sim: sim.function(outputs=["Hidden.v"]), "no population 'Hidden'"),
    (lambda sim: sim.function(outputs=[]), "at least one output"),
])
def test_bad_names_are_clear_errors(call, message):
    sim = nf.compile(spiking(), dt=1.0)
    with pytest.raises(nf.ModelError, match=message):
        call(sim)


def test_a_summed_variable_is_no_input():
    sim = nf.compile(rate_network(), dt=0.5)
    with pytest.raises(nf.ModelError, match="sum of coupling 'rec'"):
        sim.function(inputs=["R.I_rec"], outputs=["R.x"])


def test_bad_values_are_clear_errors():
    f = nf.compile(spiking(), dt=1.0).function(params=["H.tau"], inputs=["In.s"],
                                                outputs=["Out.v"])
    with pytest.raises(nf.ModelError, match=r"shape \(40, 5\), expected \[T, 6\]"):
        f(f.init(), {"In.s": np.zeros((40, 5))})
    with pytest.raises(nf.ModelError, match="missing H.tau"):
        f({}, {"In.s": np.zeros((40, 6))})
    with pytest.raises(nf.ModelError, match="inputs must be"):
        f(f.init(), {})


def test_a_threshold_that_is_no_comparison_cannot_be_differentiated():
    net = nf.Network()
    net.population("P", 2, "v : 1", threshold="v > 1 and v < 3")
    with pytest.raises(nf.NeuroflowError, match="not one comparison"):
        nf.compile(net.build(), dt=1.0).function(inputs=["P.v"], outputs=["P.spikes"])


def test_a_float64_function_transformed_without_64_bit_types_says_so():
    sim = nf.compile(rate_network(), dt=0.5, dtype="float64")
    f = sim.function(params=["R.tau"], inputs=["R.u"], outputs=["R.x"])
    u = np.sin(np.linspace(0, 6, 40))[:, None] * np.ones(5)
    with pytest.raises(nf.ModelError, match="64-bit types"):
        jax.grad(lambda theta: jnp.sum(f(theta, {"R.u": u})["R.x"]))(f.init())
    # called as it is, it runs in float64 by itself: the same numbers as under the switch
    direct = f(f.init(), {"R.u": u})["R.x"]
    assert direct.dtype == jnp.float64
    with jax.enable_x64(True):
        np.testing.assert_array_equal(direct, jax.jit(f)(f.init(), {"R.u": u})["R.x"])


def test_a_float32_function_needs_no_switch_even_with_random_numbers():
    """Its random numbers come from a 64-bit hash, inside the function: transformed by code
    that runs without JAX's 64-bit types, it gives what it gives under them."""
    net = nf.Network()
    net.population("N", 4, "dx/dt = (-x + w*rand())/(5*ms) : 1\nw : 1 (shared)",
                   params={"w": 1.0})
    f = nf.compile(net.build(), dt=0.5, dtype="float32").function(params=["N.w"],
                                                                   outputs=["N.x"])
    key = jax.random.key(2)
    with jax.enable_x64(True):
        reference = jax.jit(lambda theta: f(theta, {}, key, steps=30))(f.init())["N.x"]
    direct = f(f.init(), {}, key, steps=30)["N.x"]
    jitted = jax.jit(lambda theta: f(theta, {}, key, steps=30))(f.init())["N.x"]
    assert direct.dtype == jitted.dtype == reference.dtype == jnp.float32
    np.testing.assert_array_equal(direct, reference)
    np.testing.assert_allclose(jitted, reference, rtol=1e-6)
    assert np.ptp(np.asarray(direct[-1])) > 0  # the neurons draw different numbers
    grad = jax.grad(lambda theta: jnp.sum(f(theta, {}, key, steps=30)["N.x"]))(f.init())
    assert np.isfinite(grad["N.w"]) and grad["N.w"] > 0
