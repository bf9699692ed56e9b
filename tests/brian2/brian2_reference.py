"""Brian2 2.11 reference runs for summed variables (continuous synaptic coupling): the data
for neuroflow's tests of the feature.  Runs in the venv that `python benchmarks/compare.py
--only-setup` makes (`~/.cache/neuroflow-bench/brian2-py3.13`, Python 3.13, brian2 2.11.0):

    ~/.cache/neuroflow-bench/brian2-py3.13/bin/python tests/brian2/brian2_reference.py

and writes `tests/brian2/coupling_reference.npz` next to itself (a path given as the first
argument writes there instead).  Brian2's runtime `numpy` target (no compiler), float64,
`defaultclock.dt = 0.1 ms`.  Every input of a case (weights, initial values, parameters) is in
the file, so the other side never regenerates random numbers.  Two runs give identical files.

Case "rate_rnn": a random rate network in the chaotic regime of Sompolinsky, Crisanti & Sommers
(1988), g > 1: N = 100, g = 1.5, tau = 10 ms, 50 ms with method 'euler':

    dx/dt = (-x + I_rec)/tau : 1
    I_rec : 1
    Synapses(G, G, model='w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)'), S.connect()

`rng = np.random.default_rng(1)`, `W = g * rng.standard_normal((N, N)) / sqrt(N)` (W[pre, post]),
then `x0 = rng.uniform(-1, 1, N)`.  `S.connect()` makes all N*N pairs, self-connections
included (W's diagonal is used), ordered pre-major (synapse k is k // N -> k % N);
`S.w = W[S.i[:], S.j[:]]` puts W[i, j] on the synapse i -> j (checked below).  Over the 50 ms
x stays O(1) and grows (mean |x| of neurons 0..19 0.21 in the first 10 ms, 0.28 in the last;
the zero state is unstable, W's spectral radius is 1.65).  This finite realisation is not
chaotic for ever, though: run on longer (a numpy replica of the same Euler step), it settles
into a nonzero fixed point after about 1 s.

Case "gap_junctions": Brian2's own example `examples/synapses/gapjunctions.py`
(github.com/brian-team/brian2): 10 neurons, tau = 10 ms, threshold 'v > 1', reset 'v = 0',
method 'linear' (= 'exact'), 500 ms:

    dv/dt = (v0 - v + Igap)/tau : 1
    Igap_post = w*(v_pre - v_post) : 1 (summed)     S.connect(), S.w = .02

The example has `v0 = 1.05` as a constant for every neuron and starts `v = i/(n - 1)`, i.e.
linspace(0, 1, 10); here `v0 : 1` is a parameter of the group set to 1.05 everywhere (the run
checks that this gives the same spikes as the example's constant, and v within 1e-12: Brian2
generates slightly different code for the two, and v differs by about 3e-15).  With
S.connect() the self-synapses i -> i exist but add w*(v_i - v_i) = 0.

When Brian2 updates a summed variable (brian2/synapses/synapses.py, class
SummedVariableUpdater): a CodeRunner of the Synapses object with `when="groups"`,
`order=target.order - 1` (target = the group that owns the summed parameter, order 0 by
default, so -1), on the target's clock; "We want to update the summed variable before the
target group gets updated".  Its numpy template (summed_variable.py_) overwrites the whole
target array with `bincount(post index, weights=expression)`: targets with no synapse get 0,
nothing accumulates from one step to the next.  Default schedule: start, groups, thresholds,
synapses, resets, end; within a slot by order, then by name.  One time step is therefore

    'start'  order 0   StateMonitor records (state at the start of the step)
    'groups' order -1  summed-variable update, from the state at the start of the step
    'groups' order 0   the NeuronGroup's state update, using the new I_rec / Igap
    'thresholds', 'resets'   (gap_junctions only: spike, then v = 0)

so the recorded I_rec[k] is the sum computed in step k - 1 (I_rec[0] is the initial 0), and
x[k + 1] = x[k] + dt*(-x[k] + I_rec[k + 1])/tau with I_rec[k + 1] = W.T @ tanh(x[k]); the run
checks both on all 100 neurons.  The schedule Brian2 prints is stored as `*_schedule`.

Keys (times in ms; `steps` = duration/dt; metadata are 0-d arrays).  The recorded traces
(rate_rnn_x, rate_rnn_I_rec, gap_v) are stored as float32, rounded from Brian2's float64 (random
float64 data does not compress, and they would take the file over 300 KB); everything else is
float64 as Brian2 computed it, inputs bit for bit.  Times are Brian2's own `t/ms`, within 1e-13
of k*dt.

    brian2_version (str), dt_ms
    rate_rnn_N, rate_rnn_g, rate_rnn_tau_ms, rate_rnn_duration_ms, rate_rnn_seed
    rate_rnn_W (N, N) float64, W[pre, post]       rate_rnn_x0 (N,)
    rate_rnn_t (500,)   rate_rnn_x, rate_rnn_I_rec (500, 20) float32: neurons 0..19, 'start' slot
    rate_rnn_x64 (500, 4) float64: x of neurons 0..3, as Brian2 computed it, 'start' slot
    rate_rnn_x_end (N,) float64: x of all neurons after the run (after the last step)
    rate_rnn_schedule (str rows)
    gap_N, gap_tau_ms, gap_w, gap_duration_ms, gap_threshold, gap_reset (str)
    gap_v0 (N,), gap_v_init (N,), gap_counts (N,) int, gap_spike_t (123,) ms, gap_spike_i (123,)
    gap_t (5000,), gap_v (5000, 2) float32: v of neurons 0 and 5, 'start' slot;
    gap_v_neurons = [0, 5]
    gap_schedule (str rows)
    nmda_g (2000, 3) float64: the summed g of post neurons 0..2, 'start' slot; nmda_W (20, 5),
    nmda_periods_ms (20,), nmda_tau_decay_ms, nmda_tau_rise_ms, nmda_alpha_per_ms, nmda_model
    stdp_histograms (4, 10): final weights in 10 bins over [0, wmax], one row per seed, of STDP
    with a 2 ms delay on the pre pathway; stdp_mean_w (4,), stdp_wmax, stdp_delay_ms
    stdp_regular_w (5, 3): final weights [pre, post] of the same rule and delay between regularly
    firing neurons (deterministic), all starting at wmax/2
    voltage_w (5, 3), voltage_ge (1000, 3) float64: final weights and the post neurons' ge of
    synapse statements that read v_post and v_pre (voltage_on_pre, voltage_on_post)
    poisson_rates_hz (5,): mean rate of 100 LIF neurons driven by PoissonInput alone, one per
    seed; poisson_* the parameters (N, sources, rate_hz, weight_mV, tau_ms, theta_mV, reset_mV,
    refractory_ms, duration_ms)
"""
import sys
from pathlib import Path

