"""The Wong–Wang (2006) decision model's phase plane: three fixed points (two decisions and the
saddle between them), against scipy's fsolve on the equations written here by hand."""
import numpy as np
import pytest
from scipy.optimize import fsolve

import neuroflow as nf
from tests.conftest import EXAMPLES


def rates(s, coherence=0.0):
    """dS/dt in 1/s, in the paper's units (nA, Hz, s)."""
    def h(x):
        y = 270 * x - 108
        return y / (1 - np.exp(-0.154 * y))
    drive = 0.3255 + 0.00052 * 30 * np.array([1 + coherence, 1 - coherence])
    x = 0.2609 * s - 0.0497 * s[::-1] + drive
    return -s / 0.1 + (1 - s) * 0.641 * h(x)


@pytest.mark.slow  # some 7 s, mostly compiling the field and its nullclines' tracers
def test_three_fixed_points_of_the_decision_model():
    plane = nf.analyze.phase_plane(nf.load(EXAMPLES / "wong_wang.nfl"), "S1,S2", {"c": 0.0},
                                   bounds={"S1": (0, 1), "S2": (0, 1)}, resolution=30,
                                   duration=50)
    kinds = [p.stability for p in plane.fixed_points]
    assert kinds == ["stable node", "saddle", "stable node"]
    for point in plane.fixed_points:
        reference = fsolve(rates, point.state, xtol=1e-14)
        np.testing.assert_allclose(point.state, reference, atol=1e-12)
    low, saddle, high = plane.fixed_points.states
    np.testing.assert_allclose(saddle[0], saddle[1], atol=1e-12)  # symmetric
    np.testing.assert_allclose(low, high[::-1], atol=1e-12)
    for var, curves in plane.nullclines.items():
        k = ["S1", "S2"].index(var)
        for curve in curves:
            assert max(abs(rates(point)[k]) for point in curve) < 1e-8


@pytest.mark.slow  # compiles the field and the nullclines' tracers once, for both calls
def test_analysing_a_model_again_reuses_its_programs_with_the_new_parameters():
    model = nf.load(EXAMPLES / "wong_wang.nfl")
    planes = []
    for coherence in (0.0, 0.2):
        plane = nf.analyze.phase_plane(model, "S1,S2", {"c": coherence},
                                       bounds={"S1": (0, 1), "S2": (0, 1)}, resolution=30,
                                       duration=10)
        planes.append(plane)
        for point in plane.fixed_points:
            reference = fsolve(lambda s: rates(s, coherence), point.state, xtol=1e-14)
            np.testing.assert_allclose(point.state, reference, atol=1e-12)
    assert planes[0].system._compiled is planes[1].system._compiled  # compiled once
    assert len(planes[0].fixed_points) == 3 and len(planes[1].fixed_points) >= 1
