"""Summed variables in the Python builder: what becomes a coupling, and the mistakes it reports
(with the line of the model string they are in)."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.units import ms

NEURON = "dx/dt = (-x + I)/(10*ms) : 1\nI : 1\nv : volt"


def build(model: str, neuron: str = NEURON, **kwargs):
    net = nf.Network("net")
    G = net.population("G", 4, neuron)
    net.projection(G, G, model=model, **{"weights": 0.5, **kwargs})
    return nf.compile(net.build(), dt=0.1 * ms)


def test_bare_names_are_the_post_neurons_and_params_are_constants():
    sim = build("w : 1\nI_post = w*(x_pre - x)*k : 1 (summed)", params=dict(k=2.0))
    assert "summed I = {w*(x_pre - x_post)*2.0}" in sim.ir


def test_an_undeclared_target_becomes_a_variable_of_the_post_population():
    sim = build("w : 1\nJ_post = w*x_pre : 1 (summed)", "dx/dt = -x/(10*ms) : 1")
    assert "state G.J : float[4]<1> = 0.0" in sim.ir


def test_weights_can_come_from_init():
    sim = build("w : 1\nI_post = w*x_pre : 1 (summed)", weights=None,
                init=dict(w=np.full(16, 0.25)))
    assert "w:float[16]<1>=[0.25," in sim.ir


@pytest.mark.parametrize("model, kwargs, message, line", [
    ("w : 1\nI_post = w*x_pre : 1 (summed)", dict(on_pre="x += w"),
     "has on_pre, but no clock-driven variable", None),
    ("w : 1\nI_post = w*x_pre : 1 (summed)", dict(on_post="x += w"), "has summed variables and"
     " on_post", None),
    ("w : 1\nds/dt = -s*w/(5*ms) : 1 (clock-driven)\nI_post = w*s : 1 (summed)", {},
     "read 'w', which differs between the synapses", 2),
    ("w : 1\nI_post = w*y_pre : 1 (summed)", {}, "unknown name 'y_pre'", 2),
    ("w : 1\nI_post = w*v_pre : 1 (summed)", {}, "sums values in", 2),
    ("w : 1\nx_post = w*x_pre : 1 (summed)", {}, "has a differential equation of its own", 2),
    ("w : 1\nI_post = w*x_pre : 1 (summed)\nI_post = w : 1 (summed)", {},
     "sums into 'I_post' twice", 3),
    ("w : 1\nI = w*x_pre : 1 (summed)", {}, "must name a variable of the post neuron", 2),
    ("w : 1\ng : 1\nI_post = w*x_pre : 1 (summed)", {}, "one variable, their weight", 2),
    ("w : 1\nI_post = w*x_pre : 1 (summed)", dict(delay=1 * ms), "not delayed", None),
    ("w : 1\nI_post = w*x_pre : 1 (summed)", dict(kernel="event"), "not 'event'", None),
])
def test_mistakes_are_model_errors_with_their_line(model, kwargs, message, line):
    with pytest.raises(nf.ModelError, match=message) as caught:
        build(model, **kwargs)
    if line is not None:
        assert caught.value.loc is not None and caught.value.loc.line == line


def test_a_summed_line_belongs_to_a_synapse_model():
    with pytest.raises(nf.ModelError, match="only a synapse model"):
        build("w : 1\nI_post = w*x_pre : 1 (summed)", NEURON + "\nJ = x : 1 (summed)")


def test_a_parameter_is_no_target():
    net = nf.Network("net")
    G = net.population("G", 4, "dx/dt = -x/(10*ms) : 1\nI : 1 (shared)", params=dict(I=0.0))
    net.projection(G, G, model="w : 1\nI_post = w*x_pre : 1 (summed)", weights=0.5)
    with pytest.raises(nf.ModelError, match="'I', which is not a variable of 'G'"):
        nf.compile(net.build(), dt=0.1 * ms)


def test_the_coupling_round_trips_through_the_ir_text():
    sim = build("w : 1\nI_post = w*(x_pre - x_post) : 1 (summed)", connect=ir.FixedProb(0.5))
    text = sim.ir
    assert ir.print(ir.parse_text(text)) == text


def test_a_clock_driven_equation_in_a_plastic_synapse_is_located():
    """Plastic (spike-driven) synapses evolve only at events: (clock-driven) is refused there."""
    net = nf.Network("net")
    G = net.population("G", 4, NEURON, threshold="x > 1", reset="x = 0")
    with pytest.raises(nf.ModelError, match="must be \\(event-driven\\)") as caught:
        net.projection(G, G, "x += w", model="w : 1\nds/dt = -s/(5*ms) : 1 (clock-driven)",
                       init=dict(w=0.5))
    assert caught.value.loc is not None and caught.value.loc.line == 2


def test_random_numbers_in_a_summand_are_refused():
    with pytest.raises(nf.ModelError, match="draws no random numbers"):
        build("w : 1\nI_post = w*x_pre*rand() : 1 (summed)")


def test_a_bare_index_in_a_summand_is_ambiguous():
    with pytest.raises(nf.ModelError, match="'i' in a summed variable is ambiguous") as caught:
        build("w : 1\nI_post = w*i : 1 (summed)")
    assert "i_pre or i_post" in caught.value.hint


def test_the_indices_of_both_sides_are_names_of_the_summand():
    """`I_post = Σ_pre i_pre*w`: with w = 1 all to all, each post neuron gets 0 + 1 + 2 + 3."""
    net = nf.Network("net")
    G = net.population("G", 4, "I : 1")
    net.projection(G, G, model="w : 1\nI_post = w*i_pre + 0*i_post : 1 (summed)", weights=1.0)
    net.monitor(G, "I")
    _, summed = nf.compile(net.build(), dt=0.1 * ms).run(0.2 * ms).trace("G", "I")
    np.testing.assert_allclose(summed[1], [6.0] * 4)


def test_on_pre_of_clock_driven_variables_runs_before_the_pre_neurons_reset():
    """As in Brian2, on_pre (synapses slot) sees v before the reset sets it to 0."""
    net = nf.Network("order")
    A = net.population("A", 1, "dv/dt = 1/(1*ms) : 1", threshold="v > 0.55", reset="v = 0",
                       method="euler")
    B = net.population("B", 1, "g : 1")
    net.projection(A, B, model="w : 1\nds/dt = 0/ms : 1 (clock-driven)\ng_post = w*s : 1"
                   " (summed)", on_pre="s += v_pre", weights=1.0, name="c")
    sim = nf.compile(net.build(), dt=0.1 * ms, dtype="float64")
    assert "reset A : c_s += v; v = 0.0" in sim.ir
    s = sim.run(1 * ms).final.state["pops"]["A"]["c_s"]
    np.testing.assert_allclose(s, [0.6])  # v = 0.6 when it first exceeds 0.55, in step 5
