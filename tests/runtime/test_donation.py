"""Chunks donate their state: the NaN guard still replays the failing chunk (reached again
from the run's start), and a checkpoint stays usable however often it is resumed."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.units import mV, ms
from tests.conftest import load_example
from tests.references import steps_to_overflow


def blowup(chunk_steps: int):
    """v' = v^2/tau from v0 = 0.05 mV (Euler, dt 0.5 ms) becomes inf after about 20 ms."""
    net = nf.Network("blowup")
    net.population("P", 4, "dv/dt = v**2/(tau*mV) : volt", params=dict(tau=1 * ms),
                   init=dict(v=np.array([0.0, 0.0, 0.05, 0.0]) * mV), method="euler")
    net.monitor("P", "v")
    return nf.compile(net.build(), dt=0.5 * ms, dtype="float32", chunk_steps=chunk_steps)


def failure_time(sim, duration, **options) -> float:
    with pytest.raises(nf.SimulationError) as info:
        sim.run(duration, **options)
    message = str(info.value)
    assert "P.v" in message and "neuron 2" in message
    return float(message.split("t = ")[1].split(" ms")[0])


def test_nan_in_a_late_chunk_is_found_at_the_same_step():
    t_one_chunk = failure_time(blowup(1000), 100 * ms)
    # the message names the step that made v non-finite, which starts at (steps - 1) * dt
    steps = steps_to_overflow(0.05, 0.5)
    assert steps == 50
    assert t_one_chunk == (steps - 1) * 0.5
    assert failure_time(blowup(3), 100 * ms) == t_one_chunk  # many chunks before the bad one


def test_nan_after_resuming_is_found_at_the_same_step():
    t_one_chunk = failure_time(blowup(1000), 100 * ms)
    sim = blowup(3)
    first = sim.run(5 * ms)
    assert failure_time(sim, 95 * ms, resume=first.final) == t_one_chunk
    assert first.final.population("P")["v"][2] > 0  # the checkpoint was not donated away


def test_a_checkpoint_resumes_twice_the_same():
    sim = nf.compile(load_example("coba")["model"], dt=0.1 * ms)
    first = sim.run(30 * ms, seed=2, chunk_steps=70)
    a = sim.run(30 * ms, resume=first.final, chunk_steps=70)
    b = sim.run(30 * ms, resume=first.final, chunk_steps=70)
    for x, y in zip(a.spikes("P"), b.spikes("P")):
        np.testing.assert_array_equal(x, y)
    assert len(a.spikes("P")[0]) > 0
    np.testing.assert_array_equal(a.final.population("P")["v"], b.final.population("P")["v"])
    first.final.population("P")  # still readable
    # resuming is the same as not stopping: the second half of one 60 ms run, bit for bit
    whole = sim.run(60 * ms, seed=2, chunk_steps=70)
    t, i = whole.spikes("P")
    later = t >= 30 - 1e-9
    np.testing.assert_array_equal(a.spikes("P")[0], t[later])
    np.testing.assert_array_equal(a.spikes("P")[1], i[later])
    t, v = whole.trace("P", "v")
    np.testing.assert_allclose(a.trace("P", "v")[0], t[300:], rtol=1e-12)
    np.testing.assert_array_equal(a.trace("P", "v")[1], v[300:])
    for name, value in whole.final.population("P").items():
        np.testing.assert_array_equal(a.final.population("P")[name], value)


def test_sweep_reports_the_run_that_went_bad():
    sim = blowup(4)
    with pytest.raises(nf.SimulationError) as info:
        sim.sweep(100 * ms, {"P.tau": [1e9 * ms, 1 * ms]})
    assert "P.v" in str(info.value) and "neuron 2" in str(info.value)
