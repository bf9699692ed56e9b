"""A merged model runs as the model as written: same spikes, rates, traces and names."""
import jax
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.backend.jax import _native
from neuroflow.passes import DEFAULT_PIPELINE
from neuroflow.runtime import Results, ResultsError, SimulationError
from neuroflow.units import ms, mV

UNMERGED = "resolve,canonicalize,integrate,delays,kernels,fuse,schedule"
MERGED = "resolve,canonicalize,factorize,integrate,merge,delays,kernels,fuse,schedule"
EQUATIONS = """
    dv/dt = (ge*(Ee - v) + gi*(Ei - v) + El - v + drive) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
"""


def network(drive_i=21 * mV, taum_i=20 * ms, size_e=40, size_i=12, spikes_e=True, spikes_i=False):
    """E and I of one neuron model, driven by a constant so they spike, with deterministic initial
    values, every projection between them, and a third population X of another model.  E's
    spikes are monitored, or (`spikes_e=False`) its rate; I's rate, and its spikes if asked."""
    net = nf.Network("ei")
    shared = dict(Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, Vt=-50 * mV, Vr=-60 * mV, taue=5 * ms,
                  taui=10 * ms)
    events = dict(threshold="v > Vt", reset="v = Vr", refractory=3 * ms)
    e = net.population("E", size_e, EQUATIONS, params=dict(shared, taum=20 * ms, drive=21 * mV),
                       init=dict(v=np.linspace(-60, -51, size_e) * mV), **events)
    i = net.population("I", size_i, EQUATIONS, params=dict(shared, taum=taum_i, drive=drive_i),
                       init=dict(v=np.linspace(-58, -50.5, size_i) * mV), **events)
    x = net.population("X", 5, "dv/dt = (El - v + drive)/taum : volt", threshold="v > Vt",
                       reset="v = Vr", params=dict(El=-60 * mV, drive=15 * mV, taum=10 * ms,
                                                   Vt=-50 * mV, Vr=-60 * mV),
                       init=dict(v=-60 * mV))
    net.projection(e, e, on_pre="ge += 0.05", connect=nf.fixed_prob(0.3), name="EE")
    net.projection(e, i, on_pre="ge += 0.05", connect=nf.fixed_prob(0.3), name="EI")
    net.projection(i, e[10:30], on_pre="gi += 0.3", connect=nf.fixed_prob(0.5), name="IE")
    net.projection(i, i, on_pre="gi += 0.3", connect=nf.fixed_prob(0.5), name="II")
    net.projection(x, e, on_pre="ge += 0.1", connect=nf.fixed_prob(0.5), name="XE")
    if spikes_e:
        net.monitor_spikes(e)
    else:
        net.monitor_rate(e)
    # before X's: monitors in population order, the order in which merged results list parts
    if spikes_i:
        net.monitor_spikes(i)
    net.monitor_spikes(x)
    net.monitor_rate(i)
    net.monitor(e, "v", indices=[0, 7, 39])
    net.monitor(i, "v", indices=[2, 3])
    return net.build()


def compiled(model, native=True):
    merged = nf.compile(model, dtype="float64", pipeline=MERGED, native=native)
    assert "part E = E_I[0:" in merged.ir and "population E_I " in merged.ir
    return merged, nf.compile(model, dtype="float64", pipeline=UNMERGED, native=native)


def assert_same(a: Results, b: Results, exact: bool):
    assert a.populations == b.populations and a.sizes == b.sizes
    assert a.spike_monitored == b.spike_monitored and a.traced == b.traced
    for pop in a.spike_monitored:
        for x, y in zip(a.spikes(pop), b.spikes(pop)):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.rate_trace("I")[1], b.rate_trace("I")[1])
    for pop, var in a.traced:
        np.testing.assert_array_equal(a.trace_indices(pop, var), b.trace_indices(pop, var))
        np.testing.assert_array_equal(a.trace(pop, var)[0], b.trace(pop, var)[0])
        # XLA's code for an array of another length may round the last bit differently
        np.testing.assert_allclose(a.trace(pop, var)[1], b.trace(pop, var)[1], rtol=0,
                                   atol=0 if exact else 1e-9)


@pytest.mark.parametrize("native", [True, False])
def test_merged_run_gives_the_same_spikes_rates_and_traces(native):
    merged, unmerged = compiled(network(), native)
    a, b = merged.run(150 * ms, seed=4), unmerged.run(150 * ms, seed=4)
    assert len(b.spikes("E")[0]) > 100 and b.rate("I") > 5
    assert_same(a, b, exact=native and _native.available())
    assert a.summary() == b.summary()


