"""Synaptic delays: ring buffers of whole steps, exact arrival times, changes without
recompiling."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.passes.delays import DelayRoundingWarning
from neuroflow.units import ms
from tests.passes.irtext import after

DT = 0.1


def chain(delay, n=4):
    """One pre population firing once, at step 10, into a counter population."""
    net = nf.Network("chain")
    a = net.population("A", n, threshold="t >= 0.95*ms and t < 1.05*ms")
    b = net.population("B", n, "x : 1")
    net.projection(a, b, "x += w", weights=1.0, connect=nf.one_to_one(), delay=delay, name="syn")
    net.monitor(b, "x")
    return net.build()


def arrival_steps(model, **run):
    results = nf.compile(model, dt=DT * ms, dtype="float64").run(5 * ms, **run)
    t, x = results.trace("B", "x")
    # the monitor records the start of a step: input delivered in step s shows at step s + 1
    return np.array([np.argmax(x[:, k] > 0) - 1 for k in range(x.shape[1])])


@pytest.mark.parametrize("delay_ms", [0.0, 0.1, 0.5, 1.7, 3.0])
def test_homogeneous_delay_is_exact_in_steps(delay_ms):
    steps = arrival_steps(chain(delay_ms * ms))
    assert np.all(steps == 10 + round(delay_ms / DT))


def test_delay_rounding_rule_warns():
    with pytest.warns(DelayRoundingWarning, match="rounded to 3 steps"):
        steps = arrival_steps(chain(0.26 * ms))
    assert np.all(steps == 13)
    with pytest.warns(DelayRoundingWarning, match="rounded to 1 steps"):
        steps = arrival_steps(chain(0.05 * ms))  # halves round up
    assert np.all(steps == 11)


def test_heterogeneous_delays_arrive_in_their_slots_and_change_without_recompiling():
    model = chain(nf.uniform(0.0 * ms, 2.0 * ms), n=400)
    sim = nf.compile(model, dt=DT * ms, dtype="float64")
    assert "buffer syn kind=input steps=20" in sim.ir
    drawn = np.asarray(sim.program.initial(0)[2]["syn"]["delays"])[:400, 0]
    assert drawn.min() >= 0 and drawn.max() <= 20 and len(np.unique(drawn)) > 15
    results = sim.run(5 * ms, seed=0)
    t, x = results.trace("B", "x")
    arrived = np.array([np.argmax(x[:, k] > 0) - 1 for k in range(400)])
    np.testing.assert_array_equal(arrived, 10 + drawn)
    # counts per delay slot match the drawn delays
    np.testing.assert_array_equal(np.bincount(arrived - 10, minlength=21),
                                  np.bincount(drawn, minlength=21))
    traces = sim.trace_count
    given = np.arange(400) % 21 * DT
    results = sim.run(5 * ms, seed=0, params={"syn.delay": given * ms})
    assert sim.trace_count == traces
    t, x = results.trace("B", "x")
    arrived = np.array([np.argmax(x[:, k] > 0) - 1 for k in range(400)])
    np.testing.assert_array_equal(arrived, 10 + np.arange(400) % 21)


def test_delays_beyond_the_compiled_buffer_are_refused():
    sim = nf.compile(chain(nf.uniform(0.0 * ms, 1.0 * ms)), dt=DT * ms)
    with pytest.raises(nf.NeuroflowError, match="do not fit the buffer"):
        sim.run(1 * ms, params={"syn.delay": np.full(4, 2.0) * ms})
    homogeneous = nf.compile(chain(1.0 * ms), dt=DT * ms)
    with pytest.raises(nf.ModelError, match="one delay for all synapses"):
        homogeneous.run(1 * ms, params={"syn.delay": 2.0 * ms})


def test_unbounded_delay_distributions_are_rejected():
    with pytest.raises(nf.ModelError, match="no upper bound"):
        nf.compile(chain(nf.exponential(2.0 * ms)), dt=DT * ms)
    with pytest.raises(nf.ModelError, match="delay must be >= 0"):
        nf.compile(chain(nf.normal(2.0 * ms, 0.5 * ms)), dt=DT * ms)


# ---- text in, text out ---------------------------------------------------------------------------
# A projection line is long: a backslash at the end of a line continues it.

DELAYED = """\
neuroflow-ir 1
model chain
population A size=4 method=auto
state A.v : float[4]<1> = 0.0
param A.d : float[4]<ms> = [0.5, 1.25, 0.3, 0.0]
threshold A : v(t - d) > 1.0
population B size=4 method=auto
state B.x : float[4]<1> = 0.0
projection now : A[0:4] -> B[0:4] connect=one_to_one() w:float[]<1>=1.0 on_pre={x += w} \
delay=0.0 kernel=auto
projection later : A[0:4] -> B[0:4] connect=one_to_one() w:float[]<1>=1.0 on_pre={x += w} \
delay=1.5 kernel=auto
projection drawn : A[0:4] -> B[0:4] connect=one_to_one() w:float[]<1>=1.0 on_pre={x += w} \
delay=uniform(0.0, 2.0) kernel=auto
projection given : A[0:4] -> B[0:4] connect=one_to_one() w:float[]<1>=1.0 on_pre={x += w} \
delay=[0.1, 0.4, 0.2, 0.3] kernel=auto
clock dt=0.1
"""

# The pass only adds buffers (dt = 0.1 ms):
# - A.v is read 1.25 ms = 12.5 steps in the past at most; interpolation reads steps 12 and 13;
# - `now` has no delay and no buffer;
# - `later`: one delay for all synapses, 1.5 ms = 15 steps: the pre spikes are buffered;
# - `drawn`, `given`: one delay per synapse: the post inputs are buffered, as long as the largest
#   delay possible, 2.0 ms = 20 steps for uniform(0.0, 2.0) and 0.4 ms = 4 steps for the list.
BUFFERS = """\
buffer A.v kind=history steps=13
buffer later kind=spikes steps=15
buffer drawn kind=input steps=20
buffer given kind=input steps=4
"""


def test_delays_become_buffers_of_spikes_inputs_or_history():
    assert after(DELAYED, "delays") == DELAYED + BUFFERS
    assert after(DELAYED + BUFFERS, "delays") == DELAYED + BUFFERS  # buffers are made anew


def test_a_delay_between_steps_is_rounded_half_up_with_a_warning():
    text = DELAYED.replace("delay=1.5 kernel", "delay=0.25 kernel")
    with pytest.warns(DelayRoundingWarning, match="0.25 ms .* rounded to 3 steps"):
        out = after(text, "delays")
    assert out == text + BUFFERS.replace("later kind=spikes steps=15", "later kind=spikes steps=3")


def test_delay_rounding_is_said_where_the_model_file_gives_the_delay():
    text = ("neuron N {\n equations { dv/dt = -v/(10*ms) : 1 }\n threshold: v > 1\n}\n"
            "network n {\n population P[2] = N()\n projection P -> P {\n"
            "  on_pre: v += 1\n  delay: 0.26*ms\n }\n}\n")
    model = nf.load_text(text, origin="chain.nfl").model
    with pytest.warns(DelayRoundingWarning, match=r"0.26 ms .* rounded to 3 steps \(0.3 ms\)") \
            as caught:
        nf.compile(model, dt=DT * ms)
    assert caught[0].filename == "chain.nfl" and caught[0].lineno > 1


# ---- one ring of spikes per population -----------------------------------------------------------

ALSO = ("projection also : A[1:4] -> B[0:3] connect=one_to_one() w:float[]<1>=1.0"
        " on_pre={x += w} delay=0.3 kernel=auto\n")


def test_projections_from_one_population_share_its_spikes_ring():
    """`later` (15 steps) and `also` (3 steps) leave A: one ring of A's spikes as long as the
    longer delay, listing both with their delays; `share=false` keeps one ring each."""
    text = DELAYED.replace("clock dt=0.1\n", ALSO + "clock dt=0.1\n")
    shared = BUFFERS.replace("buffer later kind=spikes steps=15",
                             "buffer A kind=spikes steps=15 readers=[later:15, also:3]")
    assert after(text, "delays") == text + shared
    assert after(text + shared, "delays") == text + shared  # the printed ring reads back
    apart = text + BUFFERS + "buffer also kind=spikes steps=3\n"
    assert after(text, "delays{share=false}") == apart


def test_a_shared_ring_that_names_a_projection_of_another_population_is_refused():
    text = DELAYED + "buffer B kind=spikes steps=15 readers=[later:15]\n"
    with pytest.raises(nf.IRError, match="'later' is not a projection from 'B'"):
        nf.ir.verify(nf.ir.parse_text(text))


def fan_out():
    """A fires once, at step 10; three projections from slices of A, with three delays."""
    net = nf.Network("fan_out")
    a = net.population("A", 6, threshold="t >= 0.95*ms and t < 1.05*ms")
    b = net.population("B", 3, "x : 1\ny : 1\nz : 1")
    net.projection(a[0:3], b, "x += w", weights=1.0, connect=nf.one_to_one(), delay=0.2 * ms)
    net.projection(a[3:6], b, "y += w", weights=1.0, connect=nf.one_to_one(), delay=1.1 * ms)
    net.projection(a[2:5], b, "z += w", weights=1.0, connect=nf.one_to_one(), delay=0.5 * ms)
    for var in "xyz":
        net.monitor(b, var)
    return net.build()


def test_readers_of_a_shared_ring_receive_the_spikes_after_their_own_delays():
    sim = nf.compile(fan_out(), dt=DT * ms, dtype="float64")
    assert "buffer A kind=spikes steps=11 readers=[" in sim.ir
    results = sim.run(3 * ms)
    for var, delay_steps in (("x", 2), ("y", 11), ("z", 5)):
        x = results.trace("B", var)[1]
        assert np.all(np.argmax(x > 0, axis=0) - 1 == 10 + delay_steps), var


def random_network(pipeline: str):
    """A small E/I network with Poisson drive: spike, event, all-to-all and one-to-one
    projections, delayed by 1.5, 0.7 and 0.5 ms from slices of one population."""
    net = nf.Network("ei")
    p = net.population("P", 300, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                       refractory=2 * ms)
    net.poisson_input(p, "v", N=100, rate=120 * nf.units.Hz, weight=0.1)
    net.projection(p[0:240], p, "v += w", weights=0.05, connect=nf.fixed_prob(0.1),
                   delay=1.5 * ms)
    net.projection(p[240:300], p, "v -= w", weights=0.01, connect=nf.all_to_all(),
                   delay=0.7 * ms)
    net.projection(p[0:300], p, "v += w", weights=0.2, connect=nf.one_to_one(), delay=0.5 * ms)
    net.monitor_spikes(p)
    return nf.compile(net.build(), dt=DT * ms, pipeline=pipeline)


def test_a_shared_ring_gives_the_spikes_of_one_ring_per_projection():
    default = nf.passes.DEFAULT_PIPELINE
    shared = random_network(default)
    apart = random_network(default.replace("delays", "delays{share=false}"))
    assert "buffer P kind=spikes steps=15 readers=[" in shared.ir
    assert "readers=" not in apart.ir
    ours, theirs = (sim.run(30 * ms, seed=3).spikes("P") for sim in (shared, apart))
    assert len(ours[0]) > 100
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
