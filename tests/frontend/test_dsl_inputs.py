"""Poisson groups, Poisson inputs, clock-driven synapse variables and weights computed per
synapse in the .nfl language: each gives the IR its builder twin gives; the examples
brunel2000.nfl and cann.nfl do what their models do (Brunel's rate from mean-field theory, a
bump that follows its input); mistakes are reported at their place in the file."""
import textwrap

import numpy as np
import pytest
from scipy import integrate, optimize, special

import neuroflow as nf
from neuroflow.frontend import load, load_text
from neuroflow.passes import run_pipeline
from neuroflow.units import Hz, mV, ms, second
from tests.conftest import EXAMPLES
from tests.frontend.test_dsl_coupling import place


def build(text: str) -> nf.ir.Model:
    return load_text(textwrap.dedent(text), "model.nfl").model


def same_ir(text: str, net: nf.Network) -> None:
    assert nf.ir.print(build(text)) == nf.ir.print(net.build())


LIF = """
neuron LIF {
    parameters {
        tau = 20*ms
        J = 0.1*mV
        nu = 6*Hz
    }
    equations {
        dv/dt = (-v + ge*mV)/tau : volt (unless refractory)
        dge/dt = -ge/(5*ms) : 1
    }
    threshold: v > 20*mV
    reset: v = 10*mV
    refractory: 2*ms
}
"""
LIF_EQUATIONS = "dv/dt = (-v + ge*mV)/tau : volt (unless refractory)\ndge/dt = -ge/(5*ms) : 1"


def lif(net: nf.Network, name: str = "P", size: int = 10):
    return net.population(name, size, LIF_EQUATIONS, threshold="v > 20*mV", reset="v = 10*mV",
                          refractory=2 * ms, params=dict(tau=20 * ms, J=0.1 * mV, nu=6 * Hz))


# ---- Poisson groups and Poisson inputs -----------------------------------------------------------

def test_poisson_groups_and_inputs_give_the_builders_ir():
    text = LIF + """
    network n {
        population In[100] = poisson(rate = 15*Hz)
        population Ramp[5] = poisson(rate = [1, 2, 3, 4, 5]*Hz)
        population P[10] = LIF()
        input P.v = poisson(N = 1000, rate = 6*Hz, weight = 0.1*mV)
        input P.ge = poisson(N = 200, rate = nu*(1 + i/N), weight = J/mV)
        projection In -> P { on_pre: ge += 0.5; connect: fixed_prob(0.1) }
        monitor spikes In
    }
    """
    net = nf.Network("n")
    In = net.poisson_group("In", 100, rate=15 * Hz)
    net.poisson_group("Ramp", 5, rate=np.array([1, 2, 3, 4, 5]) * Hz)
    P = lif(net)
    net.poisson_input(P, "v", N=1000, rate=6 * Hz, weight=0.1 * mV)
    net.poisson_input(P, "ge", N=200, rate="nu*(1 + i/N)", weight="J/mV")
    net.projection(In, P, "ge += 0.5", connect=nf.fixed_prob(0.1))
    net.monitor_spikes(In)
    same_ir(text, net)


def test_a_poisson_input_is_located_in_the_file():
    model = build(LIF + """
    network n {
        population P[10] = LIF()
        input P.v = poisson(N = 10, rate = 6*Hz, weight = J)
    }
    """)
    (node,) = model.find(nf.ir.PoissonInput)
    assert node.loc.source_line().strip().startswith("input P.v = poisson(")


def test_a_poisson_input_reaches_a_parts_variable():
    model = build("""
    channel Syn {
        equations { dg/dt = -g/(5*ms) : 1 }
    }
    neuron Cell {
        equations { dv/dt = (exc.g - v)/(10*ms) : 1 }
        exc = Syn()
    }
    network n {
        population P[4] = Cell()
        input P.exc.g = poisson(N = 10, rate = 5*Hz, weight = 0.2)
    }
    """)
    (node,) = model.find(nf.ir.PoissonInput)
    assert (node.pop, node.var) == ("P", "exc_g")


# ---- clock-driven synapse variables --------------------------------------------------------------