@pytest.mark.parametrize("native", [True, False])
def test_rate_monitors_of_merged_populations_count_each_part_and_record_no_spikes(native, tmp_path):
    merged, unmerged = compiled(network(spikes_e=False), native)
    assert ("\nmonitor rate E_I bounds=[0, 40, 52]\n" in merged.ir
            and "monitor spikes E_I" not in merged.ir)
    # what a step hands back: X's spike bits, and two counts of E_I, no bit of E or I
    state, params, conn = merged.program.initial(0)
    outputs = jax.eval_shape(merged.program.step, state, params, conn,
                             merged.program.prepare(params))[1]
    assert set(outputs["spikes"]) == {"X"} and outputs["rate"]["E_I"].shape == (2,)
    a, b = (merged.run(150 * ms, seed=4, chunk_steps=400),
            unmerged.run(150 * ms, seed=4, chunk_steps=400))
    assert a.spike_monitored == b.spike_monitored == ("X",)
    for pop in ("E", "I"):
        assert a.rate(pop) == b.rate(pop) > 5
        for bin_ms in (None, 5.0):
            for x, y in zip(a.rate_trace(pop, bin_ms), b.rate_trace(pop, bin_ms)):
                np.testing.assert_array_equal(x, y)
    assert_same(a, b, exact=native and _native.available())
    assert a.summary() == b.summary()
    saved = np.load(a.save(tmp_path / "merged.npz")), np.load(b.save(tmp_path / "unmerged.npz"))
    rates = [sorted(k for k in f.files if k.startswith("rate.")) for f in saved]
    assert rates[0] == rates[1] == ["rate.E.counts", "rate.E.t_ms", "rate.I.counts", "rate.I.t_ms"]
    for key in rates[0]:
        assert saved[0][key].dtype == saved[1][key].dtype
        np.testing.assert_array_equal(saved[0][key], saved[1][key])
    resumed = [sim.run(50 * ms, resume=r.final) for sim, r in ((merged, a), (unmerged, b))]
    joined = [Results.concatenate([r, more]) for r, more in zip((a, b), resumed)]
    for pop in ("E", "I"):
        np.testing.assert_array_equal(joined[0].rate_trace(pop)[1], joined[1].rate_trace(pop)[1])
        np.testing.assert_array_equal(joined[0].rate_trace(pop)[1],
                                      merged.run(200 * ms, seed=4).rate_trace(pop)[1])


def test_the_spike_monitor_records_the_spike_monitored_parts_only():
    merged, unmerged = compiled(network(spikes_e=False, spikes_i=True))
    assert ("\nmonitor spikes E_I[40:52]\n" in merged.ir
            and "\nmonitor rate E_I bounds=[0, 40, 52]\n" in merged.ir)
    a, b = merged.run(100 * ms, seed=2), unmerged.run(100 * ms, seed=2)
    assert a.spike_monitored == b.spike_monitored == ("I", "X") and len(b.spikes("I")[0]) > 20
    assert_same(a, b, exact=_native.available())
    np.testing.assert_array_equal(a.rate_trace("E")[1], b.rate_trace("E")[1])


def test_parameters_that_differ_become_per_neuron_and_give_the_same_run():
    merged, unmerged = compiled(network(drive_i=24 * mV, taum_i=12 * ms))
    assert ("param E_I.taum : float[52]<ms>" in merged.ir
            and "param E_I.Vt : float[]<mV>" in merged.ir)
    a, b = merged.run(150 * ms, seed=1), unmerged.run(150 * ms, seed=1)
    # I's own values take effect: alone, a neuron would fire at 1/(3 ms + taum ln(D/(D - 10 mV)))
    # (63 Hz at the default drive 21 mV and taum 20 ms, 106 Hz at 24 mV and 12 ms); I's mutual
    # inhibition takes much of that away, but it still fires well over 10% more than with the
    # default values (which it would do if E's values were applied to it), and so inhibits E more
    default = merged.run(150 * ms, seed=1, params={"I.drive": 21 * mV, "I.taum": 20 * ms})
    assert a.rate("I") > 1.1 * default.rate("I")
    assert a.rate("E") < default.rate("E")
    # the same spikes; the native block divides by a per-neuron taum where it multiplied by
    # the reciprocal of a shared one, so the last bit of v may differ
    assert_same(a, b, exact=False)


