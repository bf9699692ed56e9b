"""`neuroflow analyze ...`: the JSON of the issue, and bad input as errors, not tracebacks."""
import json
import re

import numpy as np
import pytest

from neuroflow.cli import main
from tests.conftest import EXAMPLES

FHN = str(EXAMPLES / "fitzhugh_nagumo.nfl")


def test_fixed_points_json(tmp_path, capsys):
    out = tmp_path / "fp.json"
    assert main(["analyze", "fixed-points", FHN, "--set", "P.I=0", "--json", str(out)]) == 0
    point, = json.loads(out.read_text())["fixed_points"]
    roots = np.roots([-1 / 3, 0, 1 - 1 / 0.8, -0.7 / 0.8])
    v = roots[np.abs(roots.imag) < 1e-12].real[0]
    assert point["state"]["V"] == pytest.approx(v, abs=1e-12)
    assert point["state"]["w"] == pytest.approx((v + 0.7) / 0.8, abs=1e-12)
    jac = np.array([[1 - v**2, -1], [1 / 12.5, -0.8 / 12.5]])
    expected = sorted(np.linalg.eigvals(jac), key=lambda e: -e.imag)
    np.testing.assert_allclose(point["eigenvalues"], [[e.real, e.imag] for e in expected],
                               atol=1e-12)
    assert point["stability"] == "stable focus"
    assert "stable focus" in capsys.readouterr().out


def test_set_converts_units(tmp_path):
    """2 uA/cm2 is 0.02 pA/um2, neuroflow's internal unit of a current density."""
    hh, outs = str(EXAMPLES / "hh.nfl"), [tmp_path / "a.json", tmp_path / "b.json"]
    for value, out in zip(("2*uA/cm2", "0.02"), outs):
        assert main(["analyze", "fixed-points", hh, "--set", f"HH.I={value}", "--seeds", "16",
                     "--json", str(out)]) == 0
    first, second = (json.loads(out.read_text())["fixed_points"] for out in outs)
    assert first == second and first[0]["stability"] == "stable focus"


def test_bifurcation_json_and_plot(tmp_path):
    out, png = tmp_path / "bif.json", tmp_path / "bif.png"
    assert main(["analyze", "bifurcation", FHN, "--param", "P.I", "--range", "0:2",
                 "--json", str(out), "--plot", str(png)]) == 0
    data = json.loads(out.read_text())
    assert data["param"] == "P.I" and data["unit"] == "1"
    assert [p["type"] for p in data["points"]] == ["hopf", "hopf"]
    for point, quoted in zip(data["points"], (0.33128133745, 1.41871866255)):
        assert abs(point["value"] - quoted) < 1e-8
        assert set(point) == {"type", "value", "state", "l1", "period"}
        assert point["l1"] > 0 and point["period"] == pytest.approx(22.8059, abs=1e-4)
    branch, = data["branches"]
    assert branch["param"][0] == 0 and branch["param"][-1] == pytest.approx(2, abs=1e-12)
    assert len(branch["state"]["V"]) == len(branch["param"]) == len(branch["stable"])
    assert png.stat().st_size > 10_000


@pytest.mark.slow  # the phase plane and its plot are tested in test_phase_plane.py
def test_phase_plane_plot(tmp_path):
    png = tmp_path / "plane.png"
    assert main(["analyze", "phase-plane", FHN, "--vars", "V,w", "--plot", str(png),
                 "--duration", "50"]) == 0
    assert png.stat().st_size > 10_000


def test_codim2_curves_in_the_json(tmp_path):
    path, out = tmp_path / "cusp.nfl", tmp_path / "cusp.json"
    path.write_text("neuron N {\n parameters {\n a = -1\n b = 1\n }\n equations {\n"
                    " dx/dt = (a + b*x - x**3)/ms : 1\n }\n initial {\n x = -1\n }\n}\n"
                    "network n {\n population P[1] = N()\n}\n")
    assert main(["analyze", "bifurcation", str(path), "--param", "a", "--range=-1:1",
                 "--param2", "b", "--range2=-1:1", "--json", str(out)]) == 0
    curves = json.loads(out.read_text())["curves"]
    assert [c["type"] for c in curves] == ["fold", "fold"]  # one curve through both folds
    cusp = curves[0]["points"][0]
    assert cusp["type"] == "cusp" and np.allclose(cusp["values"], [0, 0], atol=1e-6)


