"""`slow_points(...)`: fixed and slow points of high-dimensional systems (Sussillo & Barak 2013).

The speed q(x) = ½|f(x)|² is minimized from many candidates at once with an optax optimizer
(Adam), the whole descent one `lax.scan` under `jit`, `vmap` over the candidates, and polished
by a few Levenberg–Marquardt steps.  Minima with
q = 0 are fixed points; minima with small positive q are slow points, where the flow lingers
(the ghost of a fold, a line attractor that is almost continuous).  The points kept (q below
`tol`) are deduplicated and linearized: eigenvalues and eigenvectors of the Jacobian.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jax_scope
from ._system import AnalysisError, System, as_system
from ._trajectory import trajectories
from .fixed_points import distinct


@dataclass
class SlowPoints:
    system: System
    states: np.ndarray  # [points, n], by increasing q
    speed: np.ndarray  # q = |f|²/2 at each
    eigenvalues: np.ndarray | None  # [points, n], by decreasing real part
    eigenvectors: np.ndarray | None  # [points, n, n], columns matching the eigenvalues
    candidates: int = 0
    messages: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.states)

    def to_json(self) -> dict:
        points = []
        for k, state in enumerate(self.states):
            entry = {"state": self.system.state_dict(state), "q": float(self.speed[k])}
            if self.eigenvalues is not None:
                entry["eigenvalues"] = [[float(e.real), float(e.imag)]
                                        for e in self.eigenvalues[k]]
            points.append(entry)
        return {"slow_points": points}

    def plot(self, ax=None):
        """The eigenvalues of every point in the complex plane."""
        from ._plot import axes

        ax = axes(ax)
        if self.eigenvalues is not None:
            ax.plot(self.eigenvalues.real.ravel(), self.eigenvalues.imag.ravel(), ".", ms=3)
        ax.axvline(0, color="k", lw=0.5)
        ax.set(xlabel="Re λ (1/ms)", ylabel="Im λ (1/ms)")
        return ax


def _minimizer(system: System, steps: int, learning_rate: float, polish: int):
    import optax

    # Adam's steps keep their size where the gradient vanishes: the rate decays a hundredfold
    schedule = optax.exponential_decay(learning_rate, steps, 0.01)
    optimizer = optax.adam(schedule)

    def speed(x, p):
        rate = system.field(x, p)
        return 0.5 * jnp.sum(rate * rate)

    def levenberg_marquardt(carry, p):
        """One step of Levenberg–Marquardt: the damping shrinks after a step that lowers q
        and grows after one that does not (refused), so it ends as Gauss–Newton, quadratic
        onto zeros of f even where they form a continuum (a ring attractor)."""
        x, damping = carry
        rate = system.field(x, p)
        jac = jax.jacfwd(system.field)(x, p)
        normal = jac.T @ jac
        scale = jnp.max(jnp.diag(normal)) + 1e-300
        step = jnp.linalg.solve(normal + damping * scale * jnp.eye(x.shape[0]), -jac.T @ rate)
        new = x + jnp.where(jnp.all(jnp.isfinite(step)), step, 0.0)
        better = speed(new, p) < speed(x, p)
        return (jnp.where(better, new, x),
                jnp.where(better, damping * 0.3, damping * 10.0))

    def descend(x0, p):
        def step(carry, _):
            x, state = carry
            grad = jax.grad(speed)(x, p)
            updates, state = optimizer.update(grad, state, x)
            return (optax.apply_updates(x, updates), state), None
        return jax.lax.scan(step, (x0, optimizer.init(x0)), None, length=steps)[0][0]

    def refine(x, p):
        """Up to `polish` steps, fewer where q reaches rounding (or stops falling)."""
        def going(carry):
            k, x, damping = carry
            return (k < polish) & (speed(x, p) > 1e-30) & (damping < 1e12)

        def step(carry):
            k, x, damping = carry
            return (k + 1, *levenberg_marquardt((x, damping), p))

        _, x, _ = jax.lax.while_loop(going, step, (0, x, jnp.asarray(1e-3, x.dtype)))
        return x, speed(x, p)

    def minimize(seeds, p):
        # Adam over all candidates at once; Levenberg-Marquardt one candidate after the other:
        # under vmap, its solves inside the loop gave NaN on XLA:CPU (512 dimensions, 8 and
        # more candidates), one by one they do not
        moved = jax.vmap(descend, in_axes=(0, None))(seeds, p)
        return jax.lax.map(lambda x: refine(x, p), moved)

    return jax.jit(minimize)


@jax_scope()
def slow_points(model, params: dict | None = None, *, candidates=None, count: int = 128,
                noise: float = 0.0, steps: int = 1000, learning_rate: float = 1e-2,
                polish: int = 20,
                tol: float = 1e-8, distinct_tol: float = 1e-3, linearize: bool = True,
                duration: float = 200.0, dt: float = 0.05, population: str | None = None,
                seed: int = 0) -> SlowPoints:
    """Minima of q = ½|f|² from `candidates` (an array of states; default `count` points of a
    trajectory of `duration` ms from the initial state), each moved by Gaussian `noise` (in
    the state's units), by `steps` of Adam from `learning_rate` (decaying a hundredfold), then
    `polish` steps of Levenberg–Marquardt (`polish=0` in very many dimensions, where the
    n×n Jacobians do not fit).  Points with q < `tol` are
    kept once each (within `distinct_tol` (1 + |x|)), sorted by q, with their linearization
    unless `linearize=False` (an n×n eigendecomposition per point)."""
    system = as_system(model, params, population)
    if candidates is None:
        path = trajectories(system, system.x0, duration, dt)[1][0]
        path = path[np.all(np.isfinite(path), axis=1)]
        candidates = path[np.linspace(0, len(path) - 1, count).astype(int)]
    candidates = np.atleast_2d(np.asarray(candidates, float))
    if candidates.shape[1] != system.size:
        raise AnalysisError(f"candidates need {system.size} values each, got"
                            f" {candidates.shape[1]}")
    if noise:
        candidates = candidates + np.random.default_rng(seed).normal(0, noise, candidates.shape)
    minimize = system.compiled(("slow", steps, learning_rate, polish),
                               lambda: _minimizer(system, steps, learning_rate, polish))
    points, speed = (np.asarray(a) for a in minimize(candidates, system.params))
    good = np.flatnonzero(np.isfinite(speed) & (speed < tol))
    good = good[np.argsort(speed[good], kind="stable")]
    good = good[distinct(points[good], distinct_tol)]
    kept = points[good].reshape(len(good), system.size)
    result = SlowPoints(system, kept, speed[good], None, None, len(candidates))
    if not len(kept):
        result.messages.append(f"no candidate reached q < {tol:g} (smallest q ="
                               f" {np.nanmin(speed, initial=np.inf):.3g}); more steps or a"
                               " larger tol may help")
    if linearize and len(kept):
        jacobian = system.compiled("jacobian", lambda: jax.jit(jax.vmap(
            jax.jacfwd(system.field), in_axes=(0, None))))
        values, vectors = np.linalg.eig(np.asarray(jacobian(kept, system.params)))
        order = np.argsort(-values.real, axis=1, kind="stable")
        result.eigenvalues = np.take_along_axis(values, order, axis=1)
        result.eigenvectors = np.take_along_axis(vectors, order[:, None, :], axis=2)
    return result
