"""What a careless builder call gets: a neuroflow error that names the thing and says what to
write, never a bare TypeError or ValueError (issue 17)."""
import pytest

import neuroflow as nf


@pytest.fixture
def net():
    net = nf.Network()
    return net, net.population("P", 10, "dv/dt = -v/(10*ms) : 1", threshold="v > 1")


@pytest.mark.parametrize("make, message", [
    (lambda: nf.fixed_prob(1.5), r"must be in \[0, 1\], got 1.5"),
    (lambda: nf.fixed_prob(float("nan")), r"must be in \[0, 1\], got nan"),
    (lambda: nf.fixed_fan_in(2.5), "must be an integer, got 2.5"),
])
def test_bad_connectivity_rules(make, message):
    with pytest.raises(nf.ModelError, match=message):
        make()


@pytest.mark.parametrize("view, message", [
    (slice(5, 50), r"P\[5:50\] reaches past the 10 neurons"),
    (slice(None, None, 2), r"sliced with \[start:stop\], got \[::2\]"),
    (slice(-20, None), "reaches past"),
    (3, r"sliced with \[start:stop\], got \[3\]"),
])
def test_views_must_lie_inside_the_population(net, view, message):
    _, population = net
    with pytest.raises(nf.ModelError, match=message):
        population[view]
    assert population[-3:].start == 7  # a view from the end is fine


def test_a_name_where_a_population_is_expected(net):
    network, population = net
    with pytest.raises(nf.ModelError, match="'P' is a name; a projection takes the population"):
        network.projection("P", population, on_pre="v += 1")


@pytest.mark.parametrize("call", [
    lambda network: nf.compile(network.build(), dt="0.1"),
    lambda network: network.population("Q", 3, "dv/dt = -v/tau : 1", params={"tau": "10"}),
])
def test_strings_for_numbers(net, call):
    network, _ = net
    with pytest.raises(nf.ModelError, match="must be a number, a quantity"):
        call(network)


@pytest.mark.parametrize("equations, params", [
    ("d_x/dt = -_x/(10*ms) : 1", {}),
    ("d__LINE__/dt = -__LINE__/(10*ms) : 1", {}),
    ("dv/dt = -v/_tau : 1", {"_tau": 10.0}),
])
def test_names_neuroflow_keeps_for_itself_are_refused(equations, params):
    # they used to be accepted, and such a variable never changed
    with pytest.raises(nf.ModelError, match="starts with '_'"):
        nf.Network().population("P", 2, equations, params=params)


def test_names_neuroflow_keeps_are_refused_in_model_files_with_their_line():
    text = ("neuron N {\n    equations {\n        d_x/dt = -_x/(10*ms) : 1\n    }\n}\n"
            "network n { population P[2] = N() }\n")
    with pytest.raises(nf.NeuroflowError, match="starts with '_'") as caught:
        nf.load_text(text)
    assert caught.value.loc is not None and caught.value.loc.line == 3


@pytest.mark.parametrize("value, column", [("1e309", 19), ("amp**1e309", 24), ("2*1e309*mV", 21)])
def test_a_number_beyond_floats_is_a_located_error(value, column):
    text = ("neuron N {\n parameters { a = " + value + " }\n"
            " equations { dv/dt = -v/(10*ms) : 1 }\n}\nnetwork n { population P[3] = N() }\n")
    with pytest.raises(nf.ParseError, match="1e309 is too large") as caught:
        nf.load_text(text)
    assert (caught.value.loc.line, caught.value.loc.column) == (2, column)
    with pytest.raises(nf.ParseError, match="1e400 is too large"):
        nf.Network().population("P", 2, "dv/dt = -v/(1e400*ms) : 1")


def test_a_population_of_another_network(net):
    network, population = net
    other = nf.Network("other")
    stranger = other.population("Q", 4, "dv/dt = -v/(10*ms) : 1")
    with pytest.raises(nf.ModelError, match="'Q' is not one of network 'network'"):
        network.projection(stranger, population, on_pre="v += 1")
