"""Simulation runtime: reproducibility, recompilation, monitors, the NaN guard."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.units import mV, ms, second
from tests.conftest import load_example
from tests.references import steps_to_overflow


@pytest.fixture(scope="module")
def coba():
    example = load_example("coba")
    return example, nf.compile(example["model"], dt=0.1 * ms)


def test_same_seed_is_bit_identical_and_other_seed_differs(coba):
    _, sim = coba
    a, b = sim.run(100 * ms, seed=3), sim.run(100 * ms, seed=3)
    for x, y in zip(a.spikes("P"), b.spikes("P")):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.trace("P", "v")[1], b.trace("P", "v")[1])
    state3, _, conn3 = sim.program.initial(3)
    state4, _, conn4 = sim.program.initial(4)
    assert not np.array_equal(state3["pops"]["P"]["v"], state4["pops"]["P"]["v"])
    assert not np.array_equal(conn3["excitatory"]["targets"], conn4["excitatory"]["targets"])
    c = sim.run(100 * ms, seed=4)
    assert len(c.spikes("P")[0]) != len(a.spikes("P")[0])


def test_changing_a_parameter_does_not_recompile(coba):
    example, sim = coba
    sim.run(50 * ms, seed=0)
    traces = sim.trace_count
    overridden = sim.run(50 * ms, seed=0, params={"P.I": 25 * mV})
    assert sim.trace_count == traces
    # the same as compiling a model that has the new value built in
    model = example["model"]
    rebuilt = model.replace(model.get("P.I").replace(value=25.0))
    expected = nf.compile(rebuilt, dt=0.1 * ms).run(50 * ms, seed=0)
    for x, y in zip(overridden.spikes("P"), expected.spikes("P")):
        np.testing.assert_array_equal(x, y)
    assert len(overridden.spikes("P")[0]) != len(sim.run(50 * ms, seed=0).spikes("P")[0])


def test_parameter_override_is_checked(coba):
    _, sim = coba
    with pytest.raises(nf.ModelError, match="taum"):
        sim.run(10 * ms, params={"P.taum": 5 * mV})
    with pytest.raises(nf.ModelError, match="did you mean"):
        sim.run(10 * ms, params={"P.tau_m": 5 * ms})


def test_state_monitor_records_start_of_step_every_k():
    net = nf.Network("decay")
    net.population("P", 3, "dv/dt = -v/tau : volt", params=dict(tau=10 * ms),
                   init=dict(v=np.array([1.0, 2.0, 3.0]) * mV), method="exact")
    net.monitor("P", "v", indices=[0, 2], every=4)
    results = nf.compile(net.build(), dt=0.5 * ms, dtype="float64").run(20 * ms)
    t, v = results.trace("P", "v")
    np.testing.assert_allclose(t, np.arange(0, 20, 2.0))
    np.testing.assert_allclose(v, np.array([1.0, 3.0]) * np.exp(-t / 10.0)[:, None], rtol=1e-12)


def test_nan_guard_names_variable_population_and_time():
    net = nf.Network("blowup")
    net.population("P", 4, "dv/dt = v**2/(tau*mV) : volt", params=dict(tau=1 * ms),
                   init=dict(v=np.array([0.0, 0.0, 1.0, 0.0]) * mV), method="euler")
    net.monitor("P", "v")
    sim = nf.compile(net.build(), dt=0.5 * ms, dtype="float32", chunk_steps=7)
    with pytest.raises(nf.SimulationError) as info:
        sim.run(100 * ms)
    message = str(info.value)
    assert "P.v" in message and "neuron 2" in message and "t =" in message
    t_bad = float(message.split("t = ")[1].split(" ms")[0])
    # v after n steps is the first that is not finite: the step that made it starts at n - 1
    steps = steps_to_overflow(1.0, 0.5)
    assert steps == 10
    assert t_bad == (steps - 1) * 0.5
    partial = info.value.results
    # what was recorded before is kept: the start of every step before the failing one
    t, v = partial.trace("P", "v")
    np.testing.assert_allclose(t, np.arange(steps - 1) * 0.5)
    assert np.all(np.isfinite(v))


@pytest.mark.parametrize("chunk", [7, 1000])
def test_results_of_a_nan_run_go_up_to_the_failing_step(chunk):
    # v' = v**2 from v(0) = 1 blows up at t = 1 ms; with Euler at dt = 0.01 ms a little later.
    net = nf.Network("blowup")
    net.population("P", 2, "dv/dt = v**2/(tau*mV) : volt", params=dict(tau=1 * ms),
                   init=dict(v=np.array([0.0, 1.0]) * mV), method="euler")
    net.monitor("P", "v")
    sim = nf.compile(net.build(), dt=0.01 * ms, dtype="float32", chunk_steps=chunk)
    with pytest.raises(nf.SimulationError) as info:
        sim.run(10 * ms)
    t_bad = float(str(info.value).split("t = ")[1].split(" ms")[0])
    steps = steps_to_overflow(1.0, 0.01)  # v after this many steps is the first not finite
    assert steps == 111
    np.testing.assert_allclose(t_bad, (steps - 1) * 0.01, rtol=1e-12)
    t, v = info.value.results.trace("P", "v")
    assert len(t) == steps - 1  # every step before the failing one, even in its chunk
    assert np.all(np.isfinite(v)) and v[-1, 1] > 1e3  # the blow-up, recorded up to there


def test_ctrl_c_stops_at_the_end_of_a_chunk_and_keeps_the_results():
    import os
    import signal
    import threading

    net = nf.Network("long")
    net.population("P", 10, "dv/dt = -v/(10*ms) : 1", init=dict(v=1.0), method="exact")
    net.monitor("P", "v")
    sim = nf.compile(net.build(), dt=0.1 * ms, dtype="float64", chunk_steps=100)
    sim.run(1 * ms)  # compiled before the clock starts
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            sim.run(1e6 * ms)
    finally:
        timer.cancel()
    assert isinstance(info.value, nf.SimulationError)
    results = info.value.results
    steps = round(results.duration_ms / 0.1)
    assert steps % 100 == 0 and 0 < steps < 10**7  # whole chunks, up to where it stopped
    t, v = results.trace("P", "v")
    assert len(t) == steps
    np.testing.assert_allclose(v[:, 0], np.exp(-t / 10), rtol=1e-9, atol=1e-300)
    rest = sim.run(1 * ms, resume=results.final)  # and it goes on from there
    assert rest.t_start_ms == results.duration_ms


def test_results_save_round_trip(coba, tmp_path):
    _, sim = coba
    results = sim.run(20 * ms, seed=0)
    path = results.save(tmp_path / "coba.npz")
    loaded = nf.Results.load(path)
    for x, y in zip(results.spikes("P"), loaded.spikes("P")):
        np.testing.assert_array_equal(x, y)
    with np.load(path) as data:
        assert {"spikes.P.t_ms", "spikes.P.i", "trace.P.v.values", "meta.dt_ms"} <= set(data.files)


def test_poisson_group_from_rand_threshold():
    """Brian2's PoissonGroup is a threshold `rand() < rates*dt`: the rate must come out."""
    net = nf.Network("poisson")
    net.population("In", 2000, threshold="rand() < rate*dt", params=dict(rate=50 * nf.units.Hz))
    net.monitor_spikes("In")
    results = nf.compile(net.build(), dt=0.1 * ms).run(1 * second, seed=0)
    # 100k expected spikes: the standard error of the rate is 0.16 Hz
    assert abs(results.rate("In") - 50.0) < 1.0


