"""Limit cycles from Hopf points against closed forms: the Hopf normal form (radius sqrt(mu),
period 2*pi/omega) and the Bautin normal form r' = r(mu + 2r^2 - r^4), whose cycles
r^2 = 1 ± sqrt(1 + mu) meet in a fold of cycles at mu = -1."""
import numpy as np
import pytest

from neuroflow.runtime.analyze import continuation
from tests.analyze.models import one_neuron

R2 = "(x**2 + y**2)"


def test_hopf_normal_form_cycles_radius_and_period():
    model = one_neuron(f"        dx/dt = mu*x - 2*y - x*{R2} : 1\n"
                       f"        dy/dt = 2*x + mu*y - y*{R2} : 1", "        mu = -1",
                       "        x = 0.1")
    result = continuation(model, "mu", (-1.0, 1.0), cycles=True)
    hopf, = result.points
    assert hopf.type == "hopf" and abs(hopf.value) < 1e-12
    assert hopf.l1 == pytest.approx(-1.0, rel=1e-10)  # c1 = -2 in z with x = zq + conj(zq)
    cycles, = result.cycles
    assert cycles.param.max() == pytest.approx(1.0, abs=1e-12)  # to the end of the range
    np.testing.assert_allclose(cycles.period, np.pi, atol=1e-6)
    np.testing.assert_allclose(cycles.amplitude, np.sqrt(cycles.param)[:, None] * [1, 1],
                               atol=1e-6)
    # the nontrivial multiplier is exp(-2 mu T): the radial contraction over one period
    inner = np.min(np.abs(cycles.multipliers), axis=1)
    np.testing.assert_allclose(inner, np.exp(-2 * cycles.param * np.pi), atol=1e-6)
    assert cycles.stable[cycles.param > 1e-3].all()


def test_bautin_normal_form_fold_of_cycles():
    rate = f"(2*{R2} - {R2}**2)"
    model = one_neuron(f"        dx/dt = mu*x - y + x*{rate} : 1\n"
                       f"        dy/dt = x + mu*y + y*{rate} : 1", "        mu = -1.5",
                       "        x = 0.1")
    result = continuation(model, "mu", (-1.5, 1.0), cycles=True)
    hopf, lpc = result.points
    assert hopf.type == "hopf" and hopf.l1 == pytest.approx(4.0, rel=1e-10)
    assert hopf.criticality == "subcritical"
    assert lpc.type == "lpc" and abs(lpc.value + 1) < 1e-6
    assert np.linalg.norm(lpc.state) == pytest.approx(1.0, abs=1e-6)
    assert lpc.period == pytest.approx(2 * np.pi, abs=1e-6)
    cycles, = result.cycles
    r2 = cycles.amplitude[:, 0] ** 2
    np.testing.assert_allclose(cycles.param + 2 * r2 - r2**2, 0, atol=1e-6)
    assert (cycles.stable == (r2 > 1 + 1e-6))[np.abs(r2 - 1) > 1e-3].all()
    kinds = [b["type"] for b in result.to_json()["branches"]]
    assert kinds == ["equilibrium", "cycle"]
