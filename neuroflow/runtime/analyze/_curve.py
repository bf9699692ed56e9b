"""Pseudo-arclength continuation of a curve `H(u) = 0`, `H: R^(m+1) -> R^m`.

The tracer predicts along the tangent, corrects by Newton's method on `H` and the plane
orthogonal to the tangent through the prediction, and adapts the step: halved when Newton
fails, grown after an easy correction.  The same tracer follows branches of equilibria
(`u = (x, parameter)`) and nullclines (`u` a point of the plane).  `locate` finds the zero of
a scalar test function between two points of a curve by the Illinois variant of regula falsi,
each trial point corrected back onto the curve.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jit


CLOSED = "the curve closed on itself"


@dataclass(frozen=True)
class ContinuationOptions:
    """Steps are in arclength of `u` (state and parameter together, internal units)."""

    ds: float = 0.01  # first step
    ds_min: float = 1e-8  # below this, a failing Newton ends the branch
    ds_max: float = 0.1
    max_steps: int = 5000
    tol: float = 1e-10  # Newton: |H| and the last correction
    newton_iterations: int = 8
    locate_tol: float = 1e-12  # events: arclength between the bracketing points
    max_turn: float = 0.3  # radians between successive tangents; sharper retries smaller


class Curve:
    """The jitted pieces of one curve `H(u, *args) = 0`; `args` (arrays) are arguments of the
    compiled functions, so curves that differ only in them share one compilation
    (`with_args`)."""

    def __init__(self, H: Callable, args: tuple = ()):
        self.args = tuple(args)
        self.H = jit(H)
        self._jacobian = jit(jax.jacfwd(H))
        # a whole correction is one call: step by step from Python, its dispatches and
        # transfers took longer than the Newton steps themselves
        self._correct = jit(self._corrected, static_argnums=(3, 4))
        self._tangent = jit(self._tangent_of)

    def with_args(self, args: tuple) -> "Curve":
        other = copy.copy(self)
        other.args = tuple(args)
        return other

    def jacobian(self, u):
        return self._jacobian(u, *self.args)

    def _newton_step(self, u, anchor, normal, args):
        bordered = jnp.vstack([jax.jacfwd(self.H)(u, *args), normal[None]])
        residual = jnp.concatenate([self.H(u, *args), jnp.dot(normal, u - anchor)[None]])
        du = jnp.linalg.solve(bordered, -residual)
        return u + du, jnp.linalg.norm(self.H(u, *args)), jnp.linalg.norm(du)

    def _corrected(self, anchor, normal, args, tol: float, iterations: int):
        """Newton from `anchor` in the plane through it normal to `normal`: `(u, iterations,
        converged)`, stopping where the last correction and |H| are within `tol`."""
        def going(carry):
            k, _, done, failed = carry
            return (k < iterations) & ~done & ~failed

        def step(carry):
            k, u, _, _ = carry
            new, residual, du = self._newton_step(u, anchor, normal, args)
            finite = jnp.all(jnp.isfinite(new)) & jnp.isfinite(du)
            done = finite & (du <= tol * (1 + jnp.linalg.norm(new))) & (residual <= 10 * tol)
            return k + 1, jnp.where(finite, new, u), done, ~finite

        on_curve = jnp.linalg.norm(self.H(anchor, *args)) <= 1e-3 * tol
        k, u, done, failed = jax.lax.while_loop(going, step, (0, anchor, on_curve, False))
        converged = done | (~failed & (jnp.linalg.norm(self.H(u, *args)) <= tol))
        return u, k, converged

    def _tangent_of(self, u, previous, args):
        bordered = jnp.vstack([jax.jacfwd(self.H)(u, *args), previous[None]])
        rhs = jnp.zeros(u.shape[0]).at[-1].set(1.0)
        t = jnp.linalg.solve(bordered, rhs)
        return t / jnp.linalg.norm(t)

    def tangent(self, u, previous) -> np.ndarray | None:
        """The unit tangent at `u` on the side of `previous`; None where it is undefined."""
        t = np.asarray(self._tangent(u, previous, self.args))
        return t if np.all(np.isfinite(t)) else None

    def correct(self, anchor, normal, options: ContinuationOptions):
        """`(u, iterations)` on the curve in the plane through `anchor` normal to `normal`;
        `(None, iterations)` where Newton does not converge."""
        u, k, converged = self._correct(np.asarray(anchor, float), np.asarray(normal, float),
                                        self.args, float(options.tol),
                                        int(options.newton_iterations))
        return (np.asarray(u) if bool(converged) else None), int(k)


@dataclass
class Traced:
    points: list[np.ndarray]
    tangents: list[np.ndarray]
    message: str | None = None  # why the curve ended early, if it did


def trace(curve: Curve, u0: np.ndarray, direction: np.ndarray, options: ContinuationOptions,
          inside: Callable[[np.ndarray], bool]) -> Traced:
    """Points of the curve from `u0`, leaving along `direction`, until `inside` fails (that
    last point included), the curve closes, or `options.max_steps`."""
    t = curve.tangent(u0, direction)
    if t is None:
        return Traced([u0], [direction], "the curve has no tangent at its first point (a"
                                         " singular point: a fold or branch point of the start)")
    traced = Traced([np.asarray(u0, float)], [t])
    u, ds = traced.points[0], options.ds
    for _ in range(options.max_steps):
        new, iterations = curve.correct(u + ds * t, t, options)
        new_t = None if new is None else curve.tangent(new, t)
        turn = np.inf if new_t is None else np.arccos(np.clip(np.dot(t, new_t), -1, 1))
        if new is None or turn > options.max_turn:
            ds /= 2
            if ds < options.ds_min:
                why = "Newton's method failed" if new is None else "the curve turns too sharply"
                traced.message = f"{why} near {_text(u)}; the branch is kept up to there"
                return traced
            continue
        u, t = new, new_t
        traced.points.append(u)
        traced.tangents.append(t)
        if not inside(u):
            return traced
        if len(traced.points) > 10 and np.linalg.norm(u - traced.points[0]) < ds:
            traced.message = CLOSED
            return traced
        if iterations <= 3:
            ds = min(1.5 * ds, options.ds_max)
        elif iterations >= 6:
            ds = max(0.7 * ds, options.ds_min)
    traced.message = f"stopped after {options.max_steps} steps (max_steps)"
    return traced


def end_at(curve: Curve, traced: Traced, lo: float, hi: float,
           options: ContinuationOptions) -> None:
    """Replace a last point whose parameter (its last coordinate) is past [lo, hi] by the
    curve's point at the end it passed."""
    if len(traced.points) < 2 or lo <= traced.points[-1][-1] <= hi:
        return
    a, b = traced.points[-2], traced.points[-1]
    end = hi if b[-1] > hi else lo
    normal = np.append(np.zeros(len(b) - 1), 1.0)  # the parameter's axis
    u, _ = curve.correct(a + (end - a[-1]) / (b[-1] - a[-1]) * (b - a), normal, options)
    if u is not None:
        t = curve.tangent(u, traced.tangents[-2])
        traced.points[-1] = u
        traced.tangents[-1] = traced.tangents[-2] if t is None else t