def test_timed_input_is_piecewise_constant_and_replaceable_without_recompiling():
    net = nf.Network("timed")
    net.population("P", 1, "dv/dt = (stim - v)/tau : volt", params=dict(tau=10 * ms),
                   method="exact")
    net.timed_input("P", "stim", np.array([0.0, 10.0, 20.0, 5.0]) * mV, period=5 * ms)
    net.monitor("P", "v")
    sim = nf.compile(net.build(), dt=0.5 * ms, dtype="float64")
    t, v = sim.run(30 * ms).trace("P", "v")
    # the analytic solution, bin by bin; the last value holds after the end
    expected, value = [], 0.0
    for k, time in enumerate(t):
        expected.append(value)
        stim = [0.0, 10.0, 20.0, 5.0][min(int(time // 5), 3)]
        value = stim + (value - stim) * np.exp(-0.5 / 10)
    np.testing.assert_allclose(v[:, 0], expected, rtol=1e-12, atol=1e-12)
    traces = sim.trace_count
    _, v2 = sim.run(30 * ms, params={"P.stim": np.array([1.0, 2.0, 3.0, 4.0]) * mV}).trace("P", "v")
    assert sim.trace_count == traces and not np.allclose(v2, v)


@pytest.mark.parametrize("seed", [-1, 2**64, "abc", 1.5, True])
def test_a_seed_that_is_no_seed_is_refused(seed):
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms)
    with pytest.raises(nf.ModelError, match="a seed must be a whole number"):
        sim.run(1 * ms, seed=seed)


@pytest.mark.parametrize("duration", [float("nan"), float("inf"), -5.0, 0.0])
def test_a_duration_must_be_a_positive_time(duration):
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms)
    with pytest.raises(nf.ModelError, match="must be a positive time"):
        sim.run(duration)


def test_a_duration_that_is_no_whole_number_of_steps_is_rounded_aloud():
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.3 * ms)
    with pytest.warns(UserWarning, match=r"10 ms is not a whole number .* 33 steps \(9.9 ms\)"):
        results = sim.run(10 * ms)
    assert results.duration_ms == pytest.approx(9.9)


@pytest.mark.parametrize("dt", [0.1, 0.01])
def test_a_timed_input_switches_on_at_the_step_its_time_says_whatever_the_period(dt):
    # a tolerance relative to the period (1000 steps and more here) moved the switch a step early
    net = nf.Network("timed")
    net.population("P", 1, "v = stim : volt")
    net.timed_input("P", "stim", np.array([0.0, 1.0]) * mV, period=100 * ms)
    net.monitor("P", "v")
    t, v = nf.compile(net.build(), dt=dt * ms).run(101 * ms).trace("P", "v")
    assert t[np.argmax(v[:, 0] > 0)] == pytest.approx(100.0)


def test_bins_of_a_period_off_the_grid_start_at_the_first_step_at_or_after_their_time():
    net = nf.Network("timed")
    net.population("P", 1, "v = stim : 1")
    net.timed_input("P", "stim", np.arange(8.0), period=0.25 * ms)
    net.monitor("P", "v")
    t, v = nf.compile(net.build(), dt=0.1 * ms, dtype="float64").run(2 * ms).trace("P", "v")
    expected = np.minimum(np.floor(np.round(t / 0.1) / 2.5 + 1e-9), 7)
    np.testing.assert_array_equal(v[:, 0], expected)