def test_slow_points_json(tmp_path):
    out = tmp_path / "slow.json"
    assert main(["analyze", "slow-points", FHN, "--set", "P.I=0", "--count", "8",
                 "--json", str(out)]) == 0
    point, = json.loads(out.read_text())["slow_points"]
    roots = np.roots([-1 / 3, 0, 1 - 1 / 0.8, -0.7 / 0.8])
    assert point["state"]["V"] == pytest.approx(roots[np.abs(roots.imag) < 1e-12].real[0],
                                                abs=1e-10)
    assert point["q"] < 1e-20 and len(point["eigenvalues"]) == 2


@pytest.mark.slow
def test_fast_slow_json(tmp_path):
    out = tmp_path / "hr.json"
    assert main(["analyze", "fast-slow", str(EXAMPLES / "hindmarsh_rose.nfl"), "--slow", "z",
                 "--range", "1:3.5", "--var", "x", "--duration", "100", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    folds = [p["value"] for p in data["fast"]["points"] if p["type"] == "fold"]
    np.testing.assert_allclose(folds, [3 - 32 / 27, 3], atol=1e-10)


@pytest.mark.slow
def test_cycles_through_a_canard_end_with_a_warning(capsys):
    """Single shooting loses FitzHugh–Nagumo's cycles in the canard explosion: the branch
    ends with a warning, and the Hopf points are still reported."""
    assert main(["analyze", "bifurcation", FHN, "--param", "P.I", "--range", "0:0.5",
                 "--cycles"]) == 0
    captured = capsys.readouterr()
    assert "hopf" in captured.out and "warning: cycles from the Hopf point" in captured.err


@pytest.mark.parametrize("args, message", [
    (["fixed-points", FHN, "--set", "P.J=1"], "did you mean .*'P.I'"),
    (["fixed-points", FHN, "--set", "P.I=abc"], "cannot read the value"),
    (["fixed-points", str(EXAMPLES / "hh.nfl"), "--set", "HH.I=2*mV"], "is in pA/um"),
    (["bifurcation", FHN, "--param", "P.I", "--range", "1:1"], "holds no points"),
    (["bifurcation", FHN, "--param", "P.I", "--range", "x"], "must be LO:HI"),
    (["phase-plane", FHN, "--vars", "V,q"], "did you mean 'w'|not a state variable"),
    (["bifurcation", str(EXAMPLES / "izhikevich.nfl"), "--param", "I", "--range", "0:1"],
     "has a threshold"),
    (["fixed-points", FHN, "--json", "/no/such/folder/x.json"], "--json .* does not exist"),
    (["phase-plane", FHN, "--plot", "/no/such/folder/x.png"], "--plot .* does not exist"),
])
def test_bad_input_is_one_clear_line(args, message, capsys):
    assert main(["analyze", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert re.search(message, err)


def test_no_equilibrium_is_a_clear_error(tmp_path, capsys):
    """dx/dt = 1 + x^2 has no zero: Newton wanders from every seed."""
    path = tmp_path / "none.nfl"
    path.write_text("neuron N {\n equations {\n dx/dt = (1 + x**2)/ms : 1\n }\n}\n"
                    "network n {\n population P[1] = N()\n}\n")
    assert main(["analyze", "fixed-points", str(path), "--seeds", "16"]) == 1
    err = capsys.readouterr().err
    assert "no fixed point found" in err and "Traceback" not in err
    assert main(["analyze", "bifurcation", str(path), "--param", "x", "--range", "0:1"]) == 1
    assert "not a parameter" in capsys.readouterr().err
