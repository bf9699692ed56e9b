"""Every projection kernel against a plain numpy computation of the same synapses."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS, _native
from neuroflow.backend.jax._kernels import draw_synapses


def projection(n_pre, n_post, rule, weight):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule, weight,
                         ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")), 0.0, "auto")


# kernels that generate their own synapses (procedural) are checked in test_procedural.py
KERNEL_PATHS = [(name, False) for name in sorted(KERNELS)
                if not getattr(KERNELS[name], "generates_synapses", False)] + [("event", True)]


@pytest.mark.parametrize("kernel,native", KERNEL_PATHS)
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_kernel_matches_numpy(kernel, native, seed):
    if native and not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    rng = np.random.default_rng(seed)
    n_pre, n_post = int(rng.integers(1, 300)), int(rng.integers(1, 300))
    rules = [nf.fixed_prob(float(rng.uniform(0, 0.3))), nf.all_to_all(),
             nf.fixed_fan_out(min(n_post, 5))]
    rule, weight = rules[seed % 3], ir.Normal(1.0, 0.5)
    if kernel == "one_to_one":  # kernels for fixed structures get their structure
        n_post, rule = n_pre, nf.one_to_one()
    if kernel == "all_to_all":
        rule, weight = nf.all_to_all(), (ir.Normal(1.0, 0.5) if seed % 2 else 0.7)
    node = projection(n_pre, n_post, rule, weight)
    pre, post, weight = draw_synapses(node, np.random.default_rng(seed))
    arrays = KERNELS[kernel].build(node, pre, post, weight, "float64")
    # from silent to every neuron spiking, so the loop over spikes and the pass over every
    # synapse run
    for fraction in (0.0, 0.01, 0.05, 0.3, 1.0):
        spikes = rng.random(n_pre) < fraction
        expected = np.zeros(n_post)
        np.add.at(expected, post[spikes[pre]], weight[spikes[pre]])
        got = jax.jit(lambda s: KERNELS[kernel].propagate(arrays, s, node, native=native))(spikes)
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-12)


def test_native_and_jax_kernels_give_the_same_spikes():
    """Results must not depend on which kernel path ran (beyond summation order)."""
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    from neuroflow.units import ms
    from tests.conftest import load_example
    model = load_example("coba")["model"]
    native = nf.compile(model, dt=0.1 * ms, dtype="float64").run(100 * ms, seed=0)
    pure = nf.compile(model, dt=0.1 * ms, dtype="float64", native=False).run(100 * ms, seed=0)
    for a, b in zip(native.spikes("P"), pure.spikes("P")):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("kernel,native", [("dense", False), ("event", False), ("event", True),
                                           ("csr", False), ("ell", False)])
def test_forcing_each_kernel_on_coba_keeps_the_rates_in_the_peers_spread(kernel, native):
    from neuroflow.units import ms
    from tests.conftest import load_example
    example = load_example("coba")
    pipeline = f"resolve,canonicalize,integrate,delays,kernels{{default={kernel}}},schedule"
    results = nf.compile(example["model"], dt=0.1 * ms, pipeline=pipeline,
                         native=native).run(500 * ms, seed=0)
    for view in (example["exc"], example["inh"]):
        assert 17 <= results.rate(view) <= 24


def test_one_to_one_refuses_a_single_synapse_between_populations_of_other_sizes():
    # found by the property test: 1 -> 5 with fixed_fan_out(1) draws pre == post == [0]
    node = projection(1, 5, nf.fixed_fan_out(1), 1.0)
    pre, post, weight = draw_synapses(node, np.random.default_rng(0))
    with pytest.raises(ValueError, match="one_to_one connectivity"):
        KERNELS["one_to_one"].build(node, pre, post, weight, "float64")


@pytest.mark.usefixtures("x64")  # float64 and int64 arrays made here
def test_a_native_kernel_called_with_the_wrong_signature_says_what_it_expected():
    # the handlers decode XLA's call frame themselves (native/frame.h): a wrong dtype or a
    # missing attribute must come back as a readable error, never as a crash
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    spikes = jnp.zeros(4, bool)
    targets = jnp.zeros((5, 2), jnp.int32)
    weights, base = jnp.zeros((5, 2)), jnp.zeros(3)
    call = jax.ffi.ffi_call("NeuroflowEventAddF64", jax.ShapeDtypeStruct((3,), jnp.float64))
    with pytest.raises(Exception, match="neuroflow event add: expected"):
        jax.block_until_ready(call(spikes, targets, weights, base, pre_start=np.int64(0)))
    packed = jax.ffi.ffi_call("NeuroflowEventAddPackedF64", jax.ShapeDtypeStruct((3,), jnp.float64))
    where = dict(pre_start=np.int64(0), post_start=np.int64(0), n_post=np.int64(3),
                 sign=np.float64(1))
    with pytest.raises(Exception, match="neuroflow packed event add: expected"):  # no owned
        jax.block_until_ready(packed(jnp.zeros(1, jnp.uint8), targets, weights, base, **where))
    # 4 pre neurons from neuron 5, in blocks of 4 at a stride of 8 bits: neuron 8's bit is 16,
    # past the one byte given
    with pytest.raises(Exception, match="slices do not fit"):
        jax.block_until_ready(packed(jnp.zeros(1, jnp.uint8), targets, weights, base,
                                     **dict(where, pre_start=np.int64(5)), owned=np.int64(4),
                                     stride=np.int64(8)))
    wrong_dtype = jax.ffi.ffi_call("NeuroflowEventF64", jax.ShapeDtypeStruct((3,), jnp.float64))
    with pytest.raises(Exception, match="neuroflow event kernel: expected"):
        jax.block_until_ready(wrong_dtype(spikes, targets.astype(jnp.int64), weights))
    unknown = jax.ffi.ffi_call("NeuroflowCallGenerated", jax.ShapeDtypeStruct((3,), jnp.float64))
    with pytest.raises(Exception, match="not loaded in this process"):
        jax.block_until_ready(unknown(base, id=np.uint64(12345), size=np.int64(3)))
    with pytest.raises(Exception, match="int64 attribute 'size'"):
        jax.block_until_ready(unknown(base, id=np.uint64(12345)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.usefixtures("x64")  # float64 arrays stay float64
def test_native_all_to_all_add_equals_the_jax_count_to_the_bit(dtype, sign):
    """`all_to_all` with one weight: the C++ count-and-add into slices of the variable gives what
    XLA's count, product and addition give, bit for bit (so the spikes do not change)."""
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    rng = np.random.default_rng(5)
    node = ir.Projection("p", ir.PopSlice("A", 7, 7 + 93), ir.PopSlice("B", 11, 11 + 50),
                         nf.all_to_all(), 0.37, ir.Type("float", ()),
                         ir.Statement("x", "+=", ir.Ref("w")), 0.0, "auto")
    pre, post, weight = draw_synapses(node, rng)
    arrays = KERNELS["all_to_all"].build(node, pre, post, weight, dtype)
    assert KERNELS["all_to_all"].adds_natively(arrays)
    base = jnp.asarray(rng.normal(size=80), dtype)
    for fraction in (0.0, 0.05, 0.5, 1.0):
        spikes = jnp.asarray(rng.random(120) < fraction)
        view = spikes[7:100]

        def by_jax(base, view=view):
            change = KERNELS["all_to_all"].propagate(arrays, view, node)
            return base.at[11:61].add(change if sign > 0 else -change)

        def by_native(base, spikes=spikes):
            return KERNELS["all_to_all"].add_native(arrays, spikes, 7, base, node, sign)

        expected, got = jax.jit(by_jax)(base), jax.jit(by_native)(base)
        assert got.dtype == dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
        assert fraction == 0.0 or np.any(np.asarray(got) != np.asarray(base))


def test_a_rate_monitor_counts_the_same_spikes_natively_and_in_jax():
    """The rate monitor's count per step (one C++ call with native kernels, XLA's reduction
    without) against the spikes recorded in the same run, step by step."""
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    from neuroflow.units import Hz, ms
    net = nf.Network("counted")
    p = net.population("P", 150, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    net.poisson_input(p, "v", N=50, rate=300 * Hz, weight=0.1)
    net.monitor_spikes(p)
    net.monitor_rate(p)
    model = net.build()
    for native in (True, False):
        results = nf.compile(model, dt=0.1 * ms, native=native).run(20 * ms, seed=1)
        t, i = results.spikes("P")
        steps = np.round(t / 0.1).astype(int)
        counts = np.bincount(steps, minlength=200)
        _, rate = results.rate_trace("P")
        assert len(t) > 50
        np.testing.assert_allclose(rate, counts / 150 / 1e-4)
