"""Plastic projections: pair-based STDP as Brian2 writes it, checked against its analytic
weight changes, against the plain projection, and through the IR's text form."""
import jax
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.units import mV, ms
from tests.stdp_replay import replay_stdp

TAUPRE, TAUPOST = 20.0, 15.0
DT = 0.1

STDP_MODEL = """
    w : 1
    dapre/dt = -apre/taupre : 1 (event-driven)
    dapost/dt = -apost/taupost : 1 (event-driven)
"""
STDP_PRE = """
    ge += w
    apre += Apre
    w = clip(w + apost, 0, wmax)
"""
STDP_POST = """
    apost += Apost
    w = clip(w + apre, 0, wmax)
"""


def stdp(net, pre, post, Apre=0.01, Apost=-0.0105, wmax=1.0, name="syn", **kwargs):
    return net.projection(pre, post, STDP_PRE, model=STDP_MODEL, on_post=STDP_POST, name=name,
                          params=dict(taupre=TAUPRE * ms, taupost=TAUPOST * ms, Apre=Apre,
                                      Apost=Apost, wmax=wmax),
                          **kwargs)


def run_steps(model, steps: int, seed: int = 0):
    """The state after `steps` steps (the synapse variables included) and the outputs of each
    step."""
    program = nf.compile(model, dt=DT * ms, dtype="float64").program
    state, params, conn = program.initial(seed)
    derived = program.prepare(params)
    step = jax.jit(program.step)
    outputs = []
    for _ in range(steps):
        state, out = step(state, params, conn, derived)
        outputs.append(out)
    return state, outputs


def pair_network(t_pre: float, t_post: float, w0: float, **kwargs):
    """One pre and one post neuron that spike exactly at t_pre and t_post (ms), one plastic
    synapse."""
    net = nf.Network("pair")
    pre = net.population("A", 1, "x : 1", threshold=f"abs(t - {t_pre}*ms) < 0.5*dt")
    post = net.population("B", 1, "ge : 1", threshold=f"abs(t - {t_post}*ms) < 0.5*dt")
    stdp(net, pre, post, init=dict(w=w0), **kwargs)
    return net.build()


def weight_after_pair(t_pre: float, t_post: float, w0: float, **kwargs) -> float:
    state, _ = run_steps(pair_network(t_pre, t_post, w0, **kwargs),
                         int(round(max(t_pre, t_post) / DT)) + 3)
    return float(state["synapses"]["syn"]["w"][0, 0])