def _text(u: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in u) + ")"


def locate(curve: Curve, a: np.ndarray, b: np.ndarray, ta: np.ndarray,
           test: Callable[[np.ndarray, np.ndarray], float], options: ContinuationOptions):
    """The point between `a` and `b` (neighbours on the curve, `ta` the tangent at `a`) where
    `test(u, tangent)` changes sign, to `options.locate_tol` in arclength; None where a
    correction fails."""
    chord = b - a
    length = float(np.linalg.norm(chord))
    normal = chord / length

    def at(theta: float):
        u, _ = curve.correct(a + theta * chord, normal, options)
        if u is None:
            return None, None, np.nan
        t = curve.tangent(u, ta)
        return u, t, (np.nan if t is None else float(test(u, t)))

    lo, hi = 0.0, 1.0
    f_lo, f_hi = float(test(a, ta)), at(1.0)[2]
    if not (np.isfinite(f_lo) and np.isfinite(f_hi)) or f_lo * f_hi > 0:
        return None
    best = (a, ta) if abs(f_lo) < abs(f_hi) else at(1.0)[:2]
    side = 0
    for _ in range(100):
        if (hi - lo) * length <= options.locate_tol:
            break
        theta = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        if not lo < theta < hi:
            theta = 0.5 * (lo + hi)
        u, t, value = at(theta)
        if u is not None and t is None:  # exactly on a singular point (a branch point)
            return u, ta
        if u is None:  # Newton is singular there: bisect instead
            theta = 0.5 * (lo + hi)
            u, t, value = at(theta)
            if u is None or t is None:
                return (u, ta) if u is not None else None
        best = (u, t)
        if value == 0:
            break
        if value * f_lo < 0:
            hi, f_hi = theta, value
            f_lo = f_lo / 2 if side == -1 else f_lo  # Illinois: halve the stale end
            side = -1
        else:
            lo, f_lo = theta, value
            f_hi = f_hi / 2 if side == 1 else f_hi
            side = 1
    return best


def crossings(curve: Curve, points, tangents, tests: dict[str, Callable], options, inside):
    """`(kind, u)` for each zero of a test function (`tests[kind](u, tangent)`) between two
    neighbouring points of a traced curve, located by `locate` and kept where `inside(u)`: the
    special points of equilibria, of cycles and of codimension-2 curves alike."""
    found: list[tuple[str, np.ndarray]] = []
    values = {kind: [test(u, t) for u, t in zip(points, tangents)] for kind, test in tests.items()}
    for k in range(len(points) - 1):
        for kind, test in tests.items():
            va, vb = values[kind][k], values[kind][k + 1]
            if not (np.isfinite(va) and np.isfinite(vb)) or va * vb > 0 or va == vb == 0:
                continue
            located = locate(curve, points[k], points[k + 1], tangents[k], test, options)
            if located is None or not inside(located[0]):
                continue
            u = located[0]
            if any(kind == seen and np.linalg.norm(v - u) <= 1e-8 * (1 + np.linalg.norm(u))
                   for seen, v in found):
                continue  # a zero on a point of the curve, found from both sides
            found.append((kind, u))
    return found
