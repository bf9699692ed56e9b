"""`event_parallel` (no loop over spikes) gives exactly the sums of `event` (a loop step per
spike, in pure JAX) in float64: the same synapses, added in the same order, on every path
(each buffer size, the masked pass, a ring of per-synapse delays, spikes as numbers with
their gradient, a batch under `vmap`)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS
from neuroflow.backend.jax._kernels import draw_synapses

EVENT, PARALLEL = KERNELS["event"], KERNELS["event_parallel"]
# from silent to every neuron spiking: every buffer size (16, 64, 256 rows for 1200 neurons)
# and the masked pass beyond them
COUNTS = (0, 1, 15, 16, 17, 64, 65, 256, 257, 600, 1200)


def projection(n_pre, n_post, rule, weight, delay=0.0):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule, weight,
                         ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")), delay, "auto")


def spikes_with(count: int, n: int, rng) -> np.ndarray:
    spikes = np.zeros(n, bool)
    spikes[rng.choice(n, count, replace=False)] = True
    return spikes


@pytest.mark.usefixtures("x64")
@pytest.mark.parametrize("weight", [ir.Normal(1.0, 0.5), 0.6])
def test_every_number_of_spikes_sums_to_the_bit_as_the_loop_does(weight):
    rng = np.random.default_rng(3)
    node = projection(1200, 900, nf.fixed_prob(0.05), weight)
    arrays = EVENT.build(node, *draw_synapses(node, rng), "float64")
    loop = jax.jit(lambda s: EVENT.propagate(arrays, s, node))
    parallel = jax.jit(lambda s: PARALLEL.propagate(arrays, s, node))
    for count in COUNTS:
        spikes = spikes_with(count, 1200, rng)
        expected = loop(spikes)
        assert np.array_equal(parallel(spikes), expected), count
        assert count == 0 or np.abs(expected).max() > 0


@pytest.mark.usefixtures("x64")
def test_per_synapse_delays_fill_the_same_ring():
    rng = np.random.default_rng(4)
    node = projection(400, 300, nf.fixed_prob(0.1), ir.Normal(0.5, 0.2), delay=ir.Uniform(0, 2))
    pre, post, weight = draw_synapses(node, rng)
    arrays = EVENT.build(node, pre, post, weight, "float64",
                         delay_steps=rng.integers(0, 8, len(pre)).astype(np.int32))
    ring = jnp.asarray(rng.normal(size=9 * 301))  # rows of n_post + 1 slots, one per future step
    loop, parallel = (jax.jit(lambda s, step, kernel=kernel:
                              kernel.propagate(arrays, s, node, ring=ring, step=step))
                      for kernel in (EVENT, PARALLEL))
    for count in (0, 3, 40, 150, 400):
        spikes = spikes_with(count, 400, rng)
        for step in (0, 5, 11):
            assert np.array_equal(parallel(spikes, step), loop(spikes, step)), (count, step)


@pytest.mark.usefixtures("x64")
def test_spikes_as_numbers_give_the_same_values_and_gradients():
    rng = np.random.default_rng(5)
    node = projection(200, 150, nf.fixed_prob(0.1), ir.Normal(1.0, 0.5))
    arrays = EVENT.build(node, *draw_synapses(node, rng), "float64")
    spikes = (rng.random(200) < 0.1).astype(float)
    probe = rng.normal(size=150)

    def loss(kernel):
        return jax.value_and_grad(lambda s: jnp.dot(kernel.propagate(arrays, s, node), probe))

    value, grad = loss(EVENT)(spikes)
    parallel_value, parallel_grad = loss(PARALLEL)(spikes)
    assert parallel_value == value and np.array_equal(parallel_grad, grad)
    # the gradient of the masked pass: each pre neuron's weights against the probe
    assert np.abs(grad).max() > 0


@pytest.mark.usefixtures("x64")
def test_a_batch_under_vmap_gives_each_members_sums():
    rng = np.random.default_rng(6)
    node = projection(600, 500, nf.fixed_prob(0.05), ir.Normal(1.0, 0.5))
    arrays = EVENT.build(node, *draw_synapses(node, rng), "float64")
    batch = np.stack([spikes_with(c, 600, rng) for c in (0, 5, 60, 300)])
    batched = jax.vmap(lambda s: PARALLEL.propagate(arrays, s, node))
    together = jax.jit(batched)(batch)
    loop = jax.jit(lambda s: EVENT.propagate(arrays, s, node))
    for member, spikes in zip(together, batch):
        assert np.array_equal(member, loop(spikes))
    # the batch shares the buffer of its busiest member: one branch runs (a `cond`), not every
    # branch for every member and a selection among them; the loop kernel chooses so too
    assert "cond[" in str(jax.make_jaxpr(batched)(batch))
    looped = jax.vmap(lambda s: EVENT.propagate(arrays, s, node))
    assert "cond[" in str(jax.make_jaxpr(looped)(batch))
    assert np.array_equal(jax.jit(looped)(batch), together)


def test_it_never_runs_the_native_kernels():
    assert not PARALLEL.adds_natively({})


def test_a_forced_event_parallel_projection_runs_on_the_cpu_as_event_does():
    """Asked whether it adds natively, as every kernel is where native kernels are built, it says
    no (it raised a TypeError): the same spikes as `event`."""
    def run(kernel):
        net = nf.Network("forced")
        P = net.population("P", 200, equations="dv/dt = -v / (10*ms) : 1", threshold="v > 1",
                           reset="v = 0", init=dict(v=nf.uniform(0.0, 1.5)))
        net.projection(P, P, on_pre="v += 0.2", connect=nf.fixed_prob(0.1), kernel=kernel)
        net.monitor_spikes(P)
        return nf.compile(net.build(), dt=0.1 * nf.units.ms).run(30 * nf.units.ms, seed=1)

    a, b = run("event"), run("event_parallel")
    assert len(a.spikes("P")[0]) > 50
    for x, y in zip(a.spikes("P"), b.spikes("P")):
        np.testing.assert_array_equal(x, y)
