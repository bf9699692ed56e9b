"""The procedural kernel: its generated synapses against `dense` on the same synapses, its
native and JAX paths against each other, and the statistics of the rules it samples."""
import jax
import numpy as np
import pytest
from scipy import stats

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS, _native, _procedural
from neuroflow.backend.jax._procedural import synapses
from neuroflow.units import ms

PROCEDURAL = KERNELS["procedural"]


def projection(n_pre, n_post, rule, weight=0.7, name="p"):
    return ir.Projection(name, ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule,
                         weight, ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")),
                         0.0, "procedural")


def paths():
    return [False, True] if _native.available() else [False]


def random_network(seed):
    rng = np.random.default_rng(seed)
    n_pre, n_post = int(rng.integers(1, 2500)), int(rng.integers(2, 300))
    rule = (nf.fixed_prob(float(rng.choice([0.0, 1.0, rng.uniform(0, 0.3)]))) if seed % 2 == 0
            else nf.fixed_fan_out(int(rng.integers(0, n_post // 2 + 1))))
    return rng, projection(n_pre, n_post, rule, float(rng.uniform(-1, 2)))


def check_against_dense(node, seed, index, rng):
    pre, post = synapses(node, seed, index)
    weight = np.full(len(pre), node.weight)
    dense = KERNELS["dense"].build(node, pre, post, weight, "float64")
    arrays = PROCEDURAL.build(node, None, None, None, "float64", seed=seed, index=index)
    kernels = [jax.jit(lambda s, native=native: PROCEDURAL.propagate(arrays, s, node,
                                                                     native=native))
               for native in paths()]
    # from silent to every neuron spiking: every bucket and the block loop run
    for fraction in (0.0, 0.002, 0.01, 0.05, 0.3, 1.0):
        spikes = rng.random(node.pre.size) < fraction
        expected = np.asarray(KERNELS["dense"].propagate(dense, spikes, node))
        for kernel in kernels:
            np.testing.assert_allclose(np.asarray(kernel(spikes)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_procedural_agrees_with_dense_on_the_synapses_it_generates(seed):
    rng, node = random_network(seed)
    check_against_dense(node, seed, seed % 3, rng)


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_rows_longer_than_one_chunk_are_exact(monkeypatch):
    """A fixed_prob row is generated in chunks; with tiny chunks every row needs many."""
    monkeypatch.setattr(_procedural, "_row_bound", lambda p, n_post: 3)
    rng = np.random.default_rng(5)
    check_against_dense(projection(1500, 120, nf.fixed_prob(0.2)), 5, 0, rng)


def test_the_same_seed_gives_the_same_synapses_and_another_seed_others():
    node = projection(300, 200, nf.fixed_prob(0.05))
    first = synapses(node, 7, 1)
    np.testing.assert_array_equal(first[1], synapses(node, 7, 1)[1])
    for other in (synapses(node, 8, 1), synapses(node, 7, 2)):  # another seed, another projection
        assert len(other[0]) != len(first[0]) or not np.array_equal(other[1], first[1])


def test_fixed_prob_rows_are_binomial_and_targets_uniform():
    n_pre, n_post, p = 4000, 400, 0.05
    pre, post = synapses(projection(n_pre, n_post, nf.fixed_prob(p)), 3, 0)
    counts = np.bincount(pre, minlength=n_pre)
    mean, var = n_post * p, n_post * p * (1 - p)
    assert abs(counts.mean() - mean) < 4 * np.sqrt(var / n_pre)
    assert abs(counts.var(ddof=1) / var - 1) < 4 * np.sqrt(2 / (n_pre - 1))
    # the whole distribution of row lengths, and where the targets fall
    values, observed = np.unique(np.clip(counts, 12, 28), return_counts=True)
    cdf = stats.binom.cdf(values, n_post, p)
    expected = np.diff(np.concatenate([[0.0], cdf[:-1], [1.0]])) * n_pre
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert stats.chisquare(np.bincount(post, minlength=n_post)).pvalue > 1e-3
    # rows hold distinct targets, sorted
    assert np.all((np.diff(post) > 0) | (np.diff(pre) > 0))


def test_fixed_prob_edges():
    assert len(synapses(projection(50, 40, nf.fixed_prob(0.0)), 0, 0)[0]) == 0
    pre, post = synapses(projection(50, 40, nf.fixed_prob(1.0)), 0, 0)
    np.testing.assert_array_equal(pre, np.repeat(np.arange(50), 40))
    np.testing.assert_array_equal(post, np.tile(np.arange(40), 50))


def test_fixed_fan_out_gives_k_distinct_targets_uniform_over_subsets():
    n_pre, k = 6000, 2
    pre, post = synapses(projection(n_pre, 4, nf.fixed_fan_out(k)), 11, 0)
    np.testing.assert_array_equal(np.bincount(pre, minlength=n_pre), k)
    pairs = post.reshape(n_pre, k)
    assert np.all(pairs[:, 1] > pairs[:, 0])
    subsets = np.bincount(pairs[:, 0] * 4 + pairs[:, 1], minlength=16)[[1, 2, 3, 6, 7, 11]]
    assert stats.chisquare(subsets).pvalue > 1e-3  # each of the 6 pairs equally likely
    pre, post = synapses(projection(2000, 300, nf.fixed_fan_out(80)), 12, 0)
    rows = post.reshape(2000, 80)
    assert np.all(np.diff(rows, axis=1) > 0)
    assert stats.chisquare(np.bincount(post, minlength=300)).pvalue > 1e-3


def test_what_the_kernel_cannot_run_is_rejected_with_the_projection_named():
    cases = [projection(10, 10, nf.fixed_prob(0.1), ir.Normal(1.0, 0.1), name="noisy"),
             projection(10, 10, nf.fixed_fan_in(3), name="fanin"),
             projection(10, 10, nf.fixed_fan_out(6), name="dense_fan_out")]
    for node in cases:
        with pytest.raises(ValueError, match=f"projection '{node.name}'.*(event|dense)"):
            PROCEDURAL.build(node, None, None, None, "float32", seed=0, index=0)


def coba(kernel="procedural"):
    from tests.conftest import load_example
    example = load_example("coba")
    pipeline = f"resolve,canonicalize,integrate,delays,kernels{{default={kernel}}},schedule"
    return example, pipeline


def test_coba_stores_no_synapses_and_a_new_seed_does_not_recompile():
    example, pipeline = coba()
    sim = nf.compile(example["model"], dt=0.1 * ms, pipeline=pipeline)
    assert {p.kernel for p in sim.model.find(ir.Projection)} == {"procedural"}
    _, _, conn = sim.program.initial(0)
    stored = sum(a.nbytes for a in jax.tree_util.tree_leaves(conn))
    # per projection: a gap table (a uint64 per post neuron), its guide (< 2 int32 per post neuron),
    # a key, a weight
    assert stored <= 2 * (8 * 4000 + 4 * 2 * 4000 + 16)
    first, second = sim.run(20 * ms, seed=0), sim.run(20 * ms, seed=1)
    assert sim.trace_count == 1
    assert not np.array_equal(first.spikes("P")[1], second.spikes("P")[1])


def test_native_and_jax_paths_give_the_same_spikes_on_coba():
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    example, pipeline = coba()
    native = nf.compile(example["model"], dt=0.1 * ms, dtype="float64",
                        pipeline=pipeline).run(100 * ms, seed=2)
    pure = nf.compile(example["model"], dt=0.1 * ms, dtype="float64", pipeline=pipeline,
                      native=False).run(100 * ms, seed=2)
    for a, b in zip(native.spikes("P"), pure.spikes("P")):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 3])
def test_coba_with_procedural_connectivity_fires_at_the_usual_rates(seed):
    example, pipeline = coba()
    results = nf.compile(example["model"], dt=0.1 * ms, pipeline=pipeline).run(1000 * ms, seed=seed)
    assert 18 <= results.rate(example["exc"]) <= 24
    assert 18 <= results.rate(example["inh"]) <= 24


def test_a_parameter_sweep_runs_the_procedural_kernel_once_per_member():
    from neuroflow.units import mV
    net = nf.Network("recurrent")
    P = net.population("P", 500, equations="dv/dt = (I - v)/(10*ms) : volt", threshold="v > 10*mV",
                       reset="v = 0*mV", params={"I": 12 * mV},
                       init={"v": nf.uniform(0 * mV, 10 * mV)})
    net.projection(P, P, on_pre="v += 0.5*mV", connect=nf.fixed_fan_out(20), kernel="procedural",
                   name="rec")
    net.monitor_spikes(P)
    sim = nf.compile(net.build(), dt=0.1 * ms)
    swept = sim.sweep(50 * ms, {"P.I": [12 * mV, 15 * mV]}, seed=4)
    for current, result in zip([12 * mV, 15 * mV], swept):
        alone = sim.run(50 * ms, seed=4, params={"P.I": current})
        for a, b in zip(result.spikes("P"), alone.spikes("P")):
            np.testing.assert_array_equal(a, b)


def test_native_in_place_adds_follow_views_and_signs_as_the_jax_path_does():
    """Projections between views that start inside their populations, with `+=` and `-=`, for
    both rules: the native kernels add into the variable in place (at the views' offsets), the
    JAX path sums and then adds; the traces agree to rounding and the spikes exactly."""
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    from neuroflow.units import mV
    net = nf.Network("views")
    lif = dict(equations="dv/dt = (I - v + g) / (10*ms) : volt\n dg/dt = -g / (5*ms) : volt",
               threshold="v > 10*mV", reset="v = 0*mV")
    a = net.population("A", 700, params={"I": 12 * mV}, init={"v": nf.uniform(0 * mV, 10 * mV)},
                       **lif)
    b = net.population("B", 500, params={"I": 9 * mV}, init={"v": nf.uniform(0 * mV, 10 * mV)},
                       **lif)
    net.projection(a[100:650], b[50:420], on_pre="g += 2*mV", connect=nf.fixed_prob(0.05),
                   kernel="procedural", name="prob_up")
    net.projection(a[:300], b[200:], on_pre="g -= 1*mV", connect=nf.fixed_fan_out(12),
                   kernel="procedural", name="fan_out_down")
    net.projection(b[10:], a[5:600], on_pre="g -= 0.5*mV", connect=nf.fixed_prob(0.1),
                   kernel="procedural", name="prob_back")
    net.monitor_spikes(a)
    net.monitor_spikes(b)
    net.monitor(b, "g", indices=[0, 60, 250, 499])
    model = net.build()
    native, pure = (nf.compile(model, dt=0.1 * ms, dtype="float64", native=flag)
                    .run(100 * ms, seed=5) for flag in (True, False))
    for pop in ("A", "B"):
        assert len(native.spikes(pop)[0]) > 100
        for x, y in zip(native.spikes(pop), pure.spikes(pop)):
            np.testing.assert_array_equal(x, y)
    traced, expected = native.trace("B", "g")[1], pure.trace("B", "g")[1]
    np.testing.assert_allclose(traced, expected, rtol=1e-12, atol=1e-12)
    # B[0] is outside both views onto B: nothing reaches it; the others receive
    assert np.all(traced[:, 0] == 0) and min(np.ptp(traced[:, k]) for k in (1, 2, 3)) > 0
