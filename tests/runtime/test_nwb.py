"""`Results.to_nwb`: what pynwb reads back is what the run recorded, in SI units."""
import json
import sys
from datetime import datetime

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.units import ms
from tests.conftest import EXAMPLES



def network() -> nf.Network:
    """LIF neurons with a conductance: spikes, a voltage, a conductance every 3 steps,
    and a second population whose rate alone is monitored."""
    net = nf.Network("nwb_check")
    cells = net.population("Cells", 20, "dv/dt = (-(v + 60*mV) + 30*mV*drive) / (10*ms) : volt\n"
                                         "dg/dt = -g/(5*ms) : siemens\n"
                                         "drive : 1",
                           threshold="v > -50*mV", reset="v = -60*mV\ng += 1*nS",
                           init={"v": -60 * nf.units.mV, "drive": np.linspace(0.2, 0.8, 20)})
    other = net.population("Other", 10, threshold="rand() < 50*Hz*dt")
    net.monitor_spikes(cells)
    net.monitor(cells, "v", [0, 7, 19])
    net.monitor(cells, "g", [15, 16], every=3)
    net.monitor_rate(other)
    return net


@pytest.fixture(scope="module")
def pynwb():
    return pytest.importorskip("pynwb")


@pytest.fixture(scope="module")
def results(pynwb):
    sim = nf.compile(network(), dt=0.1 * ms, dtype="float64")
    return sim.run(100 * ms, seed=3, progress=False)


def read(path):
    from pynwb import NWBHDF5IO

    io = NWBHDF5IO(str(path), "r")
    return io, io.read()


def test_spikes_are_units_one_per_neuron(results, tmp_path):
    assert results.spikes("Cells")[0].size > 20  # the comparison below compares something
    io, nwbfile = read(results.to_nwb(tmp_path / "run.nwb"))
    with io:
        units = nwbfile.units.to_dataframe()
    assert list(units["population"]) == ["Cells"] * 20
    assert list(units["neuron"]) == list(range(20))
    t_ms, i = results.spikes("Cells")
    for neuron in range(20):
        np.testing.assert_array_equal(units["spike_times"].iloc[neuron],
                                      t_ms[i == neuron] / 1000.0)


def test_traces_are_time_series_in_si_units(results, tmp_path):
    io, nwbfile = read(results.to_nwb(tmp_path / "run.nwb"))
    with io:
        v, g = nwbfile.acquisition["Cells.v"], nwbfile.acquisition["Cells.g"]
        assert (v.unit, g.unit) == ("volt", "siemens")
        t_ms, volts = results.trace("Cells", "v")
        np.testing.assert_allclose(v.data[:] * v.conversion, volts * 1e-3, rtol=1e-15)
        assert v.starting_time == 0.0 and v.rate == pytest.approx(1e4, rel=1e-12)
        np.testing.assert_allclose(v.get_timestamps(), t_ms / 1000.0, rtol=1e-12, atol=1e-15)
        assert v.comments == "neurons: 0,7,19"
        t_ms, siemens = results.trace("Cells", "g")
        assert siemens.max() > 0.5  # some neuron fired, so the conductance is not all zeros
        np.testing.assert_allclose(g.data[:] * g.conversion, siemens * 1e-9, rtol=1e-15)
        assert g.rate == pytest.approx(1e4 / 3, rel=1e-12)
        np.testing.assert_allclose(g.get_timestamps(), t_ms / 1000.0, rtol=1e-12, atol=1e-15)
        rate = nwbfile.acquisition["Other.rate"]
        np.testing.assert_allclose(rate.data[:], results.rate_trace("Other")[1])
        assert rate.unit == "hertz" and np.mean(rate.data[:]) == pytest.approx(
            results.rate("Other"))


def test_session_metadata(results, tmp_path):
    io, nwbfile = read(results.to_nwb(tmp_path / "run.nwb"))
    with io:
        notes = json.loads(nwbfile.notes)
        assert notes == {"model": "nwb_check", "neuroflow": nf.__version__, "seed": 3,
                         "dt_ms": 0.1, "dtype": "float64", "t_start_ms": 0.0,
                         "duration_ms": 100.0}
        assert nwbfile.session_start_time == datetime.fromisoformat(results.meta["started"])
        assert "population Cells" in nwbfile.source_script  # the model's IR


def test_cli_writes_nwb_for_the_nwb_suffix(pynwb, tmp_path, capsys):
    out = tmp_path / "coba.nwb"
    assert main(["run", str(EXAMPLES / "coba.nfl"), "--duration", "20", "--quiet",
                 "--out", str(out)]) == 0
    assert f"results written to {out}" in capsys.readouterr().out
    io, nwbfile = read(out)
    with io:
        assert len(nwbfile.units) == 4000 and nwbfile.acquisition["P.v"].data.shape == (200, 3)


def test_without_pynwb_the_cli_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)  # import pynwb now fails
    out = tmp_path / "coba.nwb"
    assert main(["run", str(EXAMPLES / "coba.nfl"), "--duration", "1", "--quiet",
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "pynwb is not installed" in err and "neuroflow[nwb]" in err
    assert "Traceback" not in err and not out.exists()


def test_without_pynwb_to_nwb_says_what_to_install(tmp_path, monkeypatch):
    results = nf.Results(dt_ms=0.1, t_start_ms=0.0, duration_ms=1.0, sizes={"P": 1}, spikes={},
                         traces={}, rates={})
    monkeypatch.setitem(sys.modules, "pynwb", None)
    with pytest.raises(nf.ir.NeuroflowError, match=r"(?s)pynwb is not installed.*neuroflow\[nwb"):
        results.to_nwb(tmp_path / "x.nwb")


def test_results_read_from_npz_write_the_same_session(results, tmp_path):
    loaded = nf.Results.load(results.save(tmp_path / "run.npz"))
    io, nwbfile = read(loaded.to_nwb(tmp_path / "run.nwb"))
    with io:
        assert json.loads(nwbfile.notes)["seed"] == 3
        assert nwbfile.session_start_time == datetime.fromisoformat(results.meta["started"])


def test_a_file_that_cannot_be_written_is_a_neuroflow_error(results, tmp_path):
    with pytest.raises(nf.ir.NeuroflowError, match="cannot write the NWB file"):
        results.to_nwb(tmp_path / "no such folder" / "run.nwb")
