"""Limit cycles born at a Hopf point, continued in the parameter by single shooting.

A cycle is `u = (x0, T, λ)`: a point x0 on it, its period T, the parameter λ.  Its equations are
`φ(x0; T, λ) − x0 = 0` (the flow over one period returns; φ by `RK4_STEPS` steps of the
classic Runge–Kutta method on dx/ds = T f(x, λ), s in [0, 1]) and the phase condition
`(x0 − x_H)·s = 0`: x0 stays on the plane through the Hopf equilibrium x_H normal to s, the
imaginary part of the critical eigenvector (a Poincaré section).  The same pseudo-arclength
tracer that follows equilibria follows this curve in R^(n+2).  The first cycle is found at a
small amplitude ε along the real part r of the eigenvector, `(x0 − x_H)·r = ε`, starting from
the Hopf point's period 2π/ω.

Floquet multipliers are the eigenvalues of the monodromy matrix ∂φ/∂x0 (one of them is 1).
Two test functions are watched: `lpc` (a fold of cycles: λ's component of the tangent) and
`pd` (period doubling: det(M + I), a multiplier through −1).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jit
from ._curve import ContinuationOptions, Curve, crossings, end_at, trace
from ._system import System
from ._trajectory import rk4_step

RK4_STEPS = 1000
START_AMPLITUDE = 1e-3  # relative to 1 + |x_H|
MAX_PERIOD_GROWTH = 50.0  # a cycle whose period grows this much nears a homoclinic orbit: stop


@dataclass(frozen=True)
class CycleBranch:
    hopf: int  # index of the Hopf point it starts from, among the result's points
    param: np.ndarray
    period: np.ndarray  # ms
    maximum: np.ndarray  # [points, n]: of each variable over the cycle
    minimum: np.ndarray
    states: np.ndarray  # [points, n]: x0, on the section
    multipliers: np.ndarray  # [points, n], by decreasing modulus
    message: str | None = None

    @property
    def amplitude(self) -> np.ndarray:
        """(max − min)/2 of each variable over the cycle."""
        return (self.maximum - self.minimum) / 2

    @property
    def stable(self) -> np.ndarray:
        """All multipliers but the trivial one inside the unit circle."""
        others = np.sort(np.abs(self.multipliers), axis=1)[:, :-1]
        return np.all(others < 1 - 1e-6, axis=1) if others.size else np.ones(len(self.param),
                                                                              bool)


class CycleProblem:
    """The shooting equations of cycles near one Hopf point, jitted once."""

    def __init__(self, system: System, param: str, hopf_state: np.ndarray, real: np.ndarray,
                 imag: np.ndarray):
        self.n = system.size
        values = {k: jnp.asarray(v) for k, v in system.params.items()}
        center, section = jnp.asarray(hopf_state), jnp.asarray(imag)

        def flow(x0, period, lam):
            p = dict(values, **{param: lam})
            h = 1.0 / RK4_STEPS

            def rate(x):
                return period * system.field(x, p)

            def step(x, _):
                x = rk4_step(rate, x, h)
                return x, x
            return jax.lax.scan(step, x0, None, length=RK4_STEPS)

        def H(u):
            x0, period, lam = u[:-2], u[-2], u[-1]
            end, _ = flow(x0, period, lam)
            return jnp.concatenate([end - x0, jnp.dot(x0 - center, section)[None]])

        self.flow = jit(flow)
        self.curve = Curve(H)
        self.monodromy = jit(jax.jacfwd(lambda u: flow(u[:-2], u[-2], u[-1])[0]))
        self.real = real

    def multipliers(self, u) -> np.ndarray:
        m = np.asarray(self.monodromy(u))[:, :self.n]
        mu = np.linalg.eigvals(m)
        return mu[np.argsort(-np.abs(mu))]

    def extremes(self, u) -> tuple[np.ndarray, np.ndarray]:
        """Max and min of each variable over the cycle, refined by a parabola through the
        samples around them (the samples alone would be off by O(1/RK4_STEPS²))."""
        _, orbit = self.flow(jnp.asarray(u[:-2]), u[-2], u[-1])
        orbit = np.asarray(orbit)
        return _extreme(orbit, np.argmax), _extreme(orbit, np.argmin)

    def tests(self):
        def pd(u, t):
            m = np.asarray(self.monodromy(u))[:, :self.n]
            return float(np.linalg.det(m + np.eye(self.n)))
        return {"lpc": lambda u, t: t[-1], "pd": pd}


def _extreme(orbit: np.ndarray, pick) -> np.ndarray:
    count = len(orbit)
    result = np.empty(orbit.shape[1])
    for k in range(orbit.shape[1]):
        i = int(pick(orbit[:, k]))
        a, b, c = orbit[(i - 1) % count, k], orbit[i, k], orbit[(i + 1) % count, k]
        curvature = a - 2 * b + c
        result[k] = b if curvature == 0 else b - (c - a) ** 2 / (8 * curvature)
    return result


def hopf_vectors(jacobian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal real and imaginary parts of the eigenvector of the pair ±iω."""
    eig, vecs = np.linalg.eig(jacobian)
    k = int(np.argmin(np.abs(eig.real) + np.where(eig.imag > 0, 0, np.inf)))
    real, imag = vecs[:, k].real, vecs[:, k].imag
    real = real / np.linalg.norm(real)
    imag = imag - np.dot(imag, real) * real
    return real, imag / np.linalg.norm(imag)


def continue_cycles(system: System, param: str, hopf, index: int, jacobian: np.ndarray,
                    lo: float, hi: float, options: ContinuationOptions):
    """`(branch, points, message)`: the branch of cycles born at the Hopf point `hopf` (the
    `index`-th of the result's Hopf points; `jacobian` there), its folds of cycles and period
    doublings as `(kind, u)`, and why it ended early if it did."""
    real, imag = hopf_vectors(jacobian)
    problem = CycleProblem(system, param, hopf.state, real, imag)
    epsilon = START_AMPLITUDE * (1 + np.linalg.norm(hopf.state))
    anchor = np.concatenate([hopf.state + epsilon * real, [hopf.period, hopf.value]])
    normal = np.concatenate([real, [0.0, 0.0]])
    u0, _ = problem.curve.correct(anchor, normal, options)
    if u0 is None:
        return None, [], f"no cycle found near the Hopf point at {param} = {hopf.value:.10g}"
    first_period = u0[-2]

    def inside(u):
        return lo <= u[-1] <= hi and 0 < u[-2] < MAX_PERIOD_GROWTH * first_period

    traced = trace(problem.curve, u0, normal, options, inside)
    end_at(problem.curve, traced, lo, hi, options)
    points = np.array(traced.points)
    multipliers = np.array([problem.multipliers(u) for u in points])
    extremes = np.array([problem.extremes(u) for u in points])
    branch = CycleBranch(index, points[:, -1], points[:, -2], extremes[:, 0], extremes[:, 1],
                         points[:, :-2], multipliers, traced.message)
    found = crossings(problem.curve, traced.points, traced.tangents, problem.tests(), options,
                      lambda u: lo <= u[-1] <= hi)
    return branch, found, traced.message
