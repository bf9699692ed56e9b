"""Codimension-2 points on fold and Hopf curves against the normal forms' closed forms, with
the normal forms moved away from the origin: Bogdanov–Takens x' = y, y' = a + b x + x^2 - x y
(a = b1 - 0.3, b = b2 + 0.2: the fold curve b^2 = 4a, the Hopf curve a = 0, b < 0, BT at
(0.3, -0.2)); the cusp x' = a + b x - x^3 (folds on 4b^3 = 27a^2, cusp at the origin of
(a, b)); Bautin r' = r(a + b r^2 - r^4) (Hopf at a = 0, l1 of the sign of b)."""
import numpy as np
import pytest

from neuroflow.runtime.analyze import continuation
from neuroflow.runtime.analyze.codim2 import codim2_curve
from tests.analyze.models import one_neuron

R2 = "(x**2 + y**2)"


@pytest.fixture(scope="module")
def bogdanov_takens():
    model = one_neuron("        dx/dt = y : 1\n"
                       "        dy/dt = (b1 - 0.3) + (b2 + 0.2)*x + x**2 - x*y : 1",
                       "        b1 = -0.7\n        b2 = -1.2", "        x = 1")
    result = continuation(model, "b1", (-0.7, 1.3))
    assert [p.type for p in result.points] == ["hopf", "fold"]
    return result


def test_bogdanov_takens_on_the_fold_curve(bogdanov_takens):
    fold = bogdanov_takens.of_type("fold")[0]
    curve = codim2_curve(bogdanov_takens, fold, "b2", (-2.2, 1.8))
    a, b = curve.values[:, 0] - 0.3, curve.values[:, 1] + 0.2
    assert np.abs(b**2 - 4 * a).max() < 1e-9
    bt, = curve.points
    assert bt.type == "bt"
    np.testing.assert_allclose(bt.values, [0.3, -0.2], atol=1e-6)
    np.testing.assert_allclose(bt.state, [0, 0], atol=1e-6)


@pytest.mark.slow
def test_bogdanov_takens_on_the_hopf_curve(bogdanov_takens):
    hopf = bogdanov_takens.of_type("hopf")[0]
    curve = codim2_curve(bogdanov_takens, hopf, "b2", (-2.2, 1.8))
    assert np.abs(curve.values[:, 0] - 0.3).max() < 1e-9
    bt, = curve.points
    assert bt.type == "bt"
    np.testing.assert_allclose(bt.values, [0.3, -0.2], atol=1e-6)


def test_cusp():
    model = one_neuron("        dx/dt = (a - 0.1) + (b - 0.5)*x - x**3 : 1",
                       "        a = -0.9\n        b = 1.5", "        x = -1")
    result = continuation(model, "a", (-0.9, 1.1))
    assert [p.type for p in result.points] == ["fold", "fold"]
    curve = codim2_curve(result, result.points[0], "b", (-0.5, 1.5))
    a, b = curve.values[:, 0] - 0.1, curve.values[:, 1] - 0.5
    assert np.abs(4 * b**3 - 27 * a**2).max() < 1e-9
    cusp, = curve.points
    assert cusp.type == "cusp"
    np.testing.assert_allclose(cusp.values, [0.1, 0.5], atol=1e-6)


def test_bautin():
    rate = f"((b - 0.4)*{R2} - {R2}**2)"
    model = one_neuron(f"        dx/dt = (a + 0.2)*x - y + x*{rate} : 1\n"
                       f"        dy/dt = x + (a + 0.2)*y + y*{rate} : 1",
                       "        a = -1\n        b = -0.6", "        x = 0.1")
    result = continuation(model, "a", (-1.0, 1.0))
    hopf, = result.points
    assert hopf.type == "hopf" and hopf.criticality == "supercritical"
    curve = codim2_curve(result, hopf, "b", (-0.6, 1.4))
    assert np.abs(curve.values[:, 0] + 0.2).max() < 1e-9
    gh, = curve.points
    assert gh.type == "gh"
    np.testing.assert_allclose(gh.values, [-0.2, 0.4], atol=1e-6)
