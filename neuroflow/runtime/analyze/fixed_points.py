"""`fixed_points(...)`: equilibria by damped Newton from many seeds, with their stability."""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import numpy as np

from ...backend.jax import jax_scope, jit
from ._newton import newton_many
from ._stability import stability, unstable_directions
from ._system import AnalysisError, System, as_system
from ._trajectory import trajectories

SEEDS = ("auto", "grid", "random", "trajectory")


@dataclass(frozen=True)
class FixedPoint:
    state: np.ndarray  # in the order of `system.state_names`, internal units
    eigenvalues: np.ndarray  # of the Jacobian, by decreasing real part
    stability: str
    unstable: int  # number of unstable directions


@dataclass
class FixedPoints:
    system: System
    points: list[FixedPoint]
    seeds: int = 0
    converged: int = 0
    messages: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> FixedPoint:
        return self.points[index]

    @property
    def states(self) -> np.ndarray:
        return np.array([p.state for p in self.points]).reshape(len(self.points), -1)

    def to_json(self) -> dict:
        return {"fixed_points": [
            {"state": self.system.state_dict(p.state),
             "eigenvalues": [[float(e.real), float(e.imag)] for e in p.eigenvalues],
             "stability": p.stability} for p in self.points]}

    def plot(self, x: str | None = None, y: str | None = None, ax=None):
        """The fixed points in the plane of two state variables, filled where stable."""
        from ._plot import axes, mark_fixed_points

        names = self.system.state_names
        x, y = x or names[0], y or names[min(1, len(names) - 1)]
        ax = axes(ax)
        mark_fixed_points(ax, self, self.system.state_index(x), self.system.state_index(y))
        ax.set(xlabel=f"{x} ({self.system.state_unit(x)})",
               ylabel=f"{y} ({self.system.state_unit(y)})")
        return ax


def classify(system: System, state) -> FixedPoint:
    # jitted once per system (parameters as arguments): eagerly, jacfwd compiles every
    # primitive of the field on its own, dozens of small XLA programs
    jacobian = system.compiled("jacobian at", lambda: jit(jax.jacfwd(system.field)))
    jac = np.asarray(jacobian(np.asarray(state, float), system.params))
    eig = np.linalg.eigvals(jac)
    eig = eig[np.lexsort((-eig.imag, -eig.real))]
    return FixedPoint(np.asarray(state, float), eig, stability(eig), unstable_directions(eig))


def box(system: System, bounds: dict | None, around: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners: `bounds` (name -> (lo, hi)) where given, else the range of
    the points `around` widened by half of it (and by at least 1 unit + 10%)."""
    low, high = around.min(axis=0), around.max(axis=0)
    pad = np.maximum(0.5 * (high - low), 1.0 + 0.1 * np.abs(around).max(axis=0))
    low, high = low - pad, high + pad
    for name, (lo, hi) in (bounds or {}).items():
        index = system.state_index(name)
        if not lo < hi:
            raise AnalysisError(f"the bounds of '{name}' hold no points: {lo} to {hi}")
        low[index], high[index] = lo, hi
    return low, high


def make_seeds(system: System, seeds, bounds: dict | None, count: int, duration: float,
               dt: float, rng: np.random.Generator) -> np.ndarray:
    """Starting points for Newton: an array of them, or one of `SEEDS`."""
    if not isinstance(seeds, str):
        seeds = np.atleast_2d(np.asarray(seeds, float))
        if seeds.shape[1] != system.size:
            raise AnalysisError(f"seeds need {system.size} values each, got {seeds.shape[1]}")
        return seeds
    if seeds not in SEEDS:
        raise AnalysisError(f"unknown seeds '{seeds}'", hint=f"use one of {', '.join(SEEDS)}"
                            " or an array of states")
    path = trajectories(system, system.x0, duration, dt)[1][0]
    path = path[np.all(np.isfinite(path), axis=1)]
    if seeds == "trajectory":
        return path[np.linspace(0, len(path) - 1, count).astype(int)]
    low, high = box(system, bounds, path)
    if seeds == "grid":
        per_axis = max(2, int(round(count ** (1 / system.size))))
        if per_axis ** system.size > 1_000_000:
            raise AnalysisError(f"a grid of {per_axis}^{system.size} seeds is too many",
                                hint="use seeds='random' or 'trajectory' in many dimensions")
        axes = [np.linspace(lo, hi, per_axis) for lo, hi in zip(low, high)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, system.size)
    random = rng.uniform(low, high, (count, system.size))
    if seeds == "random":
        return random
    half = count // 2
    return np.concatenate([path[np.linspace(0, len(path) - 1, half).astype(int)],
                           random[:count - half]])


def distinct(points: np.ndarray, tol: float) -> np.ndarray:
    """The indices of `points` kept once each: a point within `tol * (1 + |x|)` of one kept
    before it is the same."""
    kept: list[int] = []
    for k, point in enumerate(points):
        scale = tol * (1.0 + np.linalg.norm(point))
        if all(np.linalg.norm(point - points[j]) > scale for j in kept):
            kept.append(k)
    return np.array(kept, int)


@jax_scope()
def fixed_points(model, params: dict | None = None, *, seeds="auto", bounds: dict | None = None,
                 count: int = 256, duration: float = 200.0, dt: float = 0.05, tol: float = 1e-9,
                 iterations: int = 40, population: str | None = None,
                 seed: int = 0) -> FixedPoints:
    """Equilibria of `model` (a `System`, an `ir.Model`, a loaded file or a `Network`).

    Newton's method (damped) runs from `count` seeds at once: `seeds="grid"` or `"random"` in
    the box `bounds` ({name: (lo, hi)}, internal units; unnamed variables span the range of a
    trajectory from the initial state, widened), `"trajectory"` takes points along that
    trajectory (`duration` ms, RK4 steps of `dt` ms), `"auto"` half of each; or pass an array
    of states.  Points where |f| < `tol` are kept once each (sorted by the first variable),
    with the eigenvalues of their Jacobian and their stability class."""
    system = as_system(model, params, population)
    starts = make_seeds(system, seeds, bounds, count, duration, dt, np.random.default_rng(seed))
    solve = system.compiled(("newton", iterations), lambda: newton_many(system.field, iterations))
    points, residuals = solve(starts, system.params)
    points, residuals = np.asarray(points), np.asarray(residuals)
    good = np.isfinite(residuals) & (residuals < tol) & np.all(np.isfinite(points), axis=1)
    found = points[good][distinct(points[good], 1e-6)]
    found = found[np.argsort(found[:, 0], kind="stable")] if len(found) else found
    result = FixedPoints(system, [classify(system, p) for p in found], len(starts),
                         int(good.sum()))
    if not len(found):
        result.messages.append(f"Newton converged from none of {len(starts)} seeds"
                               f" (best |f| = {np.nanmin(residuals, initial=np.inf):.3g})")
    return result
