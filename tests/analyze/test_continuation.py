"""Continuation of equilibria against closed forms: the Hopf points of FitzHugh–Nagumo (with
l1 computed independently, by hand-derived forms and by the Guckenheimer–Holmes formula),
folds of the saddle-node normal form and of a cubic, the branch point of a pitchfork."""
import numpy as np
import pytest

from neuroflow.runtime.analyze import AnalysisError, continuation
from tests.analyze.models import FITZHUGH_NAGUMO, one_neuron

A, B, TAU = 0.7, 0.8, 12.5


def fhn_hopf(sign: float):
    """The Hopf point of FitzHugh–Nagumo where V = sign*sqrt(1 - b/tau): the current, V, w,
    the Jacobian and ω, in closed form."""
    v = sign * np.sqrt(1 - B / TAU)
    w = (v + A) / B
    current = w - v + v**3 / 3
    jac = np.array([[1 - v**2, -1.0], [1 / TAU, -B / TAU]])
    return current, v, w, jac, np.sqrt(np.linalg.det(jac))


def kuznetsov_l1(v, jac, omega):
    """l1 by Kuznetsov's formula with eigenvectors and forms derived by hand: the only
    nonlinearity is -V^3/3, so B(x, y) = (-2V x0 y0, 0) and C(x, y, z) = (-2 x0 y0 z0, 0)."""
    q = np.array([1.0, 1 - v**2 - 1j * omega])
    q = q / np.linalg.norm(q)
    p = np.array([1.0, -TAU * (1 - v**2 + 1j * omega)])
    p = p / np.conj(np.vdot(p, q))

    def b(x, y):
        return np.array([-2 * v * x[0] * y[0], 0])

    def c(x, y, z):
        return np.array([-2 * x[0] * y[0] * z[0], 0])

    qb = np.conj(q)
    value = (np.vdot(p, c(q, q, qb)) - 2 * np.vdot(p, b(q, np.linalg.solve(jac, b(q, qb))))
             + np.vdot(p, b(qb, np.linalg.solve(2j * omega * np.eye(2) - jac, b(q, q)))))
    return value.real / (2 * omega)


def guckenheimer_holmes_a(v, jac, omega):
    """The cubic coefficient a of r' = d mu r + a r^3 (Guckenheimer & Holmes, eq. 3.4.11) in
    coordinates y where the linear part is [[0, -ω], [ω, 0]]: x = T y, T = [Im q, Re q]."""
    eig, vecs = np.linalg.eig(jac)
    q = vecs[:, np.argmax(eig.imag)]
    T = np.column_stack([q.imag, q.real])
    assert np.allclose(np.linalg.solve(T, jac @ T), [[0, -omega], [omega, 0]])
    m = np.linalg.inv(T)[:, 0]  # the nonlinearity h(V - v) enters the first equation only
    c1, c2 = T[0]
    h2, h3 = -2 * v, -2.0  # h'' and h''' of h(z) = -v z^2 - z^3/3
    f_xx, f_xy, f_yy = m[0] * h2 * c1 * c1, m[0] * h2 * c1 * c2, m[0] * h2 * c2 * c2
    g_xx, g_xy, g_yy = m[1] * h2 * c1 * c1, m[1] * h2 * c1 * c2, m[1] * h2 * c2 * c2
    f_xxx, f_xyy = m[0] * h3 * c1**3, m[0] * h3 * c1 * c2**2
    g_xxy, g_yyy = m[1] * h3 * c1**2 * c2, m[1] * h3 * c2**3
    return ((f_xxx + f_xyy + g_xxy + g_yyy) / 16
            + (f_xy * (f_xx + f_yy) - g_xy * (g_xx + g_yy) - f_xx * g_xx + f_yy * g_yy)
            / (16 * omega))