@pytest.mark.parametrize("delta", [1.0, 4.0, 12.5, 30.0])
def test_pre_then_post_potentiates_by_the_decayed_pre_trace(delta):
    w = weight_after_pair(5.0, 5.0 + delta, 0.5, Apre=0.01, Apost=-0.0105)
    assert w - 0.5 == pytest.approx(0.01 * np.exp(-delta / TAUPRE), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("delta", [1.0, 4.0, 12.5, 30.0])
def test_post_then_pre_depresses_by_the_decayed_post_trace(delta):
    w = weight_after_pair(5.0 + delta, 5.0, 0.5, Apre=0.01, Apost=-0.0105)
    assert w - 0.5 == pytest.approx(-0.0105 * np.exp(-delta / TAUPOST), rel=1e-9, abs=1e-15)


def test_simultaneous_spikes_run_pre_then_post():
    # pre first (w += apost = 0), then post (w += apre = Apre, undecayed), as in Brian2
    assert weight_after_pair(5.0, 5.0, 0.5) - 0.5 == pytest.approx(0.01, rel=1e-12)


def test_the_pre_spike_delivers_the_weight_before_it_changes():
    state, outputs = run_steps(pair_network(3.0, 1.0, 0.5), 40)
    # the post neuron has no equation for ge: it keeps the weight at the time of the pre spike
    assert float(state["pops"]["B"]["ge"][0]) == pytest.approx(0.5, rel=1e-12)


def test_clipping_keeps_weights_within_bounds():
    assert weight_after_pair(5.0, 6.0, 0.95, Apre=0.2, wmax=1.0) == 1.0
    assert weight_after_pair(6.0, 5.0, 0.1, Apost=-0.5) == 0.0


def poisson_network(plastic: bool, Apre=0.0, Apost=0.0, wmax=1.0):
    """Poisson inputs (and recurrent LIF neurons) onto LIF neurons: with or without plasticity."""
    net = nf.Network("poisson")
    source = net.population("S", 60, threshold="rand() < rate*dt",
                            params=dict(rate=40 * nf.units.Hz))
    P = net.population("P", 30, """
        dv/dt = (ge*(10*mV) - v)/(10*ms) : volt
        dge/dt = -ge/(5*ms) : 1
    """, threshold="v > 8*mV", reset="v = 0*mV")
    connect = nf.fixed_prob(0.3)
    if plastic:
        stdp(net, source, P, Apre=Apre, Apost=Apost, wmax=wmax, init=dict(w=nf.uniform(0, 1)),
             connect=connect)
        stdp(net, P[:20], P[10:], Apre=Apre, Apost=Apost, wmax=wmax, name="rec", weights=0.2,
             connect=connect)
    else:
        net.projection(source, P, "ge += w", weights=nf.uniform(0, 1), connect=connect, name="syn")
        net.projection(P[:20], P[10:], "ge += w", weights=0.2, connect=connect, name="rec")
    net.monitor_spikes(P)
    net.monitor(P, "ge")
    return net.build()


def test_without_plasticity_the_input_equals_the_plain_projection():
    steps = 1000
    _, plain = run_steps(poisson_network(False), steps, seed=3)
    state, plastic = run_steps(poisson_network(True), steps, seed=3)
    spikes_plain = np.stack([np.asarray(o["spikes"]["P"]) for o in plain])
    spikes_plastic = np.stack([np.asarray(o["spikes"]["P"]) for o in plastic])
    assert spikes_plain.any() and np.array_equal(spikes_plain, spikes_plastic)
    ge_plain = np.stack([np.asarray(o["trace"]["P.ge"]) for o in plain])
    ge_plastic = np.stack([np.asarray(o["trace"]["P.ge"]) for o in plastic])
    np.testing.assert_allclose(ge_plastic, ge_plain, rtol=1e-12, atol=1e-14)
    # Apre = Apost = 0: the weights stay those the plain projection draws from the same seed
    drawn = nf.compile(poisson_network(False), dt=DT * ms, dtype="float64").program.initial(3)[2]
    targets = np.asarray(drawn["syn"]["targets"])
    real = targets < 30  # not padding
    assert real.sum() > 300
    np.testing.assert_array_equal(np.asarray(state["synapses"]["syn"]["w"])[real],
                                  np.asarray(drawn["syn"]["weights"])[real])


def test_weights_stay_within_bounds_under_strong_plasticity():
    state, outputs = run_steps(poisson_network(True, Apre=0.3, Apost=-0.35, wmax=0.8), 2000, seed=1)
    targets = np.asarray(nf.compile(poisson_network(True),
                                    dt=DT * ms).program.initial(1)[2]["syn"]["targets"])
    w = np.asarray(state["synapses"]["syn"]["w"])[targets < 30]  # real synapses, not padding
    assert w.min() >= 0.0 and w.max() <= 0.8
    assert (w == 0.0).any() and (w == 0.8).any()  # clipping was active on both sides


@pytest.mark.parametrize("n_source, n_target, rates", [(20, 10, (50, 30)), (300, 120, (5, 4))])
def test_weight_changes_follow_a_reference_over_many_spikes(n_source, n_target, rates):
    """The final weight of every synapse equals a plain numpy replay of Brian2's rules over the
    recorded spikes (the larger network takes the kernel's bucketed paths for both pathways)."""
    net = nf.Network("replay")
    source = net.population("S", n_source, threshold="rand() < rate*dt",
                            params=dict(rate=rates[0] * nf.units.Hz))
    target = net.population("T", n_target, "ge : 1", threshold="rand() < rate*dt",
                            params=dict(rate=rates[1] * nf.units.Hz))
    stdp(net, source, target, Apre=0.02, Apost=-0.021, wmax=1.0, init=dict(w=0.5),
         connect=nf.fixed_prob(0.3))
    net.monitor_spikes(source)
    net.monitor_spikes(target)
    model = net.build()
    steps = 1500
    state, outputs = run_steps(model, steps, seed=2)
    conn = nf.compile(model, dt=DT * ms).program.initial(2)[2]["syn"]
    targets = np.asarray(conn["targets"])
    pre_spikes = np.stack([np.unpackbits(np.asarray(o["spikes"]["S"]))[:n_source]
                           for o in outputs]).astype(bool)
    post_spikes = np.stack([np.unpackbits(np.asarray(o["spikes"]["T"]))[:n_target]
                            for o in outputs]).astype(bool)
    rows, slots = np.nonzero(targets[:n_source] < n_target)
    posts = targets[rows, slots]
    w = replay_stdp(pre_spikes, post_spikes, rows, posts, 0.5, Apre=0.02, Apost=-0.021,
                    taupre=TAUPRE, taupost=TAUPOST, wmax=1.0, dt=DT)
    assert pre_spikes.sum() > 100 and post_spikes.sum() > 30 and np.ptp(w) > 0.01
    np.testing.assert_allclose(np.asarray(state["synapses"]["syn"]["w"])[rows, slots], w,
                               rtol=1e-9, atol=1e-12)


def test_plastic_projection_round_trips_through_the_ir_text():
    model = poisson_network(True, Apre=0.01, Apost=-0.0105)
    text = ir.print(model)
    assert ("on_post apost += Apost" in text
            and "var apre : float[]<1> = 0.0 event-driven -apre/taupre" in text)
    again = ir.parse_text(text)
    assert ir.print(again) == text and again == model
    ir.verify(again)
    compiled = nf.compile(model, dt=DT * ms).ir
    assert "kernel=event_plastic {" in compiled
    assert ir.print(ir.parse_text(compiled)) == compiled


def test_plain_projections_print_as_before():
    net = nf.Network("plain")
    P = net.population("P", 4, "ge : 1", threshold="ge > 1")
    net.projection(P, P, "ge += 0.5", connect=nf.fixed_prob(0.5), name="e")
    assert "projection e : P[0:4] -> P[0:4] connect=fixed_prob(0.5) w:float[]<1>=0.5" \
           " on_pre={ge += w} delay=0.0 kernel=auto" in ir.print(net.build())


def _network():
    net = nf.Network("errors")
    A = net.population("A", 2, "x : 1", threshold="x > 1")
    B = net.population("B", 2, "ge : 1\nv : volt", threshold="ge > 1")
    return net, A, B


def test_unknown_name_in_the_synapses_is_reported_with_a_hint():
    net, A, B = _network()
    net.projection(A, B, "ge += w\napre += Aprr",
                   model="w : 1\ndapre/dt = -apre/taupre : 1 (event-driven)",
                   params=dict(taupre=20 * ms, Apre=0.01), init=dict(w=0.5))
    with pytest.raises(nf.ModelError) as err:
        nf.compile(net.build(), dt=DT * ms)
    assert "unknown name 'Aprr'" in str(err.value) and "Apre" in str(err.value)


def test_on_post_cannot_write_a_post_variable():
    net, A, B = _network()
    with pytest.raises(nf.ModelError, match="on_post writes 'ge'"):
        net.projection(A, B, "ge += w", model="w : 1", on_post="ge += 1", init=dict(w=0.5))


def test_event_driven_equations_must_be_linear():
    net, A, B = _network()
    with pytest.raises(nf.ModelError, match="not linear in 'a'"):
        net.projection(A, B, "ge += w", model="w : 1\nda/dt = -a**2/tau : 1 (event-driven)",
                       params=dict(tau=5 * ms))


def test_synapse_equations_must_be_event_driven():
    net, A, B = _network()
    with pytest.raises(nf.ModelError, match="must be \\(event-driven\\)"):
        net.projection(A, B, "ge += w", model="w : 1\nda/dt = -a/tau : 1", params=dict(tau=5 * ms))


def test_units_of_synapse_statements_are_checked():
    net, A, B = _network()
    net.projection(A, B, "v += w", model="w : 1", init=dict(w=0.5))
    with pytest.raises(nf.ModelError, match="adds a value in 1 to 'v'"):
        nf.compile(net.build(), dt=DT * ms)


def test_plastic_projections_refuse_delays_and_other_kernels():
    net, A, B = _network()
    with pytest.raises(nf.ModelError, match="one delay for all synapses"):
        net.projection(A, B, "ge += w", model="w : 1", delay=nf.uniform(1 * ms, 2 * ms))
    with pytest.raises(nf.ModelError, match="event_plastic"):
        net.projection(A, B, "ge += w", model="w : 1", kernel="dense")


def test_unknown_post_target_in_on_pre():
    net, A, B = _network()
    with pytest.raises(nf.ModelError, match="on_pre writes 'gee'"):
        net.projection(A, B, "gee += w", model="w : 1")


def test_event_driven_equations_with_an_offset_are_solved_exactly():
    # dx/dt = (x0 - x)/tau from x = 0 at t = 0, read at the pre spike at 7 ms
    net = nf.Network("relax")
    pre = net.population("A", 1, "x : 1", threshold="abs(t - 7*ms) < 0.5*dt")
    post = net.population("B", 1, "ge : 1")
    net.projection(pre, post, "ge += w\nw = x",
                   model="w : 1\ndx/dt = (x0 - x)/tau : 1 (event-driven)",
                   params=dict(x0=2.0, tau=3 * ms), init=dict(w=0.25), name="syn")
    state, _ = run_steps(net.build(), 80)
    assert (float(state["synapses"]["syn"]["w"][0, 0])
            == pytest.approx(2.0 * (1 - np.exp(-7.0 / 3.0)), rel=1e-12))
    assert float(state["pops"]["B"]["ge"][0]) == pytest.approx(0.25, rel=1e-12)


def test_initial_weights_one_per_synapse():
    net = nf.Network("given")
    pre = net.population("A", 3, "x : 1", threshold="abs(t - 1*ms) < 0.5*dt")
    post = net.population("B", 2, "ge : 1")
    given = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]  # all_to_all: synapse k is (k // 2, k % 2)
    net.projection(pre, post, "ge += w", model="w : 1", weights=np.array(given), name="syn")
    state, _ = run_steps(net.build(), 20)
    np.testing.assert_allclose(np.asarray(state["pops"]["B"]["ge"]),
                               [0.1 + 0.3 + 0.5, 0.2 + 0.4 + 0.6], rtol=1e-12)
    with pytest.raises(nf.ModelError, match="in mV but it is declared in 1"):
        net.projection(pre, post, "ge += w", model="w : 1", weights=np.ones(6) * mV)