NMDA = """
neuron Cell {
    parameters {
        tau = 10*ms
    }
    equations {
        dv/dt = (-v + g)/tau : 1
        g : 1
    }
    threshold: v > 1
    reset: v = 0
}
channel Gate {
    parameters { gain = 1 }
}
neuron Source {
    parameters { rate = 20*Hz }
    threshold: rand() < rate*dt
    syn = Gate(gain = 2)
}
synapse NMDA {
    parameters {
        tau_decay = 100*ms
        tau_rise = 2*ms
        alpha = 0.5/ms
    }
    equations {
        w : 1
        ds/dt = -s/tau_decay + alpha*x*(1 - s) : 1 (clock-driven)
        dx/dt = -x/tau_rise : 1 (clock-driven)
        g_post = w*s : 1 (summed)
    }
    on_pre { x += syn.gain_pre/2 }
}
network n {
    population In[20] = Source()
    population P[5] = Cell()
    projection nmda: In -> P {
        synapse: NMDA(tau_rise = 3*ms)
        weights: 0.1
        initial { s = 0.25 }
    }
    monitor P.g
}
"""


def nmda_by_builder() -> nf.Network:
    net = nf.Network("n")
    In = net.population("In", 20, threshold="rand() < rate*dt",
                        params=dict(rate=20 * Hz, syn_gain=2))
    P = net.population("P", 5, "dv/dt = (-v + g)/tau : 1\ng : 1", threshold="v > 1",
                       reset="v = 0", params=dict(tau=10 * ms))
    net.projection(In, P, model="""w : 1
        ds/dt = -s/tau_decay + alpha*x*(1 - s) : 1 (clock-driven)
        dx/dt = -x/tau_rise : 1 (clock-driven)
        g_post = w*s : 1 (summed)""", on_pre="x += syn_gain_pre/2", weights=0.1, name="nmda",
                   params=dict(tau_decay=100 * ms, tau_rise=3 * ms, alpha=0.5 / ms),
                   init=dict(s=0.25))
    net.monitor(P, "g")
    return net


def test_clock_driven_variables_give_the_builders_ir():
    """One copy of s and x per pre neuron (In.nmda_s, In.nmda_x); on_pre runs at its spikes."""
    same_ir(NMDA, nmda_by_builder())
    model = build(NMDA)
    assert {v.name for v in model.find(nf.ir.StateVar, "In")} == {"nmda_s", "nmda_x"}
    (reset,) = model.find(nf.ir.Reset, "In")
    assert reset.body == (nf.ir.Statement("nmda_x", "+=", nf.ir.parse_expr("syn_gain/2")),)


def test_clock_driven_gating_drives_the_post_neurons():
    results = nf.compile(build(NMDA), dt=0.1 * ms, dtype="float64").run(300 * ms, seed=1)
    _, g = results.trace("P", "g")
    # every post neuron sums w*s over the same 20 sources, from the state at the start of a
    # step (the monitor records g before the first sum: 0, then 20*0.1*0.25)
    np.testing.assert_allclose(g, g[:, :1].repeat(5, axis=1))
    assert (g[0, 0], g[1, 0]) == pytest.approx((0.0, 20 * 0.1 * 0.25))
    assert g[-1, 0] > g[1, 0]


def test_the_nmda_synapse_of_the_docs_runs():
    from tests.frontend.test_dsl import _doc_block
    text = NMDA.split("synapse NMDA")[0] + _doc_block("synapse NMDA") + """
    network n {
        population In[20] = Source()
        population P[5] = Cell()
        projection nmda: In -> P { synapse: NMDA(); weights: 0.1 }
    }
    """
    text = text.replace("(-v + g)", "(-v + g_NMDA)").replace("g : 1", "g_NMDA : 1")
    model = build(text)
    assert {v.name for v in model.find(nf.ir.StateVar, "In")} == {"nmda_s", "nmda_x"}
    nf.compile(model, dt=0.1 * ms).run(10 * ms)


# ---- weights per synapse -------------------------------------------------------------------------

RING = """
neuron Unit {
    parameters {
        theta = 6.283185307179586*i/N
    }
    equations {
        dv/dt = (-v + I)/(10*ms) : 1
        I : 1
    }
    threshold: v > 1
    reset: v = 0
}
synapse Ring {
    parameters {
        J0 = 2
        a = 0.5
        J = J0/a
    }
    equations {
        w : 1
        I_post = w*v_pre : 1 (summed)
    }
}
network n {
    population P[30] = Unit()
    projection spikes: P -> P {
        on_pre: v += w
        weights: 0.05*exp(-abs(i - j)/N_pre)
        connect: fixed_prob(0.5)
    }
    projection ring: P -> P {
        synapse: Ring(J0 = 3)
        weights: J*exp((cos(theta_pre - theta_post) - 1)/a)
    }
}
"""