def test_fitzhugh_nagumo_hopf_points():
    result = continuation(one_neuron(*FITZHUGH_NAGUMO), "I", (0.0, 2.0))
    hopf = result.of_type("hopf")
    assert [p.type for p in result.points] == ["hopf", "hopf"]
    assert len(result.branches) == 1 and result.branches[0].message is None
    for point, sign, quoted in zip(hopf, (-1, 1), (0.33128133745, 1.41871866255)):
        current, v, w, jac, omega = fhn_hopf(sign)
        assert abs(current - quoted) < 1e-11  # the closed-form values
        assert abs(point.value - current) < 1e-8
        np.testing.assert_allclose(point.state, [v, w], atol=1e-7)
        assert point.frequency == pytest.approx(omega, rel=1e-8)
        assert point.period == pytest.approx(2 * np.pi / omega, rel=1e-8)
        reference = kuznetsov_l1(v, jac, omega)
        assert point.l1 == pytest.approx(reference, rel=1e-6)
        assert np.sign(point.l1) == np.sign(guckenheimer_holmes_a(v, jac, omega)) == 1
        assert point.criticality == "subcritical"
    stable = result.branches[0].stable
    param = result.branches[0].param
    assert stable[param < 0.33].all() and not stable[(param > 0.34) & (param < 1.41)].any()
    assert stable[param > 1.42].all()


def test_saddle_node_normal_form_fold():
    model = one_neuron("        dx/dt = lam + x**2 : 1", "        lam = -1")
    result = continuation(model, "lam", (-1.0, 1.0))
    fold, = result.points
    assert fold.type == "fold" and abs(fold.value) < 1e-10 and abs(fold.state[0]) < 1e-5
    assert len(result.branches) == 1  # the second equilibrium at lam = -1 is on the same branch
    assert result.branches[0].param.max() <= 1e-10


def test_folds_of_a_cubic_at_plus_minus_two_thirds():
    model = one_neuron("        dx/dt = lam + x - x**3/3 : 1", "        lam = 0")
    result = continuation(model, "lam", (-2.0, 2.0))
    folds = result.of_type("fold")
    np.testing.assert_allclose(sorted(p.value for p in folds), [-2 / 3, 2 / 3], atol=1e-10)
    np.testing.assert_allclose(sorted(p.state[0] for p in folds), [-1, 1], atol=1e-5)
    branch = result.branches[0]
    middle = (branch.states[:, 0] > -0.99) & (branch.states[:, 0] < 0.99)
    assert (branch.unstable[middle] == 1).all() and (branch.unstable[~middle] == 0).all()


def test_pitchfork_branch_point():
    model = one_neuron("        dx/dt = lam*x - x**3 : 1", "        lam = -1",
                       "        x = 0")
    result = continuation(model, "lam", (-1.0, 1.0), start={"x": 0.0})
    point, = result.points
    assert point.type == "branch" and abs(point.value) < 1e-10 and abs(point.state[0]) < 1e-10


def test_bad_input_is_a_clear_error():
    model = one_neuron(*FITZHUGH_NAGUMO)
    with pytest.raises(AnalysisError, match="holds no points"):
        continuation(model, "I", (1.0, 1.0))
    with pytest.raises(AnalysisError, match="did you mean 'P.I'"):
        continuation(model, "P.J", (0.0, 1.0))
    spiking = one_neuron("        dv/dt = (I - v)/(10*ms) : 1", "        I = 2", "",
                         "    threshold: v > 1\n    reset: v = 0")
    with pytest.raises(AnalysisError, match="has a threshold"):
        continuation(spiking, "I", (0.0, 1.0))
    below = continuation(spiking, "I", (0.0, 1.0), allow_threshold=True)
    np.testing.assert_allclose(below.branches[0].states[:, 0], below.branches[0].param)


def test_a_branch_that_ends_in_a_singularity_is_kept():
    """x' = sqrt(x) + lam has the equilibria x = lam^2 for lam <= 0 only, and f_x is infinite
    at x = 0: Newton fails there, and the branch traced up to it stays, with a message."""
    model = one_neuron("        dx/dt = sqrt(x) + lam : 1", "        lam = -1", "        x = 1")
    result = continuation(model, "lam", (-1.0, 1.0), start={"x": 1.0})
    branch, = result.branches
    assert branch.message and "kept up to there" in branch.message
    assert result.messages and len(branch.param) > 10
    assert branch.param.max() > -0.05
    np.testing.assert_allclose(branch.states[:, 0], branch.param**2, atol=1e-9)
