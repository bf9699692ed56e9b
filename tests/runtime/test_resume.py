"""Resuming a run where it ended gives the same simulation as one longer run."""
import numpy as np

import neuroflow as nf
from neuroflow.units import ms
from tests.conftest import load_example


def test_two_halves_equal_one_run():
    sim = nf.compile(load_example("coba")["model"], dt=0.1 * ms)
    whole = sim.run(200 * ms, seed=5)
    first = sim.run(100 * ms, seed=5)
    second = sim.run(100 * ms, resume=first.final)
    assert second.t_start_ms == 100.0 and first.final.t_ms == 100.0
    joined = nf.Results.concatenate([first, second])
    for a, b in zip(joined.spikes("P"), whole.spikes("P")):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(joined.trace("P", "v")[1], whole.trace("P", "v")[1])
    np.testing.assert_array_equal(second.trace("P", "v")[0], whole.trace("P", "v")[0][1000:])


def test_final_state_is_readable():
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms, dtype="float64")
    final = sim.run(50 * ms).final
    v = final.population("G")["v"]
    assert v.shape == (41,) and np.all(v <= -50.0)  # below threshold after the last update


def test_final_weights_of_a_plastic_projection():
    net = nf.Network("stdp")
    pre = net.population("In", 50, threshold="rand() < 20*Hz*dt")
    post = net.population("Out", 5, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    net.projection(pre, post, "v += w\napre += 0.01\nw = clip(w + apost, 0, 0.5)", name="syn",
                   model="w : 1\ndapre/dt = -apre/(20*ms) : 1 (event-driven)\n"
                         "dapost/dt = -apost/(20*ms) : 1 (event-driven)",
                   on_post="apost += -0.0105\nw = clip(w + apre, 0, 0.5)",
                   init=dict(w=0.25), connect=nf.all_to_all())
    results = nf.compile(net.build(), dt=0.1 * ms).run(500 * ms, seed=1)
    w = results.final.synapses("syn")["w"]
    assert w.shape == (250,)
    assert np.all((w >= 0) & (w <= 0.5)) and not np.allclose(w, 0.25)  # STDP moved the weights
