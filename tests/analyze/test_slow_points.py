"""Slow points (Sussillo & Barak 2013): fixed points with q = 0, the slow point of a ghost (the
minimum q = mu^2/2 of x' = mu + x^2 at x = 0), and the ring of bump states of the continuous
attractor network (examples/cann.nfl without input), each with one zero eigenvalue."""
import importlib

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.runtime.analyze import slow_points
from tests.analyze.models import one_neuron
from tests.conftest import EXAMPLES


def test_fixed_points_of_a_bistable_system_and_a_ghost():
    model = one_neuron("        dx/dt = x - x**3 : 1\n        dy/dt = -y : 1")
    candidates = np.random.default_rng(0).uniform(-1.5, 1.5, (32, 2))
    found = slow_points(model, candidates=candidates, tol=1e-20, distinct_tol=1e-6)
    np.testing.assert_allclose(np.sort(found.states[:, 0]), [-1, 0, 1], atol=1e-9)
    np.testing.assert_allclose(found.states[:, 1], 0, atol=1e-9)
    for state, eig, vectors in zip(found.states, found.eigenvalues, found.eigenvectors):
        expected = sorted([1 - 3 * state[0] ** 2, -1], reverse=True)
        np.testing.assert_allclose(eig.real, expected, atol=1e-8)
        jacobian = np.diag([1 - 3 * state[0] ** 2, -1])  # computed on first use, by hand here
        np.testing.assert_allclose(jacobian @ vectors, vectors * eig, atol=1e-8)
    ghost = one_neuron("        dx/dt = 0.01 + x**2 : 1\n        dy/dt = -y : 1")
    found = slow_points(ghost, candidates=candidates / 10, tol=1e-4, distinct_tol=0.2)
    slowest = found.states[0]
    assert found.speed[0] == pytest.approx(0.01**2 / 2, rel=1e-3)
    np.testing.assert_allclose(slowest, [0, 0], atol=1e-2)
    assert set(found.to_json()["slow_points"][0]) == {"state", "q", "eigenvalues"}


@pytest.mark.slow
def test_ring_of_bump_states_of_the_continuous_attractor_network():
    system = nf.analyze.System(nf.load(EXAMPLES / "cann.nfl"), {"A": 0.0})
    positions = np.linspace(-np.pi, np.pi, 513)[1:]
    centers = np.random.default_rng(0).uniform(-np.pi, np.pi, 16)
    candidates = [0.3 * np.exp(-np.angle(np.exp(1j * (positions - c))) ** 2) for c in centers]
    for steps in (200, 0):  # Adam first, or Levenberg-Marquardt alone
        found = slow_points(system, candidates=np.array(candidates), steps=steps,
                            learning_rate=1e-3, tol=1e-20, modes=4)
        assert len(found) >= 12
        peaks = positions[np.argmax(found.states, axis=1)]
        assert np.ptp(peaks) > 5  # spread around the ring
        heights = found.states.max(axis=1)
        np.testing.assert_allclose(heights, heights[0], rtol=1e-4)  # one bump, moved around
        np.testing.assert_allclose(found.eigenvalues[:, 0].real, 0, atol=1e-9)
        assert (found.eigenvalues[:, 1].real < -0.01).all()
    # the leading eigenpairs (Arnoldi) against LAPACK on a Jacobian by central differences
    for state, values, vectors in list(zip(found.states, found.eigenvalues,
                                           found.eigenvectors))[:2]:
        h = 1e-6
        jacobian = np.array([(system.rate(state + h * e) - system.rate(state - h * e)) / (2 * h)
                             for e in np.eye(system.size)]).T
        reference = np.linalg.eigvals(jacobian)
        reference = reference[np.argsort(-reference.real)][:4]
        np.testing.assert_allclose(values, reference, atol=1e-7)
        np.testing.assert_allclose(jacobian @ vectors, vectors * values, atol=1e-7)


@pytest.mark.parametrize("arnoldi_converges", [True, False])
def test_leading_modes_by_arnoldi_or_arpack(monkeypatch, arnoldi_converges):
    """modes=2 of a 4-dimensional system: Arnoldi, or ARPACK where it did not converge
    (forced here), both against the Jacobian's eigenvalues by hand."""
    slow = importlib.import_module("neuroflow.runtime.analyze.slow_points")
    if not arnoldi_converges:
        monkeypatch.setattr(slow, "ritz_pairs", lambda *args: None)
    model = one_neuron("        dx/dt = x - x**3 : 1\n        dy/dt = -y : 1\n"
                       "        dz/dt = -2*z + y : 1\n        dw/dt = -3*w : 1")
    candidates = np.random.default_rng(0).uniform(-1.5, 1.5, (16, 4))
    found = slow_points(model, candidates=candidates, steps=0, tol=1e-20, distinct_tol=1e-6,
                        modes=2)
    np.testing.assert_allclose(np.sort(found.states[:, 0]), [-1, 0, 1], atol=1e-9)
    for state, values, vectors in zip(found.states, found.eigenvalues, found.eigenvectors):
        jacobian = np.array([[1 - 3 * state[0] ** 2, 0, 0, 0], [0, -1, 0, 0],
                             [0, 1, -2, 0], [0, 0, 0, -3]])
        expected = sorted([1 - 3 * state[0] ** 2, -1, -2, -3], reverse=True)[:2]
        np.testing.assert_allclose(values.real, expected, atol=1e-8)
        np.testing.assert_allclose(jacobian @ vectors, vectors * values, atol=1e-8)
