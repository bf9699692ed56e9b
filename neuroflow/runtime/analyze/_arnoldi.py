"""The leading eigenvalues of many Jacobians at once, matrix-free: Arnoldi iteration on
Jacobian–vector products (`jax.linearize`), all points under one `jit` and `vmap`.

From a random start, `krylov` steps build an orthonormal basis V of the Krylov space of J
(Gram–Schmidt twice against the whole basis, which keeps V orthonormal to rounding) and the
Hessenberg matrix H = VᵀJV; the eigenvalues of H (Ritz values) approximate J's extreme ones,
and ‖J y − θ y‖ = |h_{m+1,m} e_mᵀ z| for the Ritz pair (θ, y = Vz) tells which are accurate.
A point whose wanted pairs are not (or whose basis is no longer orthonormal: it broke down on
an invariant subspace) goes to ARPACK, on its dense Jacobian.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jit

ORTHONORMAL = 1e-10  # |VᵀV - I| beyond this: the basis lost its orthogonality


def krylov_bases(field, krylov: int):
    """`bases(points, p, starts) -> (V [points, m+1, n], H [points, m+1, m])`, jitted."""
    def one(x, p, start):
        along = jax.linearize(lambda y: field(y, p), x)[1]
        basis = jnp.zeros((krylov + 1, x.shape[0]), x.dtype).at[0].set(
            start / jnp.linalg.norm(start))
        hessenberg = jnp.zeros((krylov + 1, krylov), x.dtype)

        def step(j, carry):
            basis, hessenberg = carry
            w = along(basis[j])
            h = basis @ w  # rows past j are still zero
            w = w - h @ basis
            again = basis @ w
            w, h = w - again @ basis, h + again
            norm = jnp.linalg.norm(w)
            basis = basis.at[j + 1].set(w / jnp.where(norm > 0, norm, 1.0))
            return basis, hessenberg.at[:, j].set(h.at[j + 1].set(norm))

        return jax.lax.fori_loop(0, krylov, step, (basis, hessenberg))
    return jit(jax.vmap(one, in_axes=(0, None, 0)))


def ritz_pairs(basis: np.ndarray, hessenberg: np.ndarray, modes: int, tol: float):
    """The `modes` Ritz pairs of largest real part of one point, or None where they are not
    accurate to `tol` (the residual relative to the largest Ritz value) or the basis broke down."""
    m = hessenberg.shape[1]
    square, last = hessenberg[:m], hessenberg[m, m - 1]
    if np.abs(basis @ basis.T - np.eye(m + 1)).max() > ORTHONORMAL:
        return None  # broke down (an invariant subspace, found exactly): H is no longer VᵀJV
    scale = np.linalg.norm(square, 1)
    values, vectors = np.linalg.eig(square)
    order = np.argsort(-values.real, kind="stable")[:modes]
    residual = np.abs(last * vectors[m - 1, order])
    if not np.all(residual <= tol * scale):
        return None
    return values[order], basis[:m].T @ vectors[:, order]