def test_weights_per_synapse_give_the_builders_ir():
    net = nf.Network("n")
    P = net.population("P", 30, "dv/dt = (-v + I)/(10*ms) : 1\nI : 1", threshold="v > 1",
                       reset="v = 0", params=dict(theta=6.283185307179586 * np.arange(30) / 30))
    net.projection(P, P, "v += w", weights="0.05*exp(-abs(i - j)/N_pre)",
                   connect=nf.fixed_prob(0.5), name="spikes")
    net.projection(P, P, model="w : 1\nI_post = w*v_pre : 1 (summed)", name="ring",
                   weights="6.0*exp((cos(theta_pre - theta_post) - 1)/0.5)",
                   params=dict(J0=3, a=0.5, J=6.0))
    same_ir(RING, net)


def test_weights_may_use_the_synapses_parameters():
    constant = RING.replace("J*exp((cos(theta_pre - theta_post) - 1)/a)", "J/10")
    (coupling,) = build(constant).find(nf.ir.Coupling)
    assert coupling.weight == pytest.approx(0.6)


def test_weights_per_synapse_read_the_names_of_parts():
    model = build("""
    channel Pos {
        parameters { x = i }
    }
    neuron Cell {
        equations { dv/dt = -v/(10*ms) : 1 }
        threshold: v > 1
        reset: v = 0
        pos = Pos()
    }
    network n {
        population P[4] = Cell()
        projection P -> P {
            on_pre: v += w
            weights: 0.1*(pos.x_pre - pos.x_post)
            kernel: dense
        }
    }
    """)
    (proj,) = model.find(nf.ir.Projection)
    assert nf.ir.to_text(proj.weight) == "0.1*(pos_x_pre - pos_x_post)"
    final = nf.compile(model, dt=0.1 * ms).run(1 * ms).final  # drawn when the run starts
    i, j = np.arange(4)[:, None], np.arange(4)[None, :]  # x = i of the pre and the post neuron
    np.testing.assert_allclose(final.conn[proj.id]["matrix"], 0.1 * (i - j), atol=1e-12)


# ---- the examples --------------------------------------------------------------------------------

def brunel_by_builder() -> nf.ir.Model:
    """examples/brunel2000.nfl, written with the Python builder."""
    net = nf.Network("brunel2000")
    P = net.population("P", 12500, "dv/dt = -v/tau : volt (unless refractory)",
                       threshold="v > theta", reset="v = Vr", refractory=2 * ms,
                       params=dict(tau=20 * ms, theta=20 * mV, Vr=10 * mV, J=0.1 * mV, C_E=1000,
                                   eta=2),
                       init=dict(v=nf.uniform(0 * mV, 20 * mV)), method="exact")
    net.projection(P[:10000], P, "v += 0.1*mV", connect=nf.fixed_fan_in(1000), delay=1.5 * ms,
                   name="excitatory")
    net.projection(P[10000:], P, "v -= 0.5*mV", connect=nf.fixed_fan_in(250), delay=1.5 * ms,
                   name="inhibitory")
    net.poisson_input(P, "v", N=1000, rate="eta*theta/(J*C_E*tau)", weight="J")
    net.monitor_spikes(P)
    net.monitor_rate(P)
    return net.build()


def cann_by_builder() -> nf.ir.Model:
    """examples/cann.nfl, written with the Python builder."""
    L = 6.283185307179586
    net = nf.Network("cann")
    R = net.population("R", 512, """
        du/dt = (-u + I_rec + I_ext)/tau : 1
        r = u**2/(1 + k*S) : 1
        I_rec : 1
        S : 1
        d = x - speed*t - L*floor((x - speed*t + L/2)/L) : 1
        I_ext = A*exp(-0.25*(d/a)**2) : 1""",
                       params=dict(tau=10 * ms, k=8.1, A=0.3, a=0.5, L=L, speed=2 / second,
                                   x=-L / 2 + L * (np.arange(512) + 1) / 512))
    J = 4 / (float(np.sqrt(L)) * 0.5)
    net.projection(R, R, model="w : 1\nI_rec_post = w*r_pre : 1 (summed)", name="recurrent",
                   params=dict(J0=4, a=0.5, L=L, J=J),
                   weights=f"{J!r}*exp(-minimum(abs(x_pre - x_post), {L!r} - abs(x_pre -"
                           " x_post))**2/(2*0.5**2))")
    net.projection(R, R, model="w : 1\nS_post = w*u_pre**2 : 1 (summed)", weights=1,
                   name="normalisation")
    net.monitor(R, "u", every=10)
    return net.build()