import brian2
import numpy as np
from brian2 import (Hz, Network, NeuronGroup, PoissonGroup, PoissonInput, SpikeMonitor,
                    StateMonitor, Synapses, defaultclock, ms, mV, prefs, seed, start_scope)

prefs.codegen.target = "numpy"
prefs.core.default_float_dtype = np.float64

DT = 0.1  # ms
OUT = Path(__file__).resolve().parent / "coupling_reference.npz"

RNN_N, RNN_G, RNN_TAU, RNN_DURATION, RNN_SEED, RNN_SAVED = 100, 1.5, 10.0, 50.0, 1, 20
GAP_N, GAP_V0, GAP_TAU, GAP_W, GAP_DURATION = 10, 1.05, 10.0, 0.02, 500.0
GAP_THRESHOLD, GAP_RESET, GAP_RECORD = "v > 1", "v = 0", [0, 5]


def schedule(net: Network) -> np.ndarray:
    rows = [f"{e.when} {e.order} {e.name} ({e.type})" for e in net.scheduling_summary().entries]
    return np.array(rows)


def trace32(trace: np.ndarray) -> np.ndarray:
    """A recorded trace, [steps, neurons], rounded to float32 for size (relative error < 6e-8;
    float64 traces would not compress and take the file over 300 KB)."""
    return np.ascontiguousarray(trace, dtype=np.float32)


