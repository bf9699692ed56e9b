"""Spike generators (Brian2's SpikeGeneratorGroup, NEST's spike_generator): the step a time falls
in, the step its spike arrives at through a projection (checked against steps computed by hand),
the same model from the builder and from a model file, the IR text, and the errors."""
import textwrap

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.frontend import load_text
from neuroflow.units import mV, ms, second

DT = 0.1
# (time in ms, neuron) and the step each falls in, by hand: floor(t/dt + 0.001)
ENTRIES = [(2.0, 1), (0.0, 0), (0.3, 1), (1.0, 0), (1.05, 2), (2.0, 2), (2.0999, 0)]
STEPS = {(0.0, 0): 0, (0.3, 1): 3, (1.0, 0): 10, (1.05, 2): 10, (2.0, 1): 20, (2.0, 2): 20,
         (2.0999, 0): 21}  # 0.3/0.1 is 2.9999999999999996 in floats: still step 3; 2.0999: 20.999


def network(delay: float, kernel: str = "auto") -> nf.Network:
    net = nf.Network("generated")
    times, indices = zip(*ENTRIES)  # unsorted: the builder sorts them
    source = net.spike_generator("S", times=np.array(times) * ms, indices=list(indices))
    target = net.population("P", 3, "v : volt")
    net.projection(source, target, "v += w", connect=nf.ir.OneToOne(), weights=1 * mV,
                   delay=delay * ms, kernel=kernel)
    net.monitor_spikes(source)
    net.monitor(target, "v")
    return net


def test_each_time_falls_in_the_step_brian2_puts_it_in():
    results = nf.compile(network(0.0).build(), dt=DT * ms).run(3 * ms)
    t, i = results.spikes("S")
    expected = sorted((step, neuron) for (_, neuron), step in STEPS.items())
    assert list(zip(np.round(t / DT).astype(int), i)) == expected


@pytest.mark.parametrize("kernel", ["event", "csr", "dense"])
@pytest.mark.parametrize("delay", [0.0, 1.5])
def test_a_spike_arrives_delay_steps_after_its_step(delay, kernel):
    # the spike of step k is added in the synaptic phase of step k + delay/dt, so a monitor,
    # which records at the start of a step, shows it from step k + delay/dt + 1 on
    results = nf.compile(network(delay, kernel).build(), dt=DT * ms).run(4 * ms)
    t, v = results.trace("P", "v")
    steps = np.round(t / DT).astype(int)
    lag = round(delay / DT)
    for neuron in range(3):
        arrivals = [step + lag for (_, n), step in STEPS.items() if n == neuron]
        expected = [sum(a < s for a in arrivals) for s in steps]
        np.testing.assert_allclose(v[:, neuron], expected, atol=1e-6)


def test_a_model_file_gives_the_builders_ir():
    times, indices = "[2, 0, 0.3, 1, 1.05, 2, 2.0999]*ms", "[1, 0, 1, 0, 2, 2, 0]"
    text = textwrap.dedent(f"""
        network generated {{
            population S = spike_generator(times = {times}, indices = {indices})
            population P[3] = Cell()
            projection S -> P {{
                on_pre: v += 1*mV
                connect: one_to_one
                delay: 1.5*ms
            }}
            monitor spikes S
            monitor P.v
        }}
        neuron Cell {{
            equations {{
                v : volt
            }}
        }}
    """)
    model = load_text(text, "model.nfl").model
    built = network(1.5).build()
    assert nf.ir.print(model).replace("S_to_P_0", "x") == nf.ir.print(built).replace("S_to_P_0",
                                                                                       "x")


def test_a_model_file_may_give_the_size():
    text = ("network n {\n    population S[5] = spike_generator(times = [1]*ms, indices = [2])\n"
            "    monitor spikes S\n}\n")
    model = load_text(text, "model.nfl").model
    assert model.population("S").size == 5


def test_the_ir_text_round_trips_and_is_verified():
    model = network(1.5).build()
    text = nf.ir.print(model)
    line = ("generator S times=[0.0, 0.3, 1.0, 1.05, 2.0, 2.0, 2.0999]"
            " indices=[0, 1, 0, 2, 1, 2, 0]")
    assert line in text.splitlines()
    assert nf.ir.print(nf.ir.parse_text(text)) == text
    nf.ir.verify(nf.ir.parse_text(text))
    unsorted = text.replace("times=[0.0, 0.3", "times=[0.3, 0.0")
    with pytest.raises(nf.ir.IRError, match="sorted by time"):
        nf.ir.verify(nf.ir.parse_text(unsorted))
    outside = text.replace("indices=[0, 1, 0, 2", "indices=[0, 1, 0, 7")
    with pytest.raises(nf.ir.IRError, match="index 7 is outside"):
        nf.ir.verify(nf.ir.parse_text(outside))


def test_a_generator_has_no_threshold_of_its_own():
    text = nf.ir.print(network(0.0).build()).replace(
        "population P size", "threshold S : True\npopulation P size")
    with pytest.raises(nf.ir.IRError, match="spike generator and has a threshold"):
        nf.ir.verify(nf.ir.parse_text(text))


@pytest.mark.parametrize("kwargs, message", [
    (dict(times=[1, -1] * ms, indices=[0, 1]), "negative spike time"),
    (dict(times=[1, 2] * ms, indices=[0, 5], size=3), "has 3 neurons, so no neuron 5"),
    (dict(times=[1, 2] * ms, indices=[0, -1]), "negative neuron index"),
    (dict(times=[1, 2] * ms, indices=[0]), "2 times but 1 indices"),
    (dict(times=[1, 2] * mV, indices=[0, 0]), "must be times"),
    (dict(times=[1, 2] * ms, indices=[0.5, 1]), "whole numbers"),
    (dict(times=[1 * ms, 2 * mV], indices=[0, 0]), "mixes quantities of different dimensions"),
])
def test_mistakes_are_refused_when_the_generator_is_made(kwargs, message):
    with pytest.raises(nf.ir.ModelError, match=message):
        nf.Network("n").spike_generator("S", **kwargs)


def test_a_list_of_quantities_is_an_array_of_times():
    listed = nf.Network("n")
    listed.spike_generator("S", [1 * ms, 2.5 * ms], [0, 1])
    arrayed = nf.Network("n")
    arrayed.spike_generator("S", [1, 2.5] * ms, [0, 1])
    assert nf.ir.print(listed.build(unused_params=True)) == \
        nf.ir.print(arrayed.build(unused_params=True))


def test_two_spikes_of_a_neuron_in_one_step_are_refused_when_dt_is_known():
    net = nf.Network("n")
    net.spike_generator("S", times=[1.0, 1.04] * ms, indices=[0, 0])
    net.monitor_spikes("S")
    model = net.build()
    nf.compile(model, dt=0.01 * ms)  # one per step at this resolution
    with pytest.raises(nf.ir.NeuroflowError, match="spikes twice in the step"):
        nf.compile(model, dt=0.1 * ms)


def test_a_generator_drives_a_long_run_at_its_times():
    # a table of many entries: each step finds its own by binary search
    times = np.arange(1, 2000) * 0.5
    net = nf.Network("n")
    net.spike_generator("S", times=times * ms, indices=np.arange(len(times)) % 4)
    net.monitor_spikes("S")
    t, i = nf.compile(net.build(), dt=DT * ms).run(1 * second).spikes("S")
    np.testing.assert_allclose(t, times, atol=1e-9)
    np.testing.assert_array_equal(i, np.arange(len(times)) % 4)