WANG_NEURON = """
    dV/dt = (-gL*(V - El) - I_AMPA - I_NMDA - I_GABA - I_ext)/Cm : volt (unless refractory)
    I_AMPA = s_AMPA*(V - V_E) : amp
    ds_AMPA/dt = -s_AMPA/tau_AMPA : siemens
    I_NMDA = g_NMDA*s_NMDA_tot*(V - V_E)/(1 + exp(-0.062*V/mV)*(Mg/3.57)) : amp
    s_NMDA_tot : 1
    I_GABA = s_GABA*(V - V_I) : amp
    ds_GABA/dt = -s_GABA/tau_GABA : siemens
    I_ext = s_ext*(V - V_E) : amp
    ds_ext/dt = -s_ext/tau_AMPA : siemens"""
NMDA_LINES = """w : 1
    ds/dt = -s/tau_decay + alpha*x*(1 - s) : 1 (clock-driven)
    dx/dt = -x/tau_rise : 1 (clock-driven)
    s_NMDA_tot_post = w*s : 1 (summed)"""


def wang_by_builder() -> nf.ir.Model:
    """examples/wang2002.nfl, written with the Python builder."""
    from neuroflow.units import nF, nS
    net = nf.Network("wang2002")

    def wang_lif(name, size, Cm, gL, t_ref, g_NMDA, label):
        Jp = 1.7
        Jm = 1 - 0.15 * (Jp - 1) / (1 - 0.15)
        return net.population(
            name, size, WANG_NEURON, threshold="V > Vt", reset="V = Vr", refractory="t_ref",
            params=dict(Cm=Cm, gL=gL, El=-70 * mV, Vt=-50 * mV, Vr=-55 * mV, t_ref=t_ref,
                        V_E=0 * mV, V_I=-70 * mV, tau_AMPA=2 * ms, tau_GABA=5 * ms,
                        g_NMDA=g_NMDA, Mg=1, label=label, Jp=Jp, Jm=Jm,
                        w_same=1 + (Jp - 1) * np.minimum(2 - label, 1),
                        w_other=1 + (Jm - 1) * np.minimum(2 - label, 1)),
            init=dict(V=-50 * mV - 2 * mV), method="euler")

    exc = wang_lif("E", 1600, 0.5 * nF, 25 * nS, 2 * ms, 0.165 * nS,
                 np.minimum(np.floor(np.arange(1600) / 240), 2))
    inh = wang_lif("I", 400, 0.2 * nF, 20 * nS, 1 * ms, 0.13 * nS, 2)
    stimuli = [net.population(name, 240, threshold="rand() < rate*dt*int(t > t_on and t < t_off)",
                              params=dict(rate=40 * Hz * rate, t_on=500 * ms, t_off=2000 * ms))
               for name, rate in (("S1", 1 + 0.128), ("S2", 1 - 0.128))]
    structure = "w_other_post + (w_same_post - w_other_post)*int(label_pre == label_post)"
    nmda = dict(tau_decay=100 * ms, tau_rise=2 * ms, alpha=0.5 / ms)
    net.projection(exc, exc, "s_AMPA += w", weights=f"0.05*nS*({structure})", delay=0.5 * ms,
                   name="ampa_EE")
    net.projection(exc, exc, on_pre="x += 1", model=NMDA_LINES, params=nmda, weights=structure,
                   name="nmda_EE")
    net.projection(exc, inh, "s_AMPA += 0.04*nS", delay=0.5 * ms, name="ampa_EI")
    net.projection(exc, inh, on_pre="x += 1", model=NMDA_LINES, params=nmda, weights=1,
                   name="nmda_EI")
    net.projection(inh, exc, "s_GABA += 1.3*nS", delay=0.5 * ms, name="gaba_IE")
    net.projection(inh, inh, "s_GABA += 1.0*nS", delay=0.5 * ms, name="gaba_II")
    net.poisson_input(exc, "s_ext", N=1000, rate=2.4 * Hz, weight=2.1 * nS)
    net.poisson_input(inh, "s_ext", N=1000, rate=2.4 * Hz, weight=1.62 * nS)
    net.projection(stimuli[0], exc[:240], "s_ext += 2.1*nS", connect=nf.ir.OneToOne())
    net.projection(stimuli[1], exc[240:480], "s_ext += 2.1*nS", connect=nf.ir.OneToOne())
    net.monitor_spikes(exc)
    net.monitor_spikes(inh)
    net.monitor_rate(exc)
    return net.build(unused_params=True)  # Jp and Jm, as the file declares them, only give others