def rate_rnn() -> dict:
    start_scope()
    seed(RNN_SEED)
    defaultclock.dt = DT * ms
    n, tau = RNN_N, RNN_TAU * ms
    rng = np.random.default_rng(RNN_SEED)
    W = RNN_G * rng.standard_normal((n, n)) / np.sqrt(n)
    x0 = rng.uniform(-1, 1, n)

    G = NeuronGroup(n, "dx/dt = (-x + I_rec)/tau : 1\nI_rec : 1", method="euler",
                    namespace={"tau": tau})
    G.x = x0
    S = Synapses(G, G, model="w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)")
    S.connect()
    S.w = W[S.i[:], S.j[:]]
    pre, post, weights = np.asarray(S.i[:]), np.asarray(S.j[:]), np.asarray(S.w[:])
    assert len(pre) == n * n and np.sum(pre == post) == n, "all pairs, i -> i included"
    assert np.array_equal(pre, np.repeat(np.arange(n), n)), "pre-major ordering"
    assert np.array_equal(post, np.tile(np.arange(n), n))
    dense = np.zeros((n, n))
    dense[pre, post] = weights
    assert np.array_equal(dense, W), "S.w[k] == W[S.i[k], S.j[k]]"
    assert float(S.w[3, 7][0]) == W[3, 7] and float(S.w[7, 3][0]) == W[7, 3]

    M = StateMonitor(G, ["x", "I_rec"], record=True)
    net = Network(G, S, M)
    net.run(RNN_DURATION * ms)
    x, I_rec, t = M.x[:].T, M.I_rec[:].T, M.t / ms  # [steps, N]
    x_end = np.asarray(G.x[:])
    steps = int(round(RNN_DURATION / DT))
    assert x.shape == (steps, n) and I_rec.shape == (steps, n)
    assert np.array_equal(x[0], x0) and np.all(I_rec[0] == 0)

    # The step as documented: I_rec[k + 1] = W.T tanh(x[k]), then Euler with that I_rec.
    summed = np.tanh(x[:-1]) @ W
    assert np.allclose(I_rec[1:], summed, rtol=0, atol=1e-12), abs(I_rec[1:] - summed).max()
    euler = x[:-1] + DT * (-x[:-1] + I_rec[1:]) / RNN_TAU
    assert np.allclose(x[1:], euler, rtol=0, atol=1e-12), abs(x[1:] - euler).max()
    last = x[-1] + DT * (-x[-1] + np.tanh(x[-1]) @ W) / RNN_TAU
    assert np.allclose(x_end, last, rtol=0, atol=1e-12)

    return {
        "rate_rnn_N": np.array(n), "rate_rnn_g": np.array(RNN_G),
        "rate_rnn_tau_ms": np.array(RNN_TAU), "rate_rnn_duration_ms": np.array(RNN_DURATION),
        "rate_rnn_seed": np.array(RNN_SEED),
        "rate_rnn_W": W, "rate_rnn_x0": x0, "rate_rnn_t": np.asarray(t),
        "rate_rnn_x": trace32(x[:, :RNN_SAVED]), "rate_rnn_I_rec": trace32(I_rec[:, :RNN_SAVED]),
        "rate_rnn_x64": x[:, :4], "rate_rnn_x_end": x_end, "rate_rnn_schedule": schedule(net),
    }


def gap_junctions(v0_parameter: bool = True) -> dict:
    """The example; `v0_parameter=False` keeps its `v0` as a constant, for the check."""
    start_scope()
    seed(1)
    defaultclock.dt = DT * ms
    n = GAP_N
    eqs = "dv/dt = (v0 - v + Igap)/tau : 1\nIgap : 1"
    namespace = {"tau": GAP_TAU * ms, "n": n}
    if v0_parameter:
        eqs += "\nv0 : 1"
    else:
        namespace["v0"] = GAP_V0
    neurons = NeuronGroup(n, eqs, threshold=GAP_THRESHOLD, reset=GAP_RESET, method="linear",
                          namespace=namespace)
    if v0_parameter:
        neurons.v0 = GAP_V0
    neurons.v = "i * 1.0 / (n-1)"
    v_init = np.asarray(neurons.v[:]).copy()
    trace = StateMonitor(neurons, "v", record=GAP_RECORD)
    spikes = SpikeMonitor(neurons)
    S = Synapses(neurons, neurons, "w : 1\nIgap_post = w*(v_pre - v_post) : 1 (summed)")
    S.connect()
    S.w = GAP_W
    net = Network(neurons, trace, spikes, S)
    net.run(GAP_DURATION * ms)
    return {
        "gap_N": np.array(n), "gap_tau_ms": np.array(GAP_TAU), "gap_w": np.array(GAP_W),
        "gap_duration_ms": np.array(GAP_DURATION),
        "gap_threshold": np.array(GAP_THRESHOLD), "gap_reset": np.array(GAP_RESET),
        "gap_v0": np.full(n, GAP_V0), "gap_v_init": v_init,
        "gap_counts": np.asarray(spikes.count[:]).astype(np.int64),
        "gap_spike_t": np.asarray(spikes.t / ms), "gap_spike_i": np.asarray(spikes.i[:], np.int64),
        "gap_t": np.asarray(trace.t / ms), "gap_v": trace32(trace.v[:].T),
        "gap_v_neurons": np.array(GAP_RECORD), "gap_schedule": schedule(net),
        "_gap_v64": np.asarray(trace.v[:].T),  # for the check in main, not saved
    }


