"""Fast-slow dissection of the Hindmarsh-Rose burster: with z frozen, the fast equilibria lie on
z = I + c + (b - d) x^2 - a x^3, whose folds are at x = 0 and x = -4/3 (a=1, b=3, c=1, d=5,
I=2: z = 3 and z = 3 - 32/27); the slow nullcline is z = s (x - x_R)."""
import numpy as np

import neuroflow as nf
from neuroflow.runtime.analyze import fast_slow
from tests.conftest import EXAMPLES


def test_hindmarsh_rose_folds_nullcline_and_trajectory(tmp_path):
    result = fast_slow(nf.load(EXAMPLES / "hindmarsh_rose.nfl"), "z", (1.0, 3.5), "x",
                       duration=300)
    folds = result.fast.of_type("fold")
    np.testing.assert_allclose([p.value for p in folds], [3 - 32 / 27, 3.0], atol=1e-10)
    np.testing.assert_allclose([p.state[0] for p in folds], [-4 / 3, 0.0], atol=1e-6)
    hopf, = result.fast.of_type("hopf")
    assert 2.9 < hopf.value < 3.0  # on the upper branch, where the fast spiking is born
    for branch in result.fast.branches:
        x = branch.states[:, 0]
        np.testing.assert_allclose(branch.param, 3 - 2 * x**2 - x**3, atol=1e-9)
    curve, = result.nullcline
    np.testing.assert_allclose(curve[:, 0], 4 * (curve[:, 1] + 1.6), atol=1e-9)
    assert result.trajectory.shape[1] == 2
    result.plot().figure.savefig(tmp_path / "bursting.png")
