"""Poisson input (Brian2's PoissonInput) and Poisson groups against closed forms: shot noise on a
leaky variable has the stationary mean and variance of a binomial count filtered by the decay."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.units import Hz, kHz, mV, ms, second

DT, TAU, N, RATE, WEIGHT = 0.1, 10.0, 1000, 10.0, 0.1  # ms, ms, sources, Hz, mV


def shot_noise(seed: int = 0, **overrides):
    net = nf.Network("shot")
    # nu (per neuron) and half (shared): rates that are parameters, for `rate="nu"`; J, a
    # weight for `weight="J"` (declared: the other tests leave it unused)
    P = net.population("P", 200, "dv/dt = -v/tau : volt\nnu : Hz (constant)\n"
                       "half : Hz (constant, shared)\nJ : volt (constant, shared)",
                       init=dict(v=0 * mV), method="exact",
                       params=dict(tau=TAU * ms, J=WEIGHT * mV, nu=np.full(200, RATE) * Hz,
                                   half=RATE / 2 * Hz))
    kwargs = dict(N=N, rate=RATE * Hz, weight=WEIGHT * mV) | overrides
    net.poisson_input(P, "v", **kwargs)
    net.monitor(P, "v", indices=range(200), every=10)
    sim = nf.compile(net.build(), dt=DT * ms, dtype="float64")
    return sim, sim.run(300 * ms, seed=seed).trace("P", "v")[1][100:]  # after 10 tau


def test_stationary_mean_and_variance_of_shot_noise():
    """Each step adds w times a Binomial(N, p) count, p = rate*dt, and v decays by a = exp(-dt/tau):
    mean N p w / (1 - a), variance N p (1 - p) w² / (1 - a²)."""
    _, v = shot_noise()
    p, a = RATE * 1e-3 * DT, np.exp(-DT / TAU)
    mean, var = N * p * WEIGHT / (1 - a), N * p * (1 - p) * WEIGHT**2 / (1 - a**2)
    assert v.mean() == pytest.approx(mean, rel=0.01)
    assert v.var() == pytest.approx(var, rel=0.05)


def test_weight_and_rate_may_be_expressions_of_the_population():
    sim, v = shot_noise(weight="J", rate="5*Hz + 5*Hz")
    assert "weight={J}" in sim.ir
    p, a = RATE * 1e-3 * DT, np.exp(-DT / TAU)
    assert v.mean() == pytest.approx(N * p * WEIGHT / (1 - a), rel=0.01)


def test_seeds_give_different_and_reproducible_draws():
    first, again, other = (shot_noise(seed)[1] for seed in (1, 1, 2))
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 0.1


def test_poisson_input_prints_and_reads_back():
    sim, _ = shot_noise()
    line = next(line for line in sim.ir.splitlines() if line.startswith("poisson"))
    assert line == "poisson P_v_poisson_0 : P.v n=1000 rate={0.01<1/ms>} weight={0.1<mV>}"
    assert ir.print(ir.parse_text(sim.ir)) == sim.ir


@pytest.mark.parametrize("kwargs, message", [
    (dict(rate=10 * mV), "rate of the Poisson input is in"),
    (dict(weight=0.1 * ms), "assigns a value in"),
    (dict(N=0), "N >= 1"),
    (dict(rate=-5 * Hz), "must lie in \\[0, 1/dt\\]"),
    (dict(rate=50000 * Hz), "must lie in \\[0, 1/dt\\]"),
])
def test_mistakes_are_model_errors(kwargs, message):
    with pytest.raises(nf.ModelError, match=message):
        shot_noise(**kwargs)


def test_poisson_group_fires_at_its_rate():
    net = nf.Network("group")
    net.poisson_group("In", 2000, rate=np.where(np.arange(2000) < 1000, 5.0, 20.0) * Hz)
    net.monitor_spikes("In")
    counts = nf.compile(net.build(), dt=DT * ms).run(1 * second).spike_counts("In")
    assert counts[:1000].mean() == pytest.approx(5.0, rel=0.05)
    assert counts[1000:].mean() == pytest.approx(20.0, rel=0.05)


@pytest.mark.parametrize("rate, printed", [("nu", "rate={nu}"), ("2*half", "rate={2.0*half}")])
def test_rates_of_parameters_have_the_same_statistics(rate, printed):
    """A rate per neuron draws with JAX's binomial sampler; one shared rate of parameters builds
    its table in the step: both give the closed forms of the constant rate."""
    sim, v = shot_noise(rate=rate)
    assert printed in sim.ir
    p, a = RATE * 1e-3 * DT, np.exp(-DT / TAU)
    assert v.mean() == pytest.approx(N * p * WEIGHT / (1 - a), rel=0.01)
    assert v.var() == pytest.approx(N * p * (1 - p) * WEIGHT**2 / (1 - a**2), rel=0.05)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rate", [4 * kHz, "2*half"], ids=["constant", "parameters"])
def test_native_counts_are_the_pure_jax_counts_bit_for_bit(dtype, rate):
    """The native kernel (`native/poisson.cc`) draws each neuron's number with the same hash and
    inverts the same table: the same counts, so the same trace to the last bit.  40 sources
    at 4 kHz (a chance of 0.4 a step): tables of up to 41 entries, compared whole."""
    import jax

    from neuroflow.backend.jax import _native

    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    net = nf.Network("counts")
    P = net.population("P", 300, "v : volt\nhalf : Hz (constant, shared)",
                       params=dict(half=2 * kHz))
    net.poisson_input(P, "v", N=40, rate=rate, weight=1 * mV)  # v sums the counts, in mV
    net.monitor(P, "v")
    traces = []
    for native in (True, False):
        sim = nf.compile(net.build(), dt=DT * ms, dtype=dtype, native=native)
        state, params, conn = sim.program.initial(0)
        step = jax.make_jaxpr(sim.program.step)(state, params, conn,
                                                sim.program.prepare(params))
        assert ("NeuroflowPoissonCount" in str(step)) == native
        traces.append(sim.run(2 * ms, seed=3).trace("P", "v")[1])
    np.testing.assert_array_equal(traces[0], traces[1])
    counts = np.diff(np.concatenate([np.zeros((1, 300)), traces[0]]), axis=0)  # per step
    assert counts.max() >= 3 and counts.min() == 0  # a spread of counts, not one value
    assert np.abs(counts - np.round(counts)).max() < 1e-3
