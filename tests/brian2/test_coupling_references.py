"""Summed variables against Brian2 2.11 (`coupling_reference.npz`, written by
`brian2_reference.py`): a chaotic rate network with dense tanh coupling, and Brian2's
gap-junction example.  Both sides run in float64 from the same weights and initial values."""
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import neuroflow as nf
from neuroflow.units import ms
from tests.stdp_replay import replay_stdp

REFERENCE = np.load(Path(__file__).with_name("coupling_reference.npz"))
KERNELS = ["dense", "csr", "ell"]


def rate_rnn(kernel: str, pipeline: str | None = None):
    n = int(REFERENCE["rate_rnn_N"])
    net = nf.Network("rate_rnn")
    G = net.population("G", n, "dx/dt = (-x + I_rec)/tau : 1\nI_rec : 1", method="euler",
                       params=dict(tau=float(REFERENCE["rate_rnn_tau_ms"]) * ms),
                       init=dict(x=REFERENCE["rate_rnn_x0"]))
    net.projection(G, G, model="w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)",
                   weights=REFERENCE["rate_rnn_W"], kernel=kernel)
    net.monitor(G, "x", indices=range(20))
    net.monitor(G, "I_rec", indices=range(20))
    options = {} if pipeline is None else {"pipeline": pipeline}
    sim = nf.compile(net.build(), dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64", **options)
    return sim, sim.run(float(REFERENCE["rate_rnn_duration_ms"]) * ms)


@pytest.mark.parametrize("kernel", KERNELS)
def test_rate_network_follows_brian2_for_50_ms(kernel):
    sim, results = rate_rnn(kernel)
    assert f"kernel={kernel}" in sim.ir and "terms=[{1.0} w {tanh(x_pre)}]" in sim.ir
    t, x = results.trace("G", "x")
    np.testing.assert_allclose(t, REFERENCE["rate_rnn_t"], atol=1e-9)
    # float64 on both sides: the trajectories agree to rounding, although the network is chaotic
    assert np.abs(x[:, :4] - REFERENCE["rate_rnn_x64"]).max() <= 1e-9
    assert np.abs(x - REFERENCE["rate_rnn_x"]).max() <= 1e-6  # the float32 copy of 20 neurons
    _, summed = results.trace("G", "I_rec")  # recorded before the step sums: one step behind
    assert np.abs(summed - REFERENCE["rate_rnn_I_rec"]).max() <= 1e-6
    assert np.abs(x).max() > 0.5  # the reference is not a decay to rest


def test_rate_network_ends_where_brian2_ends():
    _, results = rate_rnn("dense")
    x = np.asarray(results.final.state["pops"]["G"]["x"])
    assert np.abs(x - REFERENCE["rate_rnn_x_end"]).max() <= 1e-9


def test_summand_evaluated_per_synapse_agrees_with_brian2():
    """Without the factorize pass the summand runs once per synapse: same numbers."""
    sim, results = rate_rnn("csr", "resolve,canonicalize,integrate,kernels,schedule")
    assert "terms=" not in sim.ir
    _, x = results.trace("G", "x")
    assert np.abs(x[:, :4] - REFERENCE["rate_rnn_x64"]).max() <= 1e-9


def gap_junctions(kernel: str):
    n = int(REFERENCE["gap_N"])
    net = nf.Network("gap_junctions")
    neurons = net.population("neurons", n, "dv/dt = (v0 - v + Igap)/tau : 1\nv0 : 1 (constant)\n"
                             "Igap : 1", threshold="v > 1", reset="v = 0", method="exact",
                             params=dict(v0=REFERENCE["gap_v0"],
                                         tau=float(REFERENCE["gap_tau_ms"]) * ms),
                             init=dict(v=REFERENCE["gap_v_init"]))
    net.projection(neurons, neurons, model="w : 1\nIgap_post = w*(v_pre - v_post) : 1 (summed)",
                   weights=float(REFERENCE["gap_w"]), kernel=kernel)
    net.monitor_spikes(neurons)
    net.monitor(neurons, "v", indices=REFERENCE["gap_v_neurons"])
    sim = nf.compile(net.build(), dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64")
    return sim, sim.run(float(REFERENCE["gap_duration_ms"]) * ms)


@pytest.mark.parametrize("kernel", KERNELS)
def test_gap_junctions_give_brian2s_spikes(kernel):
    sim, results = gap_junctions(kernel)
    # Σ w (v_pre - v_post) = Σ w v_pre - v_post Σ w: one product, no per-synapse work
    assert "terms=[{1.0} w {v_pre}, {-v_post} w {1.0}]" in sim.ir
    np.testing.assert_array_equal(results.spike_counts("neurons"), REFERENCE["gap_counts"])
    t, i = results.spikes("neurons")
    order = np.lexsort((i, t))
    ref = np.lexsort((REFERENCE["gap_spike_i"], REFERENCE["gap_spike_t"]))
    np.testing.assert_array_equal(i[order], REFERENCE["gap_spike_i"][ref])
    np.testing.assert_allclose(t[order], REFERENCE["gap_spike_t"][ref], atol=1e-6)
    _, v = results.trace("neurons", "v")
    assert np.abs(v - REFERENCE["gap_v"]).max() <= 1e-6


def test_poisson_input_gives_brian2s_mean_rate():
    """LIF neurons driven only by PoissonInput: the mean rate over seeds lies within Brian2's
    spread across its seeds (plus the standard error of our own mean)."""
    from neuroflow.units import Hz, mV, second  # noqa: F401 (units of the values below)
    r = {k: float(REFERENCE[f"poisson_{k}"]) for k in ("N", "sources", "rate_hz", "weight_mV",
                                                         "tau_ms", "theta_mV", "reset_mV",
                                                         "refractory_ms", "duration_ms")}
    net = nf.Network("poisson")
    G = net.population("G", int(r["N"]), "dv/dt = -v/tau : volt (unless refractory)",
                       threshold="v > theta", reset="v = v_reset", method="exact",
                       refractory=r["refractory_ms"] * ms,
                       params=dict(tau=r["tau_ms"] * ms, theta=r["theta_mV"] * mV,
                                   v_reset=r["reset_mV"] * mV))
    net.poisson_input(G, "v", N=int(r["sources"]), rate=r["rate_hz"] * Hz,
                      weight=r["weight_mV"] * mV)
    net.monitor_spikes(G)
    sim = nf.compile(net.build(), dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64")
    ours = [sim.run(r["duration_ms"] * ms, seed=s).spike_counts("G").mean()
            / (r["duration_ms"] / 1000) for s in range(5)]
    theirs = REFERENCE["poisson_rates_hz"]
    spread = np.ptp(theirs) + np.std(ours) + 3 * np.std(theirs) / np.sqrt(len(theirs))
    assert abs(np.mean(ours) - theirs.mean()) <= spread


def test_clock_driven_nmda_gating_follows_brian2():
    """Saturating NMDA-style gating per synapse (clock-driven s and x, x += 1 on each pre spike)
    summed into the post neurons: the same on every synapse of a pre neuron, so the compiler
    keeps one copy per pre neuron (variables of the pre population, in the printed IR)."""
    from neuroflow.units import second  # noqa: F401
    periods = REFERENCE["nmda_periods_ms"]
    net = nf.Network("nmda")
    pre = net.population("pre", len(periods), "dv/dt = 1/period : 1\nperiod : second (constant)",
                         threshold="v > 1", reset="v = 0", method="euler",
                         params=dict(period=periods * ms))
    post = net.population("post", REFERENCE["nmda_W"].shape[1], "g : 1")
    net.projection(pre, post, model=str(REFERENCE["nmda_model"]), on_pre="x += 1",
                   weights=REFERENCE["nmda_W"], name="nmda",
                   params=dict(tau_decay=float(REFERENCE["nmda_tau_decay_ms"]) * ms,
                               tau_rise=float(REFERENCE["nmda_tau_rise_ms"]) * ms,
                               alpha=float(REFERENCE["nmda_alpha_per_ms"]) / ms))
    net.monitor(post, "g", indices=range(REFERENCE["nmda_g"].shape[1]))
    sim = nf.compile(net.build(), dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64")
    assert "state pre.nmda_s : float[20]<1>" in sim.ir and "nmda_x += 1.0" in sim.ir
    assert "summed g = {w*nmda_s_pre}" in sim.ir
    t, g = sim.run(float(REFERENCE["nmda_duration_ms"]) * ms).trace("post", "g")
    assert g.max() > 1.0  # the gating is driven well beyond its first spikes
    assert np.abs(g - REFERENCE["nmda_g"]).max() <= 1e-9


def histogram_z(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Per bin, the difference of the mean counts over the seeds in standard errors.  The counts
    vary across seeds far more than Poisson (Brian2's first bin: sd 150 about 875, as the 10
    neurons' rates vary), so the variance is the seeds' pooled one, never below the Poisson
    variance of the reference's mean count."""
    n_ours, n_theirs = len(ours), len(theirs)
    pooled = (((n_ours - 1) * ours.var(axis=0, ddof=1)
               + (n_theirs - 1) * theirs.var(axis=0, ddof=1)) / (n_ours + n_theirs - 2))
    variance = np.maximum(pooled, theirs.mean(axis=0))
    return (ours.mean(axis=0) - theirs.mean(axis=0)) / np.sqrt(variance
                                                               * (1 / n_ours + 1 / n_theirs))


def test_stdp_with_a_delay_gives_brian2s_weight_distribution():
    """Brian2's STDP example with a 2 ms delay on the pre pathway (on_pre runs on arrival): the
    histogram of the final weights, bin by bin and as a whole, and their mean agree with Brian2's
    within the spread of the seeds; the uniform histogram of no plasticity does not."""
    from neuroflow.units import Hz, mV  # noqa: F401
    wmax, bins = float(REFERENCE["stdp_wmax"]), REFERENCE["stdp_histograms"].shape[1]
    net = nf.Network("stdp")
    inputs = net.poisson_group("In", 1000, rate=float(REFERENCE["stdp_rate_hz"]) * Hz)
    neurons = net.population("P", 10, "dv/dt = (ge*(Ee - v) + El - v)/taum : volt\n"
                             "dge/dt = -ge/taue : 1", threshold="v > vt", reset="v = vr",
                             method="euler", init=dict(v=-60 * mV),
                             params=dict(taum=10 * ms, taue=5 * ms, Ee=0 * mV, El=-74 * mV,
                                         vt=-54 * mV, vr=-60 * mV))
    net.projection(inputs, neurons, "ge += w\napre += Apre\nw = clip(w + apost, 0, wmax)",
                   model="w : 1\ndapre/dt = -apre/taupre : 1 (event-driven)\n"
                   "dapost/dt = -apost/taupost : 1 (event-driven)",
                   on_post="apost += Apost\nw = clip(w + apre, 0, wmax)",
                   params=dict(taupre=20 * ms, taupost=20 * ms, wmax=wmax, Apre=0.05 * wmax,
                               Apost=-0.05 * wmax * 1.05),
                   init=dict(w=nf.uniform(0, wmax)), delay=float(REFERENCE["stdp_delay_ms"]) * ms,
                   name="stdp")
    sim = nf.compile(net.build(), dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64")
    ours, our_means = [], []
    for seed in range(4):
        w = sim.run(float(REFERENCE["stdp_duration_ms"]) * ms, seed=seed).final.synapses("stdp")
        ours.append(np.histogram(w["w"], bins=bins, range=(0, wmax))[0])
        our_means.append(w["w"].mean())
    ours, theirs = np.array(ours), REFERENCE["stdp_histograms"]
    z = histogram_z(ours, theirs)
    assert np.all(np.abs(z) <= 4), (z, ours, theirs)
    # as a whole: sum z^2 is about chi^2 with bins - 1 degrees of freedom (the counts sum to the
    # synapses); 27.9 is its 1e-3 quantile.  Ours give 2.4; uniform draws 35 to 54, and our
    # run with Apre = Apost = 0 gives 44.
    limit = stats.chi2.isf(1e-3, bins - 1)
    assert np.sum(z**2) <= limit
    flat = np.random.default_rng(0).multinomial(ours[0].sum(), np.full(bins, 1 / bins), size=4)
    assert np.sum(histogram_z(flat, theirs)**2) > limit  # no plasticity would fail
    theirs_mean = REFERENCE["stdp_mean_w"]
    standard_error = np.sqrt(np.var(theirs_mean, ddof=1) / len(theirs_mean)
                             + np.var(our_means, ddof=1) / len(our_means))
    assert abs(np.mean(our_means) - theirs_mean.mean()) <= 4 * standard_error
    # the histogram is far from the uniform start at the edges, where STDP pushes the weights
    assert theirs[:, -1].mean() > 1.1 * theirs[:, 1:-1].mean()
    assert ours[:, -1].mean() > 1.1 * ours[:, 1:-1].mean()


def regular_neurons(net):
    """As in the reference: 5 pre neurons firing every 7 + 3i ms, 3 post neurons every
    11 + 4j ms, whatever their input."""
    clock_like = "dv/dt = 1/period : 1\nperiod : second (constant)\nge : 1"
    return [net.population(name, n, clock_like, threshold="v > 1", reset="v = 0",
                           method="euler", params=dict(period=(first + step * np.arange(n)) * ms))
            for name, n, first, step in (("pre", 5, 7.0, 3.0), ("post", 3, 11.0, 4.0))]


@pytest.mark.parametrize("delay", [2.0, 0.0])
def test_delayed_stdp_between_regular_neurons_gives_brian2s_weights(delay):
    """Deterministic: pre and post neurons fire regularly whatever their input, so the final
    weights equal a numpy replay of the rule over the recorded spikes, and with the delay
    Brian2's to rounding (which the undelayed rule must not give)."""
    wmax, dt = float(REFERENCE["stdp_wmax"]), float(REFERENCE["dt_ms"])
    rule = dict(taupre=20.0, taupost=20.0, wmax=wmax, Apre=0.05 * wmax, Apost=-0.05 * wmax * 1.05)
    net = nf.Network("regular")
    pre, post = regular_neurons(net)
    net.projection(pre, post, "ge += w\napre += Apre\nw = clip(w + apost, 0, wmax)",
                   model="w : 1\ndapre/dt = -apre/taupre : 1 (event-driven)\n"
                   "dapost/dt = -apost/taupost : 1 (event-driven)",
                   on_post="apost += Apost\nw = clip(w + apre, 0, wmax)", name="stdp",
                   params=rule | dict(taupre=20 * ms, taupost=20 * ms),
                   init=dict(w=0.5 * wmax), delay=delay * ms)
    net.monitor_spikes(pre)
    net.monitor_spikes(post)
    sim = nf.compile(net.build(), dt=dt * ms, dtype="float64")
    results = sim.run(200 * ms)
    w = results.final.synapses("stdp")["w"].reshape(5, 3)  # all-to-all: pre-major
    steps = int(round(200 / dt))
    rasters = []
    for name, n in (("pre", 5), ("post", 3)):
        t, i = results.spikes(name)
        raster = np.zeros((steps, n), bool)
        raster[np.round(t / dt).astype(int), i] = True
        rasters.append(raster)
    assert rasters[0].sum() >= 50 and rasters[1].sum() >= 30
    pairs = np.indices((5, 3)).reshape(2, -1)
    replayed = replay_stdp(*rasters, *pairs, 0.5 * wmax, dt=dt,
                           delay_steps=int(round(delay / dt)), **rule).reshape(5, 3)
    assert np.ptp(replayed) > 0.05 * wmax  # the rule moved the weights apart
    assert np.abs(w - replayed).max() <= 1e-12
    difference = np.abs(w - REFERENCE["stdp_regular_w"]).max()
    assert difference <= 1e-12 if delay else difference > 1e-3 * wmax


def test_synapse_statements_that_read_the_neurons_give_brian2s_weights():
    """on_pre reads v_post and adds to ge_post, on_post reads v_pre; neurons fire regularly."""
    net = nf.Network("voltage")
    pre, post = regular_neurons(net)
    net.projection(pre, post, str(REFERENCE["voltage_on_pre"]), model="w : 1",
                   on_post=str(REFERENCE["voltage_on_post"]), init=dict(w=0.5), name="plastic")
    net.monitor(post, "ge")
    sim = nf.compile(net.build(), dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64")
    assert "on_pre w = clip(w + 0.1*(v_post - 0.5), 0.0, 1.0)" in sim.ir
    results = sim.run(100 * ms)
    w = results.final.synapses("plastic")["w"].reshape(5, 3)
    assert np.abs(w - REFERENCE["voltage_w"]).max() <= 1e-12
    assert np.abs(results.trace("post", "ge")[1] - REFERENCE["voltage_ge"]).max() <= 1e-12
    assert np.ptp(w) > 0.1  # the rule moved the weights apart


VOLTAGE_FILE = """
neuron Clock {
    parameters { period = 10*ms }
    equations {
        dv/dt = 1/period : 1
        ge : 1
    }
    threshold: v > 1
    reset: v = 0
    method: euler
}
synapse Voltage {
    equations { w : 1 }
    on_pre {
        ge_post += w
        w = clip(w + 0.1*(v_post - 0.5), 0, 1)
    }
    on_post { w = clip(w - 0.05*v_pre, 0, 1) }
}
network voltage {
    population pre[5] = Clock(period = [7, 10, 13, 16, 19]*ms)
    population post[3] = Clock(period = [11, 15, 19]*ms)
    projection plastic: pre -> post {
        synapse: Voltage()
        initial { w = 0.5 }
    }
}
"""


def test_synapse_statements_that_read_the_neurons_in_a_model_file():
    """The same rule written in the .nfl language (`v_post`, `v_pre`, `ge_post += w`)."""
    model = nf.load_text(VOLTAGE_FILE).model
    sim = nf.compile(model, dt=float(REFERENCE["dt_ms"]) * ms, dtype="float64")
    w = sim.run(100 * ms).final.synapses("plastic")["w"].reshape(5, 3)
    assert np.abs(w - REFERENCE["voltage_w"]).max() <= 1e-12
