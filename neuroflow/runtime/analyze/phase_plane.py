"""`phase_plane(...)`: nullclines as curves, the vector field, trajectories and fixed points in the
plane of two state variables (others held at fixed values).

Nullclines are found where the grid changes sign (on the edges of its cells) and followed from
there as curves `f_k(x, y) = 0` by the continuation tracer, in coordinates scaled to the box,
so that their points lie on the nullcline to Newton's tolerance, not to the grid's resolution.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jax_scope, jit
from ._curve import CLOSED, ContinuationOptions, Curve, trace
from ._system import AnalysisError, System, as_system
from ._trajectory import trajectories
from .fixed_points import FixedPoints, box, fixed_points

NULLCLINE_STEPS = ContinuationOptions(ds=0.005, ds_max=0.01, max_steps=4000, tol=1e-11)


@dataclass
class PhasePlane:
    system: System
    vars: tuple[str, str]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    nullclines: dict[str, list[np.ndarray]]  # var -> curves [points, 2] where d var/dt = 0
    grid: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x, y, dx/dt, dy/dt
    trajectories: list[np.ndarray]  # [steps, 2] each
    fixed_points: FixedPoints
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"vars": list(self.vars),
                "units": [self.system.state_unit(v) for v in self.vars],
                "bounds": [list(b) for b in self.bounds],
                "nullclines": {v: [c.tolist() for c in curves]
                               for v, curves in self.nullclines.items()},
                "fixed_points": self.fixed_points.to_json()["fixed_points"]}

    def plot(self, ax=None):
        """Nullclines, the field's directions, trajectories and fixed points (filled: stable)."""
        from ._plot import axes, mark_fixed_points

        ax = axes(ax)
        x, y, u, v = self.grid
        ax.streamplot(x[:, 0], y[0], u.T, v.T, color="0.8", density=1.0, linewidth=0.6)
        for k, (var, curves) in enumerate(self.nullclines.items()):
            for j, curve in enumerate(curves):
                ax.plot(curve[:, 0], curve[:, 1], color=f"C{k}", lw=2,
                        label=f"d{var}/dt = 0" if j == 0 else None)
        for path in self.trajectories:
            ax.plot(path[:, 0], path[:, 1], color="C2", lw=1)
        ix, iy = (self.system.state_index(v) for v in self.vars)
        mark_fixed_points(ax, self.fixed_points, ix, iy)
        (x0, x1), (y0, y1) = self.bounds
        ax.set(xlim=(x0, x1), ylim=(y0, y1),
               xlabel=f"{self.vars[0]} ({self.system.state_unit(self.vars[0])})",
               ylabel=f"{self.vars[1]} ({self.system.state_unit(self.vars[1])})")
        ax.legend(loc="best", fontsize=8)
        return ax


