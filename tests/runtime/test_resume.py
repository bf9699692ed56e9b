"""Resuming a run where it ended gives the same simulation as one longer run."""
import numpy as np
import pytest

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
    results = sim.run(50 * ms)
    v = results.final.population("G")["v"]
    assert v.shape == (41,) and np.all(v <= -50.0)  # below threshold after the last update
    # neuron i gets I = i mV: below 20 mV it stays under the threshold (-70 + I < -50) and
    # never resets, so its v is the exact solution of the linear equation from -70 mV
    quiet = np.arange(20)
    assert np.all(results.spike_counts("G")[quiet] == 0)
    np.testing.assert_allclose(v[quiet], -70.0 + quiet * (1 - np.exp(-50.0 / 10.0)),
                               rtol=0, atol=1e-12)


def stdp_network() -> nf.Network:
    """Poisson inputs onto five neurons through STDP synapses (weights that change)."""
    net = nf.Network("stdp")
    pre = net.population("In", 50, threshold="rand() < 20*Hz*dt")
    post = net.population("Out", 5, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    net.projection(pre, post, "v += w\napre += 0.01\nw = clip(w + apost, 0, 0.5)", name="syn",
                   model="w : 1\ndapre/dt = -apre/(20*ms) : 1 (event-driven)\n"
                         "dapost/dt = -apost/(20*ms) : 1 (event-driven)",
                   on_post="apost += -0.0105\nw = clip(w + apre, 0, 0.5)",
                   init=dict(w=0.25), connect=nf.all_to_all())
    net.monitor_spikes(post)
    return net


def test_final_weights_of_a_plastic_projection():
    results = nf.compile(stdp_network().build(), dt=0.1 * ms).run(500 * ms, seed=1)
    w = results.final.synapses("syn")["w"]
    assert w.shape == (250,)
    assert np.all((w >= 0) & (w <= 0.5)) and not np.allclose(w, 0.25)  # STDP moved the weights


def test_a_run_resumed_from_a_file_equals_one_run(tmp_path):
    # plastic synapses too: their weights are state the file must carry
    net = stdp_network()
    sim = nf.compile(net.build(), dt=0.1 * ms)
    whole = sim.run(400 * ms, seed=3)
    path = sim.run(200 * ms, seed=3).save(tmp_path / "first.npz")
    # in another process there is only the file, and the model compiled again
    first = nf.Results.load(path)
    second = nf.compile(net.build(), dt=0.1 * ms).run(200 * ms, resume=first.final)
    joined = nf.Results.concatenate([first, second])
    for a, b in zip(joined.spikes("Out"), whole.spikes("Out")):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(second.final.synapses("syn")["w"],
                                  whole.final.synapses("syn")["w"])


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    first = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms).run(10 * ms)
    other = nf.compile(load_example("coba")["model"], dt=0.1 * ms)
    with pytest.raises(nf.ModelError, match="another model"):
        other.run(10 * ms, resume=first.final)


def test_a_file_of_an_older_state_layout_loads_but_is_not_resumed(tmp_path):
    # A file from before spike rings gained a row: same model text, rings one row shorter.
    # Resuming it would index the shorter rings with clamped indices: it must be refused.
    net = nf.Network("n")
    P = net.population("P", 20, "dv/dt = (1.2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    net.projection(P, P, "v += 0.01", connect=nf.FixedProb(0.3), delay=2 * ms)
    net.monitor_spikes(P)
    sim = nf.compile(net.build(), dt=0.1 * ms)
    path = sim.run(20 * ms, seed=1).save(tmp_path / "old.npz")
    with np.load(path) as npz:
        data = {key: npz[key] for key in npz.files if key != "final.layout"}
    for key in [k for k in data if k.startswith("final.state/buffers/")]:
        data[key] = data[key][1:]
    np.savez(path, **data)
    old = nf.Results.load(path)  # its results still read
    assert old.final.layout == 1 and len(old.spikes("P")[0]) > 0
    with pytest.raises(nf.ModelError, match="layout 1"):
        sim.run(10 * ms, resume=old.final)
    sim.run(10 * ms, resume=nf.Results.load(sim.run(20 * ms, seed=1).save(tmp_path / "new.npz"))
            .final)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "sizes"])
def test_a_damaged_or_foreign_file_is_one_clear_error(tmp_path, damage):
    path = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms).run(10 * ms).save(
        tmp_path / "r.npz")
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "foreign":
        np.savez(path, x=np.arange(3))
    else:
        with np.load(path) as data:
            arrays = dict(data)
        arrays["meta.sizes"] = -arrays["meta.sizes"]
        np.savez(path, **arrays)
    with pytest.raises(nf.runtime.ResultsError, match="r.npz"):
        nf.Results.load(path)
