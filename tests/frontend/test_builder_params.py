"""Nothing given to the builder is dropped silently: a `params=` entry that no expression reads
(misspelt, most often) and a population that holds nothing are errors that say what to do."""
import pytest

import neuroflow as nf
from neuroflow.frontend import load_text
from neuroflow.passes import run_pipeline
from neuroflow.units import mV, ms

LIF = "dv/dt = (El - v)/tau : volt"


def built(**population):
    net = nf.Network("n")
    net.population("P", 10, **population)
    return net.build()


def error_of(**population) -> nf.ModelError:
    with pytest.raises(nf.ModelError) as info:
        built(**population)
    return info.value


def test_a_misspelt_parameter_is_named_where_the_equations_use_it():
    """The equations read 'tau', which nothing declares: resolve points at it and names the
    parameter given instead."""
    with pytest.raises(nf.ModelError) as info:
        run_pipeline(built(equations=LIF, params=dict(tua=10 * ms, El=-70 * mV)), "resolve")
    assert "unknown name 'tau'" in info.value.message and info.value.loc.column == 18
    assert info.value.hint == "did you mean 'tua'?"


def test_an_unused_parameter_is_named_with_those_the_equations_use():
    err = error_of(equations=LIF, params=dict(tau=10 * ms, El=-70 * mV, Vt=-50 * mV))
    assert "gives 'Vt', which no equation" in err.message and "population 'P'" in err.message
    assert err.hint.endswith("the parameters its equations use: El, tau")


def test_a_parameter_spelt_like_a_used_one_is_pointed_at():
    err = error_of(equations=LIF, params=dict(tau=10 * ms, El=-70 * mV, tauu=5 * ms))
    assert "'tauu'" in err.message and err.hint.startswith("did you mean 'tau'?")


def test_parameters_read_by_a_threshold_a_reset_or_a_projection_are_used():
    net = nf.Network("n")
    pre = net.population("A", 2, LIF + "\nge : 1", threshold="v > Vt", reset="v = Vr",
                         params=dict(tau=10 * ms, El=-70 * mV, Vt=-50 * mV, Vr=-65 * mV))
    post = net.population("B", 2, "dv/dt = -v/(10*ms) : volt\nge : 1", params=dict(scale=2.0))
    net.projection(pre, post, on_pre="ge += w*scale_post", connect=nf.all_to_all(), weights=0.5)
    assert {p.name for p in net.build().find(nf.ir.Parameter)} >= {"Vt", "Vr", "scale"}


def test_an_unused_synapse_parameter_is_an_error():
    net = nf.Network("n")
    pre = net.population("A", 2, LIF, threshold="v > El", params=dict(tau=10 * ms, El=-70 * mV))
    post = net.population("B", 2, "ge : 1")
    net.projection(pre, post, on_pre="ge += w\napre += Apre", model="w : 1\napre : 1",
                   params=dict(Apre=0.01, taupre=20 * ms), connect=nf.all_to_all())
    with pytest.raises(nf.ModelError) as info:
        net.build()
    assert "'taupre'" in info.value.message and "projection" in info.value.message
    assert info.value.hint.endswith("use: Apre")


def test_an_empty_equation_string_is_an_error():
    err = error_of(equations="")
    assert "no equations and no threshold" in err.message
    assert "spike_generator" in err.hint and "poisson_group" in err.hint


def test_spike_sources_without_equations_are_fine():
    net = nf.Network("n")
    net.spike_generator("S", [1.0, 2.0] * ms)
    net.poisson_group("G", 5, 10.0)
    net.population("T", 3, "", threshold="rand() < 0.01")
    assert len(net.build().populations) == 3


def test_an_empty_neuron_in_a_model_file_is_located():
    text = "neuron Empty {\n}\nnetwork n {\n    population P[3] = Empty()\n}\n"
    with pytest.raises(nf.ModelError) as info:
        load_text(text, "empty.nfl")
    assert (info.value.loc.line, info.value.loc.column) == (4, 5)


def test_a_parameter_the_equations_declare_may_go_unused():
    model = built(equations=LIF + "\nh : 1 (constant)", params=dict(tau=10 * ms, El=-70 * mV, h=3))
    assert "h" in {p.name for p in model.find(nf.ir.Parameter)}