POISSON_N, POISSON_SOURCES, POISSON_RATE, POISSON_WEIGHT = 100, 1000, 22.0, 0.1  # Hz, mV
POISSON_TAU, POISSON_THETA, POISSON_RESET, POISSON_REFRACTORY = 10.0, 20.0, 10.0, 2.0  # ms, mV
POISSON_DURATION, POISSON_SEEDS = 1000.0, 5


def poisson_input() -> dict:
    """LIF neurons driven by PoissonInput alone: their mean rate for several seeds (the spread
    across seeds is the tolerance of the comparison)."""
    rates = []
    for k in range(POISSON_SEEDS):
        start_scope()
        seed(100 + k)
        defaultclock.dt = DT * ms
        G = NeuronGroup(POISSON_N, "dv/dt = -v/tau : volt (unless refractory)",
                        threshold="v > theta", reset="v = v_reset",
                        refractory=POISSON_REFRACTORY * ms, method="exact",
                        namespace={"tau": POISSON_TAU * ms, "theta": POISSON_THETA * mV,
                                   "v_reset": POISSON_RESET * mV})
        drive = PoissonInput(G, "v", POISSON_SOURCES, POISSON_RATE * Hz, weight=POISSON_WEIGHT * mV)
        spikes = SpikeMonitor(G)
        net = Network(G, drive, spikes)
        net.run(POISSON_DURATION * ms)
        rates.append(spikes.num_spikes / POISSON_N / (POISSON_DURATION / 1000))
    return {"poisson_rates_hz": np.array(rates), "poisson_N": np.array(POISSON_N),
            "poisson_sources": np.array(POISSON_SOURCES),
            "poisson_rate_hz": np.array(POISSON_RATE),
            "poisson_weight_mV": np.array(POISSON_WEIGHT),
            "poisson_tau_ms": np.array(POISSON_TAU), "poisson_theta_mV": np.array(POISSON_THETA),
            "poisson_reset_mV": np.array(POISSON_RESET),
            "poisson_refractory_ms": np.array(POISSON_REFRACTORY),
            "poisson_duration_ms": np.array(POISSON_DURATION)}


NMDA_PRE, NMDA_POST, NMDA_DURATION, NMDA_RECORD = 20, 5, 200.0, 3
NMDA_TAU_DECAY, NMDA_TAU_RISE, NMDA_ALPHA = 100.0, 2.0, 0.5  # ms, ms, 1/ms
NMDA_MODEL = """w : 1
ds/dt = -s/tau_decay + alpha*x*(1 - s) : 1 (clock-driven)
dx/dt = -x/tau_rise : 1 (clock-driven)
g_post = w*s : 1 (summed)"""


