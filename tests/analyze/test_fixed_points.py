"""Fixed points and their classes for linear systems with known eigenvalues, and for
FitzHugh–Nagumo against its closed form (the real root of a cubic)."""
import numpy as np
import pytest

from neuroflow.runtime.analyze import AnalysisError, fixed_points
from tests.analyze.models import FITZHUGH_NAGUMO, linear, one_neuron

CASES = [
    ([[-1, 0], [0, -2]], "stable node", [-1, -2]),
    ([[-1, 2], [-2, -1]], "stable focus", [-1 + 2j, -1 - 2j]),
    ([[2, 0], [1, 3]], "unstable node", [3, 2]),
    ([[0.5, -3], [3, 0.5]], "unstable focus", [0.5 + 3j, 0.5 - 3j]),
    ([[1, 0], [0, -1]], "saddle", [1, -1]),
    ([[0, 1], [-1, 0]], "center-like", [1j, -1j]),
]


@pytest.mark.parametrize("matrix, kind, eigenvalues", CASES)
def test_linear_systems_have_their_class(matrix, kind, eigenvalues):
    found = fixed_points(linear(matrix), seeds="random", count=8)
    assert len(found) == 1
    point = found[0]
    np.testing.assert_allclose(point.state, [1.0, -2.0], atol=1e-12)
    np.testing.assert_allclose(sorted(point.eigenvalues, key=lambda e: (e.real, e.imag)),
                               sorted(eigenvalues, key=lambda e: (e.real, e.imag)), atol=1e-12)
    assert point.stability == kind
    assert point.unstable == sum(np.real(eigenvalues) > 0)


def test_three_dimensional_saddle_counts_its_unstable_directions():
    model = one_neuron("        dx/dt = x : 1\n        dy/dt = 2*y - z : 1\n"
                       "        dz/dt = y + 2*z : 1")
    point, = fixed_points(model, seeds="grid", count=27).points
    assert point.stability == "unstable focus" and point.unstable == 3
    model = one_neuron("        dx/dt = -x : 1\n        dy/dt = 2*y - z : 1\n"
                       "        dz/dt = y + 2*z : 1")
    point, = fixed_points(model, seeds="grid", count=27).points
    assert point.stability == "saddle" and point.unstable == 2


def test_fitzhugh_nagumo_rest_state_and_json():
    model = one_neuron(*FITZHUGH_NAGUMO)
    for current in (0.0, 0.5):
        roots = np.roots([-1 / 3, 0, 1 - 1 / 0.8, current - 0.7 / 0.8])  # V on both nullclines
        v = roots[np.abs(roots.imag) < 1e-12].real
        found = fixed_points(model, {"I": current})
        np.testing.assert_allclose(found.states[:, 0], np.sort(v), atol=1e-12)
        np.testing.assert_allclose(found.states[:, 1], (np.sort(v) + 0.7) / 0.8, atol=1e-12)
    data = found.to_json()["fixed_points"]
    assert set(data[0]) == {"state", "eigenvalues", "stability"}
    assert set(data[0]["state"]) == {"V", "w"} and data[0]["stability"] == "unstable focus"


def test_three_equilibria_of_a_bistable_cubic():
    model = one_neuron("        dx/dt = x - x**3 : 1\n        dy/dt = -y : 1")
    found = fixed_points(model, seeds="grid", bounds={"x": (-2, 2), "y": (-1, 1)}, count=64)
    np.testing.assert_allclose(found.states[:, 0], [-1, 0, 1], atol=1e-12)
    assert [p.stability for p in found] == ["stable node", "saddle", "stable node"]


def test_unknown_names_are_errors_with_hints():
    model = one_neuron(*FITZHUGH_NAGUMO)
    with pytest.raises(AnalysisError, match="did you mean 'P.I'"):
        fixed_points(model, {"P.J": 1.0})
    with pytest.raises(AnalysisError, match="parameters: P.I"):
        fixed_points(model, {"g": 1.0})
    with pytest.raises(AnalysisError, match="did you mean 'V'"):
        fixed_points(model, bounds={"v": (0, 1)})
