"""Normal-form coefficients of equilibria from derivatives of the vector field.

The multilinear forms B and C (second and third derivatives of `f` at an equilibrium) are
directional derivatives by nested `jax.jvp`, applied to complex vectors through their real and
imaginary parts.  The first Lyapunov coefficient of a Hopf point follows Kuznetsov (Elements of
Applied Bifurcation Theory, 3rd ed., eq. 3.20): with A q = iω q, Aᵀ p = −iω p, <q, q> = 1 and
<p, q> = 1 (<a, b> = conj(a)·b),

    l1 = Re[<p, C(q,q,q̄)> − 2<p, B(q, A⁻¹ B(q,q̄))> + <p, B(q̄, (2iω − A)⁻¹ B(q,q))>] / (2ω).

l1 < 0: a supercritical Hopf point (a stable cycle is born); l1 > 0: subcritical.
"""
from __future__ import annotations

import itertools

import jax
import numpy as np

from ...backend.jax import jit


def _derivative(f, x, directions):
    """The k-th derivative of `f` at `x` along the real `directions` (k = their number)."""
    if not directions:
        return f(x)
    *inner, last = directions
    return jax.jvp(lambda y: _derivative(f, y, inner), (x,), (last,))[1]


class Forms:
    """The multilinear forms of `f(x, p)` at `x` (p: parameters, any pytree), jitted once:
    `forms(x, p, v1, ..., vk)` is the k-th derivative along complex vectors v1..vk."""

    def __init__(self, f):
        self._real = {k: jit(lambda x, p, *d: _derivative(lambda y: f(y, p), x, list(d)))
                      for k in (2, 3)}

    def __call__(self, x, p, *vectors) -> np.ndarray:
        parts = [(np.real(v), np.imag(v)) for v in vectors]
        real = self._real[len(vectors)]
        total = 0j
        for choice in itertools.product((0, 1), repeat=len(vectors)):
            term = np.asarray(real(x, p, *[parts[k][c] for k, c in enumerate(choice)]))
            total = total + (1j ** sum(choice)) * term
        return total


def hopf_coefficients(forms: Forms, x, p, jacobian: np.ndarray) -> tuple[float, float]:
    """`(ω, l1)` at an equilibrium `x` (parameters `p`) whose Jacobian has a pair ±iω."""
    eig, right = np.linalg.eig(jacobian)
    k = int(np.argmin(np.abs(eig.real) + np.where(eig.imag > 0, 0, np.inf)))
    omega = float(eig[k].imag)
    q = right[:, k] / np.linalg.norm(right[:, k])
    eig_t, left = np.linalg.eig(jacobian.T)
    p_vec = left[:, int(np.argmin(np.abs(eig_t + 1j * omega)))]
    p_vec = p_vec / np.conj(np.vdot(p_vec, q))
    n = len(x)
    b_qq = forms(x, p, q, q)
    b_qqbar = forms(x, p, q, np.conj(q))
    c_term = forms(x, p, q, q, np.conj(q))
    h11 = np.linalg.solve(jacobian, b_qqbar)
    h20 = np.linalg.solve(2j * omega * np.eye(n) - jacobian, b_qq)
    value = (np.vdot(p_vec, c_term) - 2 * np.vdot(p_vec, forms(x, p, q, h11))
             + np.vdot(p_vec, forms(x, p, np.conj(q), h20)))
    return omega, float(value.real / (2 * omega))