@pytest.mark.parametrize("name, twin", [("brunel2000", brunel_by_builder),
                                        ("cann", cann_by_builder),
                                        ("wang2002", wang_by_builder)])
def test_example_and_builder_give_identical_ir(name, twin):
    from_file = load(EXAMPLES / f"{name}.nfl").model
    assert nf.ir.print(from_file) == nf.ir.print(twin())


def brunel_rate(eta: float = 2.0, g: float = 5.0) -> float:
    """The stationary rate (Hz) of Brunel's network from his mean-field theory: the rate of an
    LIF neuron driven by white noise of mean mu and deviation sigma (Siegert's formula), with
    mu and sigma set by the rate itself (C_E = 1000, gamma = C_I/C_E = 0.25, J = 0.1 mV)."""
    tau, theta, v_r, tau_ref, J, C_E, gamma = 20e-3, 20.0, 10.0, 2e-3, 0.1, 1000, 0.25
    nu_ext = eta * theta / (J * C_E * tau)

    def siegert(nu):
        mu = C_E * J * tau * (nu_ext + nu * (1 - gamma * g))
        sigma = np.sqrt(C_E * J**2 * tau * (nu_ext + nu * (1 + gamma * g**2)))
        area, _ = integrate.quad(lambda u: special.erfcx(-u), (v_r - mu) / sigma,
                                 (theta - mu) / sigma)
        return 1 / (tau_ref + tau * np.sqrt(np.pi) * area) - nu

    return optimize.brentq(siegert, 0.1, 500)


def run_example(name: str, duration=None, **kwargs):
    file = load(EXAMPLES / f"{name}.nfl")
    sim = nf.compile(file.model, dt=file.settings.dt, dtype="float64")
    return sim.run(duration or file.settings.duration, seed=file.settings.seed or 0, **kwargs)


def test_brunel_network_fires_at_the_mean_field_rate():
    """Brunel's theory gives 37.9 Hz for g = 5, eta = 2; the file's first 100 ms give 37.4 Hz
    (Brian2 2.11, the same network and 500 ms: 36.8 Hz after the first 100 ms)."""
    assert brunel_rate() == pytest.approx(37.95, abs=0.05)
    results = run_example("brunel2000", 100 * ms)
    t, _ = results.spikes("P")
    rate = np.sum(t > 20) / 12500 / 0.08
    assert rate == pytest.approx(brunel_rate(), rel=0.1)


@pytest.mark.slow
def test_brunel_network_is_asynchronous_and_irregular():
    """Over the file's 500 ms: the mean-field rate within 5%, excitatory and inhibitory neurons
    at the same rate, irregular firing (CV of the intervals about 0.38; Brian2: the same)."""
    results = run_example("brunel2000")
    t, i = results.spikes("P")
    late = t > 100
    rates = [np.sum(late & part) / size / 0.4 for part, size in ((i < 10000, 10000),
                                                                  (i >= 10000, 2500))]
    assert rates == pytest.approx([brunel_rate()] * 2, rel=0.05)
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    cvs = [np.std(np.diff(s)) / np.mean(np.diff(s))
           for s in (t[(i == k) & (t > 100)] for k in range(0, 12500, 25)) if len(s) > 4]
    assert 0.25 < np.mean(cvs) < 0.6