def test_a_delayed_pre_spike_runs_on_pre_when_it_arrives():
    """As in Brian2: the effect, the trace and the weight change when the spike arrives, 2 ms
    (20 steps) after it was sent; the trace then decays from the arrival."""
    net = nf.Network("delayed")
    A = net.population("A", 1, threshold="abs(t - 1*ms) < 0.05*ms")  # one spike, at step 10
    B = net.population("B", 1, "dge/dt = 0/ms : 1")
    net.projection(A, B, "ge += w\napre += 1", model="w : 1\ndapre/dt = -apre/(10*ms) : 1"
                   " (event-driven)", init=dict(w=0.5), delay=2 * ms, name="stdp")
    net.monitor(B, "ge")
    sim = nf.compile(net.build(), dt=DT * ms, dtype="float64")
    assert "buffer stdp kind=spikes steps=20" in sim.ir
    results = sim.run(4 * ms)
    ge = results.trace("B", "ge")[1][:, 0]
    assert ge[:31].max() == 0 and ge[31] == 0.5  # arrives in step 30, recorded from step 31
    final = results.final.synapses("stdp")
    assert final["apre"][0] == 1.0  # as of its last update, at the arrival
    lastupdate = np.asarray(results.final.state["synapses"]["stdp"]["_lastupdate"])
    assert lastupdate[0, 0] == pytest.approx(3.0)  # ms: the one synapse, updated on arrival


def test_random_numbers_in_synapse_statements_are_a_located_error():
    net, A, B = _network()
    net.projection(A, B, "ge += w*rand()", model="w : 1", init=dict(w=0.5))
    with pytest.raises(nf.ModelError, match="draws random numbers") as error:
        nf.compile(net.build(), dt=DT * ms)
    assert str(error.value).startswith("on_pre of projection 'A_to_B_0':1:1: ")
    assert (error.value.loc.line, error.value.loc.column) == (1, 1)
    assert "draw them in the neurons' equations or thresholds" in error.value.hint
