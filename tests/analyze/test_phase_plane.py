"""The phase plane of FitzHugh–Nagumo: its nullclines are curves on the closed-form nullclines
(to Newton's tolerance, not the grid's), crossing where the fixed point is."""
import numpy as np

from neuroflow.runtime.analyze import phase_plane
from tests.analyze.models import FITZHUGH_NAGUMO, one_neuron


def test_fitzhugh_nagumo_nullclines_fixed_point_and_plot(tmp_path):
    plane = phase_plane(one_neuron(*FITZHUGH_NAGUMO), "V,w", {"I": 0.5},
                        bounds={"V": (-2.5, 2.5), "w": (-1, 2)}, resolution=20, duration=50)
    (cubic,), (line,) = plane.nullclines["V"], plane.nullclines["w"]
    v, w = cubic.T
    assert np.abs(v - v**3 / 3 + 0.5 - w).max() < 1e-9  # w = V - V^3/3 + I
    for end in cubic[[0, -1]]:  # it runs from edge to edge of the box
        assert min(abs(abs(end[0]) - 2.5), abs(end[1] + 1), abs(end[1] - 2)) < 1e-12
    v, w = line.T
    assert np.abs(v + 0.7 - 0.8 * w).max() < 1e-9
    assert len(cubic) > 50 and len(line) > 20  # curves, in order along them
    assert np.all(np.linalg.norm(np.diff(cubic, axis=0), axis=1) < 0.2)
    point, = plane.fixed_points.points
    roots = np.roots([-1 / 3, 0, 1 - 1 / 0.8, 0.5 - 0.7 / 0.8])
    np.testing.assert_allclose(point.state[0], roots[np.abs(roots.imag) < 1e-12].real, atol=1e-12)
    assert point.stability == "unstable focus"
    data = plane.to_json()
    assert data["vars"] == ["V", "w"] and len(data["nullclines"]["V"]) == 1
    plane.plot().figure.savefig(tmp_path / "plane.png")
    assert (tmp_path / "plane.png").stat().st_size > 10_000