def bump_and_input(results) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, and the distances (in units, 2*pi/512 each) from the input's centre to the peak
    of the activity, and the peak activity."""
    t, u = results.trace("R", "u")
    L = 2 * np.pi
    x = -L / 2 + L * (np.arange(512) + 1) / 512
    centre = (0.002 * t + np.pi) % L - np.pi  # speed*t, on the ring
    lag = ((x[np.argmax(u, axis=1)] - centre + np.pi) % L - np.pi) / (L / 512)
    return t, lag, u.max(axis=1)


def test_the_bump_of_the_attractor_network_follows_its_input():
    """The input moves 2 radians (163 units) in the second; the peak of the activity stays
    within 5 units behind it (measured: 2.7 to 3.6, as a numpy replica of the same steps)."""
    results = run_example("cann")
    t, lag, peak = bump_and_input(results)
    following = t > 50
    assert np.all(np.abs(lag[following]) < 5) and np.all(lag[following] < 0)
    assert np.all(peak[following] > 0.5)


def test_the_bump_stays_where_the_input_left_it():
    """An attractor: without its input (A = 0) the bump keeps its place and a height of its
    own (0.274; the input raised it to 0.577)."""
    first = run_example("cann", 300 * ms)
    _, u_before = first.trace("R", "u")
    then = run_example("cann", 200 * ms, params={"R.A": 0.0}, resume=first.final)
    _, u = then.trace("R", "u")
    assert abs(int(np.argmax(u[-1])) - int(np.argmax(u_before[-1]))) <= 1
    assert u[-1].max() == pytest.approx(0.274, abs=0.005)


@pytest.mark.slow
def test_the_decision_network_decides_and_remembers():
    """Wang (2002): about 2 Hz before the stimulus; then one pool wins (20-30 Hz at the end of
    the stimulus, the other below 3 Hz) and keeps firing after it (about 20 Hz).  Which pool
    wins is a matter of chance, biased to E1 (here, in float64, E2 wins)."""
    results = run_example("wang2002")
    t, i = results.spikes("E")

    def rate(pool: slice, start: float, stop: float) -> float:
        chosen = (t >= start) & (t < stop) & (i >= pool.start) & (i < pool.stop)
        return np.sum(chosen) / (pool.stop - pool.start) / ((stop - start) / 1000)

    e1, e2, rest = slice(0, 240), slice(240, 480), slice(480, 1600)
    assert all(0.5 < rate(pool, 0, 500) < 4 for pool in (e1, e2, rest))
    winner, loser = sorted((e1, e2), key=lambda pool: -rate(pool, 1500, 2000))
    assert rate(winner, 1500, 2000) > 15 and rate(loser, 1500, 2000) < 4
    assert rate(winner, 2500, 3000) > 10 and rate(loser, 2500, 3000) < 3
    assert rate(rest, 1500, 3000) < 6


# ---- mistakes, at their place --------------------------------------------------------------------

def network(items: str, neuron: str = LIF) -> str:
    return neuron + f"""