def test_parameter_overrides_by_the_names_as_written():
    merged, unmerged = compiled(network(drive_i=24 * mV))
    per_neuron = {"I.drive": 26 * mV, "E.drive": 20 * mV}  # merged, drive is per neuron
    assert_same(merged.run(80 * ms, params=per_neuron), unmerged.run(80 * ms, params=per_neuron),
                exact=_native.available())
    both = {"E.Vt": -52 * mV, "I.Vt": -52 * mV}  # a value the merged populations share
    assert_same(merged.run(80 * ms, params=both), unmerged.run(80 * ms, params=both),
                exact=_native.available())
    with pytest.raises(nf.ir.ModelError,
                       match="'E.Vt' is one value shared by the merged populations E, I") as err:
        merged.run(10 * ms, params={"E.Vt": -52 * mV})
    assert "merge{exclude=E}" in str(err.value)
    apart = nf.compile(network(drive_i=24 * mV), dtype="float64",
                       pipeline=MERGED.replace("merge", "merge{exclude=E}"))
    alone = {"E.Vt": -52 * mV}
    assert_same(apart.run(80 * ms, params=alone), unmerged.run(80 * ms, params=alone), exact=True)
    with pytest.raises(nf.ir.ModelError,
                       match="(?s)unknown parameter 'E.Vtt'.*did you mean 'E.Vt'"):
        merged.run(10 * ms, params={"E.Vtt": -52 * mV})
    with pytest.raises(nf.ir.ModelError, match=r"'I.drive' has shape \(12,\)"):
        merged.run(10 * ms, params={"I.drive": np.ones(52) * mV})


def test_sweep_over_a_merged_parameter_equals_single_runs():
    merged, _ = compiled(network(drive_i=24 * mV))
    runs = merged.sweep(50 * ms, {"I.drive": [22 * mV, 27 * mV]}, seed=2)
    for run, drive in zip(runs, [22 * mV, 27 * mV]):
        single = merged.run(50 * ms, seed=2, params={"I.drive": drive})
        assert_same(run, single, exact=True)


def test_saved_results_and_the_final_state_use_the_names_as_written(tmp_path):
    merged, unmerged = compiled(network())
    a, b = merged.run(60 * ms, seed=0), unmerged.run(60 * ms, seed=0)
    loaded = Results.load(a.save(tmp_path / "merged.npz"))
    assert_same(loaded, b, exact=_native.available())
    for pop in ("E", "I", "X"):
        final = a.final.population(pop)
        assert final.keys() == b.final.population(pop).keys()
        for name, value in b.final.population(pop).items():
            np.testing.assert_allclose(final[name], value, rtol=0,
                                       atol=0 if _native.available() else 1e-9)
    with pytest.raises(ResultsError, match="population 'I' has no spike monitor"):
        a.spikes("I")
    resumed = merged.run(40 * ms, resume=a.final)
    assert_same(Results.concatenate([a, resumed]), merged.run(100 * ms, seed=0), exact=True)


def test_the_nan_guard_names_the_population_as_written():
    # I's membrane runs away (a negative time constant) and reaches -inf in float32
    model = network(taum_i=-1 * ms)
    merged = nf.compile(model, dtype="float32", pipeline=MERGED)
    assert "part I = E_I[40:52]" in merged.ir
    messages = []
    for sim in (merged, nf.compile(model, dtype="float32", pipeline=UNMERGED)):
        with pytest.raises(SimulationError, match=r"^I\.v became -inf for neuron \d+ ") as caught:
            sim.run(300 * ms)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_two_areas_rates_agree_merged_and_unmerged():
    """The default pipeline merges the four populations of examples/two_areas.nfl.  Their
    initial values are drawn from one normal distribution each; merged, one draw of 2000
    values follows the same stream of numbers as the four draws one after the other, so the
    runs are identical."""
    assert DEFAULT_PIPELINE == MERGED
    model = nf.load(nf.__path__[0] + "/../examples/two_areas.nfl").model
    merged, unmerged = nf.compile(model), nf.compile(model, pipeline=UNMERGED)
    assert merged.ir.count("\npart ") == 4 and merged.ir.count("\nfused ") == 1
    a, b = merged.run(100 * ms, seed=5), unmerged.run(100 * ms, seed=5)
    assert a.populations == b.populations == ("A_E", "A_I", "B_E", "B_I")
    for pop in ("A_E", "B_E"):
        for x, y in zip(a.spikes(pop), b.spikes(pop)):
            np.testing.assert_array_equal(x, y)
    assert a.rate("A_I") == b.rate("A_I") > 0
