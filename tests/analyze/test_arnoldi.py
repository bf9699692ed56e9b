"""The leading eigenpairs by batched Arnoldi (`slow_points(modes=K)`'s linearization) against
LAPACK on linear fields f(x) = A x, and its refusal where the Krylov space is exhausted."""
import numpy as np
import pytest

from neuroflow.runtime.analyze._arnoldi import krylov_bases, ritz_pairs

# the Krylov bases are called here directly, not through slow_points (which enters neuroflow's
# JAX scope): 64-bit types for the test's float64 matrices
pytestmark = pytest.mark.usefixtures("x64")


def test_leading_ritz_pairs_match_lapack():
    rng = np.random.default_rng(1)
    n, modes = 60, 4
    # a spectrum with a gap at the top, as at a slow point: 0, -0.1, -0.2, -0.3, then below -1
    spectrum = np.concatenate([[0.0, -0.1, -0.2, -0.3], -1 - rng.uniform(0, 1, n - 4)])
    basis = rng.normal(size=(n, n))
    A = basis @ np.diag(spectrum) @ np.linalg.inv(basis)  # not symmetric
    starts = rng.normal(size=(1, n))
    short = krylov_bases(lambda x, p: p @ x, 8)
    V, H = (np.asarray(a) for a in short(np.zeros((1, n)), A, starts))
    assert ritz_pairs(V[0], H[0], modes, 1e-10) is None  # 8 steps are too few: it says so
    bases = krylov_bases(lambda x, p: p @ x, 40)
    V, H = (np.asarray(a) for a in bases(np.zeros((1, n)), A, starts))
    values, vectors = ritz_pairs(V[0], H[0], modes, 1e-10)
    np.testing.assert_allclose(values.real, [0.0, -0.1, -0.2, -0.3], atol=1e-8)
    np.testing.assert_allclose(A @ vectors, vectors * values, atol=1e-7 * np.linalg.norm(A))


def test_an_exhausted_krylov_space_is_refused_or_exact():
    # three distinct eigenvalues, each 10 times: the Krylov space has dimension 3, past it
    # the basis goes on with rounding noise, which finds -1 again (it is a multiple one)
    n = 30
    A = np.diag(np.repeat([-1.0, -2.0, -3.0], 10))
    bases = krylov_bases(lambda x, p: p @ x, 8)
    start = np.random.default_rng(2).normal(size=(1, n))
    V, H = (np.asarray(a) for a in bases(np.zeros((1, n)), A, start))
    pair = ritz_pairs(V[0], H[0], 2, 1e-12)

    def exact(values, vectors) -> bool:
        # the two of largest real part are both -1; each vector an eigenvector of A for it
        return (np.allclose(values, [-1.0, -1.0], rtol=0, atol=1e-10)
                and np.allclose(A @ vectors, -vectors, rtol=0, atol=1e-10)
                and np.all(np.linalg.norm(vectors, axis=0) > 0.5))

    assert pair is None or exact(*pair)