@jax_scope()
def phase_plane(model, vars: tuple[str, str] | str | None = None, params: dict | None = None, *,
                bounds: dict | None = None, resolution: int = 40, starts=None,
                duration: float = 200.0, dt: float = 0.05, fixed: dict | None = None,
                population: str | None = None) -> PhasePlane:
    """The phase plane of `vars` (two state variables; default: the first two).

    `bounds` ({name: (lo, hi)}) sets the box, else a trajectory from the initial state sets it;
    `resolution` cells per side find the nullclines and sample the field; `starts` (states of
    the two variables) start trajectories of `duration` ms (default: the initial state); other
    state variables are held at `fixed` ({name: value}, else their initial values)."""
    system = as_system(model, params, population)
    names = system.state_names
    if isinstance(vars, str):
        vars = tuple(v.strip() for v in vars.split(","))
    vars = tuple(vars or names[:2])
    if len(vars) != 2 or len(names) < 2:
        raise AnalysisError(f"a phase plane needs two state variables, got {', '.join(vars)}"
                            f" (the model has {len(names)})")
    ix, iy = (system.state_index(v) for v in vars)
    base = system.x0.copy()
    for name, value in (fixed or {}).items():
        base[system.state_index(name)] = value
    path = trajectories(system, base, duration, dt)[1][0]
    path = path[np.all(np.isfinite(path), axis=1)]
    low, high = box(system, {n: b for n, b in (bounds or {}).items()}, path)
    lows, highs = np.array([low[ix], low[iy]]), np.array([high[ix], high[iy]])

    (X, Y, U, V), result_lines, messages = plane_field(system, (ix, iy), vars, base, lows,
                                                       highs, resolution)
    seeds = np.tile(base, (X.size, 1))
    seeds[:, ix], seeds[:, iy] = X.ravel(), Y.ravel()
    points = fixed_points(system, seeds=seeds[:: max(1, X.size // 400)])
    starts = np.atleast_2d(base[[ix, iy]] if starts is None else np.asarray(starts, float))
    full = np.tile(base, (len(starts), 1))
    full[:, ix], full[:, iy] = starts[:, 0], starts[:, 1]
    paths = trajectories(system, full, duration, dt)[1][:, :, [ix, iy]]
    return PhasePlane(system, vars, ((lows[0], highs[0]), (lows[1], highs[1])), result_lines,
                      (X, Y, U, V), list(paths), points, messages)


def plane_field(system: System, indices: tuple[int, int], labels: tuple[str, str],
                base: np.ndarray, lows: np.ndarray, highs: np.ndarray, resolution: int,
                traced: tuple[int, ...] = (0, 1)):
    """`(grid, nullclines, messages)` in the plane of the variables at `indices` (called
    `labels`; the others at `base`): the rates on a grid of `resolution` cells per side, and
    the nullclines of the plane's variables listed in `traced` (0, 1 or both)."""
    ix, iy = indices
    grid_rates, curve = system.compiled(("plane", ix, iy), lambda: _plane(system, ix, iy))
    gx = np.linspace(lows[0], highs[0], resolution + 1)
    gy = np.linspace(lows[1], highs[1], resolution + 1)
    X, Y = np.meshgrid(gx, gy, indexing="ij")
    at = (np.asarray(base, float), system.params)  # the arguments both functions end with
    rates = np.asarray(grid_rates(np.column_stack([X.ravel(), Y.ravel()]), *at))
    U, V = rates[:, 0].reshape(X.shape), rates[:, 1].reshape(X.shape)
    lines, messages = {}, []
    for k in traced:
        curves, why = _nullcline(curve, k, X, Y, (U, V)[k], lows, highs, at)
        lines[labels[k]] = curves
        messages += [f"nullcline of {labels[k]}: {m}" for m in why]
    return (X, Y, U, V), lines, messages


def _plane(system: System, ix: int, iy: int):
    """The rates in the plane of variables `ix`, `iy` on a batch of points, and the `Curve` of
    one nullcline in it; compiled once per system and plane: the other variables' values
    (`base`) and the parameters are arguments."""
    def plane_rate(xy, base, params):
        rate = system.field(jnp.asarray(base).at[ix].set(xy[0]).at[iy].set(xy[1]), params)
        return jnp.stack([rate[ix], rate[iy]])

    def H(s, weights, lows, span, scale, base, params):  # in box coordinates [0, 1]^2, |H| ~ 1
        return (weights @ plane_rate(lows + s[:2] * span, base, params))[None] / scale

    # both nullclines are one Curve: they differ in the arguments
    return jit(jax.vmap(plane_rate, in_axes=(0, None, None))), Curve(H)


def _crossings(X, Y, values) -> np.ndarray:
    """Points on the grid's cell edges where `values` changes sign, linearly interpolated."""
    found = []
    for axis in (0, 1):
        a = [slice(None), slice(None)]
        b = [slice(None), slice(None)]
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        va, vb = values[tuple(a)], values[tuple(b)]
        change = np.isfinite(va) & np.isfinite(vb) & (np.sign(va) != np.sign(vb))
        w = np.where(change, va / np.where(change, va - vb, 1.0), 0.0)[change]
        px = X[tuple(a)][change] + w * (X[tuple(b)][change] - X[tuple(a)][change])
        py = Y[tuple(a)][change] + w * (Y[tuple(b)][change] - Y[tuple(a)][change])
        found.append(np.column_stack([px, py]))
    return np.concatenate(found)


def _end_on_edge(curve: Curve, points: list[np.ndarray]) -> None:
    """Replace a last point outside the unit box by the curve's point on its edge."""
    if len(points) < 2 or np.all((points[-1] >= 0) & (points[-1] <= 1)):
        return
    a, b = points[-2], points[-1]
    for axis in (0, 1):
        edge = 0.0 if b[axis] < 0 else 1.0
        if 0 <= b[axis] <= 1 or a[axis] == b[axis]:
            continue
        anchor = a + (edge - a[axis]) / (b[axis] - a[axis]) * (b - a)
        normal = np.eye(2)[axis]
        u, _ = curve.correct(anchor, normal, NULLCLINE_STEPS)
        if u is not None and np.all((u >= -1e-9) & (u <= 1 + 1e-9)):
            points[-1] = np.clip(u, 0, 1)
            return


def _nullcline(curve: Curve, k: int, X, Y, values, lows, highs, at: tuple):
    """Curves where component `k` of the plane's rate vanishes, traced from grid crossings."""
    seeds = _crossings(X, Y, values)
    if not len(seeds):
        return [], []
    scale = float(np.median(np.abs(values[np.isfinite(values)]))) or 1.0
    span = highs - lows
    curve = curve.with_args((np.eye(2)[k], np.asarray(lows, float), np.asarray(span, float),
                             np.asarray(scale)) + at)
    unit = (seeds - lows) / span
    done = np.zeros(len(unit), bool)
    cell = 1.0 / (X.shape[0] - 1)
    curves, messages = [], []

    def inside(s):
        return bool(np.all(s >= -1e-9) and np.all(s <= 1 + 1e-9))

    for start in range(len(unit)):
        if done[start]:
            continue
        u0, _ = curve.correct(unit[start], np.array([1.0, 0.0]), NULLCLINE_STEPS)
        if u0 is None:
            u0, _ = curve.correct(unit[start], np.array([0.0, 1.0]), NULLCLINE_STEPS)
        if u0 is None:
            done[start] = True
            continue
        gradient = np.asarray(curve.jacobian(u0))[0]
        along = np.array([-gradient[1], gradient[0]])
        halves = [trace(curve, u0, along, NULLCLINE_STEPS, inside)]
        if halves[0].message != CLOSED:  # else the way back is the same closed curve
            halves.append(trace(curve, u0, -along, NULLCLINE_STEPS, inside))
        for half in halves:
            _end_on_edge(curve, half.points)
        points = np.concatenate([np.array(h.points)[::-1 if k else 1]
                                 for k, h in reversed(list(enumerate(halves)))])
        messages += [h.message for h in halves if h.message and h.message != CLOSED]
        near = np.min(np.linalg.norm(unit[:, None] - points[None], axis=2), axis=1) < cell
        done |= near
        done[start] = True
        points = points[np.all((points >= 0) & (points <= 1), axis=1)]
        curves.append(lows + points * span)
    return curves, messages
