"""Every example runs as-is, as a script and through the command line."""
import re
import runpy

import numpy as np
import pytest

from neuroflow.cli import main
from tests.conftest import EXAMPLES

SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_as_a_script(script, capsys, reference):
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    printed = capsys.readouterr().out
    assert printed.strip()  # each example reports what it computed
    if script == "lif_fi.py":  # the setup of lif_fI_exact.npz (Brian2, exact, dt = 0.1 ms)
        counts = [int(c) for c in re.findall(r"I = +\d+ mV: +(\d+) spikes", printed)]
        np.testing.assert_array_equal(counts, reference("lif_fI_exact.npz")["counts"])


def test_cli_runs_an_example_and_writes_results(tmp_path, capsys):
    out = tmp_path / "lif.npz"
    assert main(["run", str(EXAMPLES / "lif_fi.py"), "--duration", "200", "--out", str(out),
                 "--quiet"]) == 0
    assert out.exists()
    printed = capsys.readouterr().out
    assert "simulated 200 ms" in printed
    # closed form: from rest, I > 20 mV reaches Vt after T = taum*ln(I/(I - 20)); each later
    # spike follows 2 ms of refractoriness and T again, so a neuron fires floor((200 + 2)/P)
    # times in 200 ms, P = 2 ms + T; spikes fall on the step grid, which moves P by up to dt
    current = np.arange(21, 41.0)
    period = 2 + 10 * np.log(current / (current - 20))
    fewest, most = np.floor(202 / (period + 0.1)).sum(), np.floor(202 / (period - 0.1)).sum()
    total = int(re.search(r"^  G +41 +(\d+) ", printed, re.M).group(1))
    assert fewest <= total <= most, (fewest, total, most)


@pytest.mark.parametrize("model", ["gap_junctions.nfl", "rate_rnn.nfl", "cann.nfl",
                                   "brunel2000.nfl", "wang2002.nfl"])
def test_cli_runs_a_model_file(model, capsys):
    """Model files with summed variables and Poisson inputs run from the command line with
    their run section."""
    assert main(["run", str(EXAMPLES / model), "--duration", "100", "--quiet"]) == 0
    assert "simulated 100 ms" in capsys.readouterr().out


def test_cli_shows_and_empties_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "neuroflow" / "generated").mkdir(parents=True)
    (tmp_path / "neuroflow" / "generated" / "a.so").write_bytes(b"x" * 2048)
    assert main(["cache"]) == 0
    shown = capsys.readouterr().out
    assert str(tmp_path / "neuroflow") in shown and "generated/" in shown and "1 file" in shown
    assert main(["cache", "--clear"]) == 0
    assert not (tmp_path / "neuroflow").exists()
    assert main(["cache"]) == 0 and "empty" in capsys.readouterr().out


@pytest.mark.slow  # a process of its own, interrupted once it runs: some 15 s
def test_ctrl_c_in_the_cli_saves_what_was_simulated_and_exits_130(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    import numpy as np

    model = tmp_path / "long.nfl"
    model.write_text("neuron N {\n equations { dv/dt = -v/(10*ms) : 1 }\n initial { v = 1 }\n"
                     " method: exact\n}\nnetwork long {\n population P[10] = N()\n"
                     " monitor P.v[0]\n}\nrun long { dt = 0.1*ms; duration = 1e7*ms }\n")
    out = tmp_path / "partial.npz"
    for wait in (6, 20):  # imports and compilation first; on a busy machine, longer
        process = subprocess.Popen([sys.executable, "-m", "neuroflow.cli", "run", str(model),
                                    "--out", str(out), "--quiet"], stderr=subprocess.PIPE,
                                   text=True)
        time.sleep(wait)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 130, errors
        assert "Traceback" not in errors
        if out.exists():
            break
    assert "interrupted after" in errors
    with np.load(out) as data:
        assert data["trace.P.v.values"].shape[0] > 0


@pytest.mark.parametrize("option, message", [
    (["--plot", "/no/such/folder/x.png"], "does not exist"),
    (["--plot", "raster.xyz"], "not an image format"),
    (["--out", "/no/such/folder/r.npz"], "does not exist"),
    (["--seed", "-1"], "a seed must be"),
    (["--duration", "-5"], "must be a positive time"),
])
def test_cli_refuses_bad_options_without_a_traceback(option, message, capsys):
    assert main(["run", str(EXAMPLES / "lif_fi.nfl"), "--quiet", *option]) == 1
    assert message in capsys.readouterr().err


def test_a_model_and_its_twin_run_in_one_precision():
    from neuroflow.cli import load_model

    assert load_model(str(EXAMPLES / "hh.py"))["dtype"] == load_model(
        str(EXAMPLES / "hh.nfl"))["dtype"] == "float64"
