"""Results: answers computed by hand from small synthetic records."""

import re
from dataclasses import dataclass

import numpy as np
import pytest

from neuroflow.runtime._results import RateRecord, Results, ResultsError, SpikeRecord, TraceRecord

DT = 0.5  # ms


@dataclass(frozen=True)
class View:
    """Stands in for the builder's population slice (duck-typed by Results)."""

    population: str
    start: int
    stop: int


def make(t_start=0.0, duration=500.0, meta=None, with_trace=True):
    """E: 10 neurons, 50 spikes in 500 ms (10 Hz). Neuron k spikes 5 times at
    k*10 + {0,100,...,400} ms.

    I: 4 neurons with only a rate monitor: 2 spikes in every step -> 1000 steps, 2000 spikes.
    """
    n_steps = int(duration / DT)
    t = np.array([t_start + k * 10.0 + r * 100.0 for r in range(5) for k in range(10)])
    i = np.array([k for r in range(5) for k in range(10)], dtype=np.int32)
    steps = t_start + DT * np.arange(n_steps)
    v = np.stack([steps, -steps, steps * 2.0], axis=1).astype(np.float32)
    return Results(
        dt_ms=DT, t_start_ms=t_start, duration_ms=duration, sizes={"E": 10, "I": 4, "X": 3},
        spikes={"E": SpikeRecord(t, i)},
        traces={("E", "v"): TraceRecord(steps, v, np.array([1, 4, 7]), "mV")} if with_trace else {},
        rates={"I": RateRecord(steps, np.full(n_steps, 2))},
        meta=meta,
    )


def test_rate_from_spikes_and_from_rate_record():
    res = make()
    assert res.rate("E") == pytest.approx(10.0)  # 50 / (10 * 0.5 s)
    assert res.rate("I") == pytest.approx(1000.0)  # 2000 / (4 * 0.5 s)
    np.testing.assert_array_equal(res.spike_counts("E"), np.full(10, 5))


def test_view_filters_and_reindexes():
    res = make()
    for sel in (View("E", 3, 6), "E[3:6]"):
        t, i = res.spikes(sel)
        assert t.size == 15
        np.testing.assert_array_equal(np.unique(i), [0, 1, 2])
        np.testing.assert_array_equal(t[i == 0], [30.0, 130.0, 230.0, 330.0, 430.0])  # neuron 3
        np.testing.assert_array_equal(res.spike_counts(sel), [5, 5, 5])
        assert res.rate(sel) == pytest.approx(10.0)  # 15 / (3 * 0.5 s)
    t, i = res.spikes("E[8:]")
    np.testing.assert_array_equal(np.unique(i), [0, 1])
    # A view of the whole population may use the whole-population rate record.
    assert res.rate("I[0:4]") == pytest.approx(1000.0)
    # Neurons 0..4 fire at 0..40 ms of each 100 ms: 5 spikes in the first 50 ms bin, none in the
    # second.
    t, hz = res.rate_trace(View("E", 0, 5), bin_ms=50.0)
    np.testing.assert_allclose(hz[:2], [5 / (5 * 0.050), 0.0])


def test_rate_trace_per_step_and_binned():
    res = make()
    t, hz = res.rate_trace("I")
    assert t.size == 1000 and t[1] == DT
    np.testing.assert_allclose(hz, 1000.0)  # 2 spikes / (4 neurons * 0.5 ms)
    t, hz = res.rate_trace("I", bin_ms=100.0)
    np.testing.assert_array_equal(t, [0, 100, 200, 300, 400])
    np.testing.assert_allclose(hz, 1000.0)
    # From spikes: every 100 ms bin holds 10 spikes of 10 neurons -> 10 Hz.
    t, hz = res.rate_trace("E", bin_ms=100.0)
    np.testing.assert_allclose(hz, 10.0)
    # Bin of 30 ms starting at 0 holds spikes at 0, 10, 20 ms from neurons 0..2.
    t, hz = res.rate_trace("E", bin_ms=30.0)
    assert hz[0] == pytest.approx(3 / (10 * 0.030))
    # The last bin (480-500 ms) is 20 ms wide, holds spikes at 480 and 490 ms,
    # and is divided by its own width: 2 / (10 * 0.020 s) = 10 Hz.
    assert t[-1] == 480.0 and hz[-1] == pytest.approx(10.0)
    t, hz = res.rate_trace("E")
    assert hz.sum() * DT / 1000.0 * 10 == pytest.approx(50)


def test_trace_and_view_selection():
    res = make()
    t, v = res.trace("E", "v")
    assert v.shape == (1000, 3) and v.dtype == np.float32
    t, v = res.trace(View("E", 2, 8), "v")
    np.testing.assert_array_equal(res.trace_indices(View("E", 2, 8), "v"), [2, 5])  # 4-2, 7-2
    np.testing.assert_array_equal(v[:, 0], -t)
    assert res.trace_unit("E", "v") == "mV"


def test_errors_name_what_was_recorded():
    res = make()
    with pytest.raises(ResultsError) as err:
        res.spikes("I")
    assert isinstance(err.value, KeyError)
    assert ("no spike monitor" in str(err.value)
            and "hint: spike-monitored populations: E" in str(err.value))
    with pytest.raises(ResultsError, match="recorded traces: E.v"):
        res.trace("E", "w")
    with pytest.raises(ResultsError, match="populations: E, I, X"):
        res.rate("Q")
    with pytest.raises(ResultsError, match="neither a spike nor a rate monitor"):
        res.rate("X")
    with pytest.raises(ResultsError):
        res.rate("I[0:2]")  # a view needs the spike record
    with pytest.raises(ValueError, match="outside"):
        res.spikes("E[5:20]")


