"""Synapse models in the .nfl language: `synapse` blocks used by projections reach the IR
through the builder's plastic projections; the standard library's STDP and Tsodyks-Markram
synapses follow their update equations; errors point into the file."""
import textwrap

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.frontend import load_text
from neuroflow.units import ms
from tests.conftest import EXAMPLES, ROOT
from tests.e2e.test_plasticity import STDP_MODEL, STDP_POST, STDP_PRE


def build(text: str):
    return load_text(textwrap.dedent(text), "model.nfl")


def errors_of(text: str) -> str:
    with pytest.raises(nf.NeuroflowError) as info:
        build(text)
    return str(info.value)


NEURONS = """
neuron Clock {
    parameters { T = 25*ms }
    equations { dc/dt = 1/T : 1 }
    threshold: c > 1
    reset: c -= 1
}
neuron Sink {
    equations {
        ge : 1
        v : 1
    }
}
"""

STDP = """
synapse Pair {
    parameters {
        taupre = 20*ms
        taupost = 15*ms
        Apre = 0.01
        Apost = -0.0105
        wmax = 1.0
    }
    equations {
        w : 1
        dapre/dt = -apre/taupre : 1 (event-driven)
        dapost/dt = -apost/taupost : 1 (event-driven)
    }
    on_pre {
        ge += w
        apre += Apre
        w = clip(w + apost, 0, wmax)
    }
    on_post {
        apost += Apost
        w = clip(w + apre, 0, wmax)
    }
}
"""


def test_a_synapse_block_gives_the_builders_plastic_projection():
    text = NEURONS + STDP + """
    network n {
        population S[3] = Clock()
        population Q[2] = Sink()
        projection stdp: S -> Q {
            synapse: Pair(wmax = 0.5)
            connect: fixed_prob(0.5)
            initial { w = uniform(0, 0.5) }
        }
    }
    """
    net = nf.Network("n")
    S = net.population("S", 3, "dc/dt = 1/T : 1", threshold="c > 1", reset="c -= 1",
                       params=dict(T=25 * ms))
    Q = net.population("Q", 2, "ge : 1\nv : 1")
    net.projection(S, Q, STDP_PRE, model=STDP_MODEL, on_post=STDP_POST,
                   connect=nf.fixed_prob(0.5), name="stdp",
                   params=dict(taupre=20 * ms, taupost=15 * ms, Apre=0.01, Apost=-0.0105, wmax=0.5),
                   init=dict(w=nf.uniform(0, 0.5)))
    assert nf.ir.print(build(text).model) == nf.ir.print(net.build())


def test_parameters_may_use_earlier_ones_and_overrides_reach_them():
    text = NEURONS + """
    import "plasticity.nfl"
    network n {
        population S[1] = Clock()
        population Q[1] = Sink()
        projection a: S -> Q { synapse: STDP() }
        projection b: S -> Q { synapse: STDP(wmax = 1.0, taupost = 10*ms) }
    }
    """
    printed = nf.ir.print(build(text).model)
    a, b = printed.split("projection b")
    assert "param Apre : float[]<1> = 0.0001" in a and "param Apre : float[]<1> = 0.01" in b
    # Apost = -Apre*taupre/taupost*1.05, with the overridden taupost
    assert f"param Apost : float[]<1> = {-0.01 * 20 / 10 * 1.05!r}" in b