def nmda() -> dict:
    """Clock-driven NMDA-style gating (saturating s driven by a rising x, as in Wang 2002) summed
    into the post neurons; the pre neurons fire regularly, neuron i every 5 + i ms."""
    start_scope()
    defaultclock.dt = DT * ms
    periods = 5.0 + np.arange(NMDA_PRE)  # ms
    pre = NeuronGroup(NMDA_PRE, "dv/dt = 1/period : 1\nperiod : second", threshold="v > 1",
                      reset="v = 0", method="euler")
    pre.period = periods * ms
    post = NeuronGroup(NMDA_POST, "g : 1")
    W = np.random.default_rng(2).uniform(0, 1, (NMDA_PRE, NMDA_POST))
    S = Synapses(pre, post, NMDA_MODEL, on_pre="x += 1", method="euler",
                 namespace={"tau_decay": NMDA_TAU_DECAY * ms, "tau_rise": NMDA_TAU_RISE * ms,
                            "alpha": NMDA_ALPHA / ms})
    S.connect()
    S.w = W[S.i[:], S.j[:]]
    trace = StateMonitor(post, "g", record=range(NMDA_RECORD))
    net = Network(pre, post, S, trace)
    net.run(NMDA_DURATION * ms)
    return {"nmda_periods_ms": periods, "nmda_W": W, "nmda_g": np.asarray(trace.g[:].T),
            "nmda_t": np.asarray(trace.t / ms), "nmda_tau_decay_ms": np.array(NMDA_TAU_DECAY),
            "nmda_tau_rise_ms": np.array(NMDA_TAU_RISE), "nmda_alpha_per_ms": np.array(NMDA_ALPHA),
            "nmda_duration_ms": np.array(NMDA_DURATION), "nmda_model": np.array(NMDA_MODEL),
            "nmda_schedule": schedule(net)}


STDP_INPUTS, STDP_NEURONS, STDP_RATE, STDP_WMAX, STDP_DELAY = 1000, 10, 15.0, 0.01, 2.0
STDP_DURATION, STDP_SEEDS, STDP_BINS = 1000.0, 4, 10
STDP_NEURON = """dv/dt = (ge*(Ee - v) + El - v)/taum : volt
dge/dt = -ge/taue : 1"""
STDP_MODEL = """w : 1
dapre/dt = -apre/taupre : 1 (event-driven)
dapost/dt = -apost/taupost : 1 (event-driven)"""
STDP_ON_PRE = "ge += w\napre += Apre\nw = clip(w + apost, 0, wmax)"
STDP_ON_POST = "apost += Apost\nw = clip(w + apre, 0, wmax)"


def stdp_delayed() -> dict:
    """Brian2's STDP example (Song, Miller and Abbott 2000) as in examples/stdp.py (Apre five
    times Brian2's, 10 neurons), with a 2 ms delay on the pre pathway: the histogram of the final
    weights for several seeds (their spread is the tolerance)."""
    histograms, means = [], []
    for k in range(STDP_SEEDS):
        start_scope()
        seed(200 + k)
        defaultclock.dt = DT * ms
        namespace = {"taum": 10 * ms, "taue": 5 * ms, "Ee": 0 * mV, "El": -74 * mV,
                     "vt": -54 * mV, "vr": -60 * mV, "taupre": 20 * ms, "taupost": 20 * ms,
                     "wmax": STDP_WMAX, "Apre": 0.05 * STDP_WMAX,
                     "Apost": -0.05 * STDP_WMAX * 1.05}
        inputs = PoissonGroup(STDP_INPUTS, STDP_RATE * Hz)
        neurons = NeuronGroup(STDP_NEURONS, STDP_NEURON, threshold="v > vt", reset="v = vr",
                              method="euler", namespace=namespace)
        neurons.v = -60 * mV
        S = Synapses(inputs, neurons, STDP_MODEL, on_pre=STDP_ON_PRE, on_post=STDP_ON_POST,
                     delay=STDP_DELAY * ms, namespace=namespace)
        S.connect()
        S.w = "rand()*wmax"
        net = Network(inputs, neurons, S)
        net.run(STDP_DURATION * ms)
        w = np.asarray(S.w[:])
        histograms.append(np.histogram(w, bins=STDP_BINS, range=(0, STDP_WMAX))[0])
        means.append(w.mean())
    return {"stdp_histograms": np.array(histograms), "stdp_mean_w": np.array(means),
            "stdp_wmax": np.array(STDP_WMAX), "stdp_delay_ms": np.array(STDP_DELAY),
            "stdp_duration_ms": np.array(STDP_DURATION), "stdp_rate_hz": np.array(STDP_RATE)}


def regular_neurons():
    """5 pre neurons firing every 7 + 3i ms and 3 post neurons every 11 + 4j ms, whatever
    their input (a `ge` to add to, never read)."""
    start_scope()
    defaultclock.dt = DT * ms
    clock_like = "dv/dt = 1/period : 1\nperiod : second\nge : 1"
    pre = NeuronGroup(5, clock_like, threshold="v > 1", reset="v = 0", method="euler")
    pre.period = (7.0 + 3.0 * np.arange(5)) * ms
    post = NeuronGroup(3, clock_like, threshold="v > 1", reset="v = 0", method="euler")
    post.period = (11.0 + 4.0 * np.arange(3)) * ms
    return pre, post