def test_save_load_round_trip(tmp_path):
    res = make(t_start=100.0, meta={"model": "cuba", "seed": 7, "wall_s": 1.25})
    path = res.save(tmp_path / "run")
    assert path.name == "run.npz" and path.exists()
    with np.load(path, allow_pickle=False) as npz:
        assert {"meta.dt_ms", "meta.populations", "meta.sizes", "meta.model", "spikes.E.t_ms",
                "spikes.E.i", "rate.I.t_ms", "rate.I.counts", "trace.E.v.t_ms", "trace.E.v.values",
                "trace.E.v.indices", "trace.E.v.unit"} <= set(npz.files)
    back = Results.load(path)
    assert (back.dt_ms, back.t_start_ms, back.duration_ms) == (DT, 100.0, 500.0)
    assert back.sizes == res.sizes and list(back.sizes) == ["E", "I", "X"]
    assert back.meta == {"model": "cuba", "seed": 7, "wall_s": 1.25}
    assert type(back.meta["seed"]) is int and type(back.meta["model"]) is str
    for a, b in [(res.spikes("E"), back.spikes("E")), (res.trace("E", "v"), back.trace("E", "v")),
                 (res.rate_trace("I"), back.rate_trace("I"))]:
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
            assert x.dtype == y.dtype
    np.testing.assert_array_equal(back.trace_indices("E", "v"), res.trace_indices("E", "v"))
    assert back.trace_unit("E", "v") == "mV"
    assert back.summary() == res.summary()


def test_concatenate_continues_time():
    a, b = make(0.0), make(500.0)
    joined = Results.concatenate([a, b])
    assert (joined.t_start_ms, joined.duration_ms) == (0.0, 1000.0)
    t, i = joined.spikes("E")
    assert t.size == 100 and np.all(np.diff(t) >= 0) and t[-1] == 990.0
    assert joined.rate("E") == pytest.approx(10.0)
    t, v = joined.trace("E", "v")
    assert v.shape == (2000, 3)
    np.testing.assert_array_equal(t, DT * np.arange(2000))
    assert joined.rate("I") == pytest.approx(1000.0)
    merged = a.merge(b)
    np.testing.assert_array_equal(merged.spikes("E")[0], joined.spikes("E")[0])
    with pytest.raises(ValueError, match="not consecutive"):
        Results.concatenate([a, make(600.0)])
    with pytest.raises(ValueError, match="different dt, sizes, monitors"):
        a.merge(make(500.0, with_trace=False))


def test_summary_mentions_everything():
    text = repr(make())
    lines = text.splitlines()
    assert re.fullmatch(r"Results: 0-500 ms, dt = 0\.5 ms", lines[0])
    # per population, as make() built it: size, spikes, rate (Hz) and the traces, or "-"
    rows = [r"E\s+10\s+50\s+10\s+v \[mV\] x3",  # 50 spikes of 10 neurons in 0.5 s
            r"I\s+4\s+2000\s+1e\+03\s+-",  # 2 a step for 1000 steps: 2000 / (4 * 0.5 s)
            r"X\s+3\s+-\s+-\s+-"]  # no monitor at all
    assert len(lines) == 2 + len(rows)
    for line, row in zip(lines[2:], rows):
        assert re.fullmatch(r"\s*" + row, line), line


def test_plots_write_png(tmp_path):
    pytest.importorskip("matplotlib")
    res = make()
    for name, draw in [("raster", lambda p: res.plot_raster(path=p)),
                       ("raster_view", lambda p: res.plot_raster(View("E", 0, 5), path=p,
                                                                 max_points=10)),
                       ("trace", lambda p: res.plot_trace("E", "v", path=p)),
                       ("rate", lambda p: res.plot_rate("I", path=p))]:
        path = tmp_path / f"{name}.png"
        assert draw(path) == path
        assert path.stat().st_size > 1000
    from matplotlib.figure import Figure
    assert isinstance(res.plot_rate("E"), Figure)
    ax = Figure().subplots()
    assert res.plot_trace("E[0:5]", "v", ax=ax) is ax


def test_plot_without_matplotlib_hints_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"neuroflow\[plot\]"):
        make().plot_raster()


def test_the_overview_shows_every_monitor_in_a_panel_of_its_own(tmp_path):
    from matplotlib.figure import Figure

    import neuroflow as nf
    from neuroflow.units import ms

    net = nf.Network("small")
    net.population("E", 5, "dv/dt = (1.2 - v)/(10*ms) : 1\nw : 1", threshold="v > 1",
                   reset="v = 0")
    net.monitor_spikes("E")
    net.monitor("E", "v")
    net.monitor("E", "w")
    results = nf.compile(net.build(), dt=0.1 * ms).run(100 * ms)
    figure = results.plot()
    assert isinstance(figure, Figure) and len(figure.axes) == 3
    raster, v, w = figure.axes
    # a raster of 5 neurons draws ticks, visible at any size, not single pixels
    assert raster.lines[0].get_marker() == "|" and len(raster.lines[0].get_xdata()) > 5
    assert v.get_ylabel().startswith("E.v") and w.get_ylabel().startswith("E.w")
    assert not v.get_title() and not w.get_title()  # nothing to overlap the panel above
    assert results.plot(path=tmp_path / "all.png").stat().st_size > 1000