def test_tsodyks_markram_follows_its_update_equations():
    """Every PSP of a regular pre spike train equals a plain replay of the Tsodyks-Markram
    updates (facilitation on), and with facilitation off the train depresses to the
    analytic steady state."""
    for tau_f, U in ((500.0, 0.05), (1e-3, 0.5)):
        text = NEURONS + f"""
        import "plasticity.nfl"
        network n {{
            population S[1] = Clock(T = 20*ms)
            population Q[1] = Sink()
            projection tm: S -> Q {{
                synapse: TsodyksMarkram(U = {U}, tau_d = 100*ms, tau_f = {tau_f}*ms)
                initial {{ w = 2 }}
            }}
            monitor spikes S
            monitor Q.ge
        }}
        """
        results = nf.compile(build(text).model, dt=0.1 * ms, dtype="float64").run(400 * ms)
        times = results.spikes("S")[0]
        _, ge = results.trace("Q", "ge")
        jumps = np.diff(np.concatenate([[0.0], ge[:, 0]]))
        psp = jumps[jumps > 0]
        assert len(psp) >= 15
        # the Tsodyks-Markram updates, in plain Python
        u, x, last, expected = U, 1.0, 0.0, []
        for t in times[:len(psp)]:
            u = U + (u - U) * np.exp(-(t - last) / tau_f)
            x = 1 + (x - 1) * np.exp(-(t - last) / 100.0)
            last = t
            u += U * (1 - u)
            r = u * x
            x -= r
            expected.append(2 * r)
        np.testing.assert_allclose(psp, expected, rtol=1e-9)
        if tau_f < 1:
            # u is U*(2 - U) at every spike; x before a spike is x* = (1 - E)/(1 - (1 - u)E),
            # E = exp(-T/tau_d)
            period = np.diff(times).mean()
            use, decay = U * (2 - U), np.exp(-period / 100.0)
            steady = (1 - decay) / (1 - (1 - use) * decay)
            assert psp[-1] == pytest.approx(2 * use * steady, rel=1e-6)
            assert psp[0] == pytest.approx(2 * use, rel=1e-12) and psp[-1] < 0.5 * psp[0]
        else:
            assert psp[1] > psp[0]  # facilitation


def test_stdp_of_the_standard_library_potentiates_pre_before_post():
    text = """
    import "plasticity.nfl"
    neuron At {
        parameters { when = 5*ms }
        equations { x : 1 }
        threshold: abs(t - when) < 0.5*dt
    }
    neuron Sink { equations { ge : 1 } }
    network n {
        population A[1] = At(when = 5*ms)
        population B[1] = At(when = 9*ms)
        projection syn: A -> B { synapse: STDP(wmax = 1.0, Apre = 0.01); initial { w = 0.5 } }
    }
    """.replace("neuron Sink { equations { ge : 1 } }", "").replace(
        "equations { x : 1 }", "equations {\n x : 1\n ge : 1\n }")
    final = nf.compile(build(text).model, dt=0.1 * ms, dtype="float64").run(12 * ms).final
    w = float(final.synapses("syn")["w"][0])
    assert w - 0.5 == pytest.approx(0.01 * np.exp(-4 / 20), rel=1e-9)


def test_a_synapse_adds_to_a_part_of_the_post_neuron_and_weights_give_w():
    text = """
    import "synapses.nfl"
    neuron Clock {
        parameters { T = 5*ms }
        equations { dc/dt = 1/T : 1 }
        threshold: c > 1
        reset: c -= 1
    }
    neuron N {
        equations { dv/dt = (-v + exc.I/nS)/(10*ms) : volt }
        threshold: v > 1000*mV
        exc = ExpConductance()
    }
    synapse S {
        equations {
            w : siemens
            n : 1
        }
        on_pre {
            exc.g += w*(1 - n)
            n += 0.1
        }
        on_post: n = n*0.5
    }
    network n {
        population A[2] = Clock()
        population B[3] = N()
        projection s: A -> B { synapse: S(); weights: 2*nS }
    }
    """
    model = build(text).model
    assert "on_pre exc_g += w*(1.0 - n)" in nf.ir.print(model)
    final = nf.compile(model, dt=0.1 * ms, dtype="float64").run(12 * ms).final
    assert final.synapses("s")["w"] == pytest.approx([2.0] * 6)
    assert final.synapses("s")["n"] == pytest.approx([0.2] * 6)  # two pre spikes, no post spike
    assert (final.population("B")["exc_g"] > 0).all()  # the part's conductance received the spikes


def test_docs_synapse_example_is_the_standard_librarys_stdp():
    from tests.frontend.test_dsl import DOC_BLOCKS
    block = next(b for b in DOC_BLOCKS if b.startswith("synapse STDP"))
    neurons = (EXAMPLES / "stdp.nfl").read_text().split("network stdp")[0].replace(
        'import "plasticity.nfl"', "")
    model = build(neurons + block).model
    library = (ROOT / "neuroflow" / "stdlib" / "plasticity.nfl").read_text()
    assert block.split("network plastic")[0].strip() in library
    assert "projection stdp" in nf.ir.print(model)
    nf.compile(model, dt=0.1 * ms)


# ---- errors -----------------------------------------------------------------------------------

NET = """
network n {
    population S[1] = Clock()
    population Q[1] = Sink()
    projection S -> Q { PROJECTION }
}
"""


def net_with(projection: str, synapse: str = STDP) -> str:
    return NEURONS + synapse + NET.replace("PROJECTION", projection)