def stdp_regular() -> dict:
    """The same STDP rule, 2 ms delay, between neurons that fire regularly (pre neuron i every
    7 + 3i ms, post neuron j every 11 + 4j ms, whatever their input): no randomness, so the final
    weights must agree to rounding."""
    pre, post = regular_neurons()
    namespace = {"taupre": 20 * ms, "taupost": 20 * ms, "wmax": STDP_WMAX,
                 "Apre": 0.05 * STDP_WMAX, "Apost": -0.05 * STDP_WMAX * 1.05}
    S = Synapses(pre, post, STDP_MODEL, on_pre=STDP_ON_PRE, on_post=STDP_ON_POST,
                 delay=STDP_DELAY * ms, namespace=namespace)
    S.connect()
    S.w = 0.5 * STDP_WMAX
    Network(pre, post, S).run(200 * ms)
    w = np.zeros((5, 3))
    w[np.asarray(S.i[:]), np.asarray(S.j[:])] = np.asarray(S.w[:])
    return {"stdp_regular_w": w}


VOLTAGE_ON_PRE = "ge_post += w\nw = clip(w + 0.1*(v_post - 0.5), 0, 1)"
VOLTAGE_ON_POST = "w = clip(w - 0.05*v_pre, 0, 1)"


def voltage_plasticity() -> dict:
    """Statements that read the neurons' variables: on_pre moves w by the post neuron's v, on_post
    by the pre neuron's, and adds w to the post neuron's ge (`ge_post += w`); pre neuron i fires
    every 7 + 3i ms, post neuron j every 11 + 4j ms (deterministic)."""
    pre, post = regular_neurons()
    S = Synapses(pre, post, "w : 1", on_pre=VOLTAGE_ON_PRE, on_post=VOLTAGE_ON_POST)
    S.connect()
    S.w = 0.5
    trace = StateMonitor(post, "ge", record=True)
    Network(pre, post, S, trace).run(100 * ms)
    w = np.zeros((5, 3))
    w[np.asarray(S.i[:]), np.asarray(S.j[:])] = np.asarray(S.w[:])
    return {"voltage_w": w, "voltage_ge": np.asarray(trace.ge[:].T),
            "voltage_on_pre": np.array(VOLTAGE_ON_PRE),
            "voltage_on_post": np.array(VOLTAGE_ON_POST)}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    data = {"brian2_version": np.array(brian2.__version__), "dt_ms": np.array(DT)}
    data |= rate_rnn()
    data |= gap_junctions()
    data |= poisson_input()
    data |= nmda()
    data |= stdp_delayed()
    data |= stdp_regular()
    data |= voltage_plasticity()
    example = gap_junctions(v0_parameter=False)
    for key in ("gap_counts", "gap_spike_t", "gap_spike_i"):
        assert np.array_equal(data[key], example[key]), f"{key}: v0 parameter != constant"
    v_diff = abs(data.pop("_gap_v64") - example["_gap_v64"]).max()
    assert v_diff < 1e-12, v_diff
    np.savez_compressed(out, **data)

    x = data["rate_rnn_x"]
    print(f"brian2 {brian2.__version__} -> {out} ({out.stat().st_size} bytes)")
    for key, value in data.items():
        print(f"  {key:22s} {value.dtype} {value.shape}")
    print(f"rate_rnn: |x| mean over neurons 0..19, first/last 10 ms: "
          f"{abs(x[:100]).mean():.3f} / {abs(x[-100:]).mean():.3f}; "
          f"std over all 100 at 50 ms {data['rate_rnn_x_end'].std():.3f}")
    print("rate_rnn schedule:", *data["rate_rnn_schedule"], sep="\n  ")
    print(f"gap_junctions: counts {data['gap_counts'].tolist()}, "
          f"{len(data['gap_spike_t'])} spikes, first at {data['gap_spike_t'][:3]} ms")
    print(f"  v0 as a parameter vs the example's constant: same spikes, v differs by at most "
          f"{v_diff:.1e}")
    print("gap schedule:", *data["gap_schedule"], sep="\n  ")
    print(f"poisson_input: mean rates {data['poisson_rates_hz'].round(2).tolist()} Hz")


if __name__ == "__main__":
    main()