network n {{
    population P[10] = LIF()
    {items}
}}
"""


def nmda(old: str, new: str) -> str:
    return NMDA.replace(old, new)


MISTAKES = {
    "an unknown argument of poisson()": (
        network("input P.v = poisson(N = 10, rate = 6*Hz, wieght = J)"), ("wieght", "wieght"),
        ["poisson() has no argument 'wieght'"], "did you mean 'weight'"),
    "a missing argument": (
        network("input P.v = poisson(N = 10, weight = J)"), ("input P.v", "P.v"),
        ["poisson() needs rate"], "rate = 6*Hz"),
    "an unknown name in a weight": (
        network("input P.v = poisson(N = 10, rate = 6*Hz, weight = Jx)"), ("weight = Jx", "Jx"),
        ["unknown name 'Jx' in neuron 'LIF'"], "did you mean 'J'"),
    "a weight in the wrong unit": (
        network("input P.v = poisson(N = 10, rate = 6*Hz, weight = 0.1*nA)"),
        ("weight = 0.1*nA", "0.1*nA"), ["the weight of the Poisson input is in pA, not in mV"],
        "'P.v' is in mV"),
    "an expression in the wrong unit": (
        network("input P.v = poisson(N = 10, rate = 6*Hz, weight = tau)"), ("input P.v", "v"),
        ["assigns a value in ms to 'v', which is in mV"], "same units"),
    "a rate in the wrong unit": (
        network("input P.v = poisson(N = 10, rate = 6*ms, weight = J)"), ("6*ms", "6*ms"),
        ["the rate of the Poisson input is in ms, not in 1/ms"], "rate = 6*Hz"),
    "a fraction of a source": (
        network("input P.v = poisson(N = 2.5, rate = 6*Hz, weight = J)"), ("N = 2.5", "2.5"),
        ["N is the number of sources, a whole number of at least 1, got 2.5"], "e.g. N = 10"),
    "a Poisson input onto a parameter": (
        network("input P.tau = poisson(N = 10, rate = 6*Hz, weight = J)"), ("P.tau", "P.tau"),
        ["a Poisson input adds to a variable, and 'P.tau' is a parameter"], "variable"),
    "a Poisson input onto a view": (
        network("view left = P[:5]\n    input left.v = poisson(N = 10, rate = 6*Hz, weight = J)"),
        ("input left.v", "left.v"), ["drives every neuron of a population, not a view"],
        "J*int(i < 100)"),
    "a Poisson group's rate in the wrong unit": (
        network("population In[5] = poisson(rate = 5*mV)"), ("5*mV", "5*mV"),
        ["the rate of a Poisson group is in mV, not in Hz"], "rate = 15*Hz"),
    "a timed input onto a Poisson group": (
        network("population In[5] = poisson(rate = 5*Hz)\n    input In.rate = [1, 2]*Hz every"
                " 10*ms"), ("input In.rate", "In.rate"),
        ["'In' is a Poisson group, whose rate is set where it is declared"], "rand() < rate*dt"),
    "an unknown name in per-synapse weights": (
        network("projection P -> P { on_pre: v += w; weights: 0.1*mV*exp(-abs(i - k)) }"),
        ("abs(i - k)", "k"), ["unknown name 'k' in the weights"], "N_pre"),
    "an unknown neuron name in per-synapse weights": (
        network("projection P -> P { on_pre: v += w; weights: 0.1*mV*tua_pre/ms }"),
        ("tua_pre", "tua_pre"), ["the pre neuron (neuron 'LIF') has no 'tua'"],
        "did you mean 'tau'"),
    "per-synapse weights of a plastic synapse": (
        network("projection P -> P { synapse: STDP(); weights: 0.01*i/N_pre }").replace(
            "neuron LIF", 'import "plasticity.nfl"\nneuron LIF'), ("weights:", "0.01"),
        ["the weights of a plastic synapse are initial values of 'w'"], "summed synapses"),
    "a clock-driven variable that reads w": (
        nmda("alpha*x*(1 - s)", "alpha*x*(1 - s)*w"), ("(1 - s)*w", "w :"),
        ["the clock-driven variables of synapse 'NMDA' read 'w', which differs between the"
         " synapses of one pre neuron"], "x_pre"),
    "a clock-driven variable that reads the post neuron": (
        nmda("alpha*x*(1 - s)", "alpha*x*(1 - s)*v_post"), ("(1 - s)*v_post", "v_post"),
        ["read 'v_post', which differs between the synapses"], "one copy per pre neuron"),
    "an unknown pre name in a clock-driven equation": (
        nmda("alpha*x*(1 - s)", "alpha*x*(1 - s)*rat_pre"), ("(1 - s)*rat_pre", "rat_pre"),
        ["the pre neuron (neuron 'Source') has no 'rat'"], "did you mean 'rate'"),
    "an on_pre that writes the post neuron": (
        nmda("on_pre { x += syn.gain_pre/2 }", "on_pre { v += 1 }"), ("on_pre { v", "v +="),
        ["the on_pre of synapse 'NMDA' writes 'v', which is not one of its clock-driven"
         " variables"], "a projection of their own"),
    "a clock-driven variable without summed lines": (
        nmda("        g_post = w*s : 1 (summed)\n", "").replace(
            "on_pre { x += syn.gain_pre/2 }", "on_pre { x += 1; g += w*s }"),
        ("ds/dt", "ds/dt"), ["'s' of synapse 'NMDA' is (clock-driven), which only a synapse"
                             " with summed variables can have"], "(event-driven)"),
    "an on_pre without clock-driven variables": (
        nmda(" (clock-driven)", " (event-driven)"), ("on_pre { x", "x +="),
        ["synapse 'NMDA' has summed variables ('g_post'", "and an on_pre"], "two synapses"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_is_reported_at_its_place(name):
    text, (line_part, word), fragments, hint = MISTAKES[name]
    with pytest.raises(nf.NeuroflowError) as info:
        run_pipeline(build(text), "resolve")
    err = info.value
    first = err.errors[0] if hasattr(err, "errors") else err
    assert (first.loc.origin, (first.loc.line, first.loc.column)) == (
        "model.nfl", place(textwrap.dedent(text), line_part, word)), first
    assert all(fragment in first.message for fragment in fragments), first
    assert first.hint and hint in first.hint, first