def test_unknown_names_in_a_synapse_are_reported_with_their_place():
    message = errors_of(net_with("synapse: Pair()", STDP.replace("apre += Apre", "apre += Aprr")))
    assert ("model.nfl:" in message and "unknown name 'Aprr'" in message
            and "did you mean 'Apre'" in message)


def test_a_synapse_reads_the_post_neurons_variables_as_brian2_does():
    """A bare name of the post neuron is its variable (`v` is `v_post`), as in Brian2."""
    model = build(net_with("synapse: Pair()", STDP.replace("apre += Apre", "apre += 2*v")))
    assert "on_pre apre += 2.0*v_post" in nf.ir.print(model.model)


def test_on_pre_writes_a_synapse_or_a_post_variable():
    message = errors_of(net_with("synapse: Pair()", STDP.replace("ge += w", "gee += w")))
    assert "writes 'gee'" in message and "neuron 'Sink'" in message and "'ge'" in message


def test_on_post_writes_synapse_variables_only():
    message = errors_of(net_with("synapse: Pair()", STDP.replace("apost += Apost", "v += 1")))
    assert "the on_post of synapse 'Pair' writes 'v'" in message


@pytest.mark.parametrize("projection, expected", [
    ("synapse: Pairs()", "unknown synapse 'Pairs'"),
    ("synapse: Sink()", "'Sink' is a neuron; a projection's 'synapse:' names a synapse"),
    ("synapse: Pair(); on_pre: ge += 1", "has a synapse and an 'on_pre'"),
    ("on_pre { ge += 1; v += 1 }", "the on_pre of a projection is one statement, got 2"),
    ("on_pre: ge += 1; initial { w = 1 }", "initial values but no synapse"),
    ("synapse: Pair(); initial { wmax = 1 }",
     "'wmax' is a parameter of synapse 'Pair', not a variable"),
    ("synapse: Pair(); initial { ww = 1 }", "synapse 'Pair' has no parameter or variable 'ww'"),
    ("synapse: Pair(wmax = uniform(0, 1))", "one value shared by all synapses"),
    ("synapse: Pair(wmax = w)", "'w' is a variable of synapse 'Pair'"),
    ("synapse: Pair(); delay: uniform(1*ms, 2*ms)", "one delay for all synapses"),
    ("synapse: Pair(taupre = 20)", "parameter 'taupre' is in 1 but its default is in ms"),
])
def test_projection_errors(projection, expected):
    assert expected in errors_of(net_with(projection))


def test_an_override_in_the_wrong_unit_is_reported_at_the_override():
    message = errors_of(net_with("synapse: Pair(taupre = 20)")).splitlines()
    assert message[0].startswith("model.nfl:42:39: parameter 'taupre' is in 1")
    assert message[1] == "        projection S -> Q { synapse: Pair(taupre = 20) }"
    assert message[2] == " " * 42 + "^"
    assert message[3] == "hint: multiply the number by its unit, e.g. 20*ms"


@pytest.mark.parametrize("change, expected", [
    (("on_pre {", "threshold: w > 1\n    on_pre {"), "synapse 'Pair' cannot have a 'threshold'"),
    (("on_pre {", "L = Leak()\n    on_pre {"), "synapse 'Pair' cannot have parts"),
])
def test_a_synapse_holds_what_synapses_hold(change, expected):
    assert expected in errors_of(net_with("synapse: Pair()", STDP.replace(*change)))


def test_only_synapses_have_on_pre_and_are_used_by_projections():
    neuron = NEURONS.replace("reset: c -= 1", "reset: c -= 1\n    on_pre { c += 1 }")
    assert "neuron 'Clock' cannot have 'on_pre'" in errors_of(
        neuron + STDP + NET.replace("PROJECTION", "synapse: Pair()"))
    text = NEURONS + STDP + "network n {\n population P[1] = Pair()\n}\n"
    assert "'Pair' is a synapse; a population is made of neurons" in errors_of(text)


def test_a_library_reports_unknown_names_in_its_synapses():
    message = errors_of("""
    synapse S {
        parameters { tau = 5*ms }
        equations {
            w : 1
            dx/dt = -x/tauu : 1 (event-driven)
        }
        on_pre: ge += w*y
    }
    """)
    assert "unknown name 'tauu' in synapse 'S'" in message and "did you mean 'tau'" in message
    assert "unknown name 'y'" in message and "2 errors" in message
