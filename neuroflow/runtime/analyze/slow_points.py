"""`slow_points(...)`: fixed and slow points of high-dimensional systems (Sussillo & Barak 2013).

The speed q(x) = ½|f(x)|² is minimized from many candidates at once: optionally some steps of
an optax optimizer (Adam), one `lax.scan`, then Levenberg–Marquardt steps whose linear systems
are solved by conjugate gradients on Jacobian–vector products (no n×n matrix), all under one
`jit` with `vmap` over the candidates.  Minima with q = 0 are fixed points; minima with small
positive q are slow points, where the flow lingers (the ghost of a fold, a line attractor that
is almost continuous).  The points kept (q below `tol`) are deduplicated, then linearized:
the eigenvalues of each distinct point's Jacobian, all of them or the leading few.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jax_scope, jit
from ._arnoldi import krylov_bases, ritz_pairs
from ._system import AnalysisError, System, as_system
from ._trajectory import trajectories
from .fixed_points import distinct

CG_ITERATIONS = 64  # per Levenberg–Marquardt step, at most (n where fewer)
ARNOLDI_TOL = 1e-12  # residual of the leading eigenpairs with `modes`, relative to |J|


@dataclass
class SlowPoints:
    system: System
    states: np.ndarray  # [points, n], by increasing q
    speed: np.ndarray  # q = |f|²/2 at each
    eigenvalues: np.ndarray | None  # [points, n or modes], by decreasing real part
    candidates: int = 0
    messages: list[str] = field(default_factory=list)
    modes: int | None = None  # eigenvalues kept per point (None: all n)
    _eigenvectors: np.ndarray | None = field(default=None, repr=False)

    @property
    def eigenvectors(self) -> np.ndarray | None:
        """[points, n, n or modes], columns matching the eigenvalues; all n of them are
        computed on first use (a second eigendecomposition), the leading `modes` come with
        the eigenvalues."""
        if self._eigenvectors is None and self.eigenvalues is not None and len(self.states):
            self._eigenvectors = _linearization(self.system, self.states, self.modes, True)[1]
        return self._eigenvectors

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


def _conjugate_gradients(apply, b, iterations: int):
    """x with apply(x) ≈ b for a symmetric positive (semi)definite `apply`, from x = 0: until
    the residual is 1e-12 of |b| or after `iterations`."""
    def going(carry):
        k, _, _, _, rr = carry
        return (k < iterations) & (rr > 1e-24 * jnp.vdot(b, b))

    def step(carry):
        k, x, r, d, rr = carry
        image = apply(d)
        alpha = rr / jnp.vdot(d, image)
        x, r = x + alpha * d, r - alpha * image
        new = jnp.vdot(r, r)
        return k + 1, x, r, r + (new / rr) * d, new

    start = (0, jnp.zeros_like(b), b, b, jnp.vdot(b, b))
    return jax.lax.while_loop(going, step, start)[1]


def _levenberg_marquardt(system: System, x, q, p, damping):
    """One Levenberg–Marquardt step from x (where q = ½|f|²), matrix-free: (JᵀJ + μI) s = −Jᵀf
    by conjugate gradients on Jacobian–vector products (`jax.linearize` and its transpose),
    so no n×n matrix is formed or factored.  μ is `damping` times a Rayleigh quotient of JᵀJ
    (its scale); the damping shrinks after a step that lowers q and grows after one that does
    not (refused), so it ends as Gauss–Newton, quadratic onto zeros of f even where they form
    a continuum (a ring attractor: JᵀJ is singular along it, and CG stays in its range)."""
    rate, along = jax.linearize(lambda y: system.field(y, p), x)
    back = jax.linear_transpose(along, x)
    gradient = back(rate)[0]
    image = along(gradient)
    mu = damping * jnp.vdot(image, image) / (jnp.vdot(gradient, gradient) + 1e-300)
    step = _conjugate_gradients(lambda v: back(along(v))[0] + mu * v, -gradient,
                                min(system.size, CG_ITERATIONS))
    new = x + jnp.where(jnp.all(jnp.isfinite(step)), step, 0.0)
    q_new = _speed(system, new, p)
    better = q_new < q  # NaN is not
    return (jnp.where(better, new, x), jnp.where(better, q_new, q),
            jnp.where(better, damping * 0.3, damping * 10.0))


def _speed(system: System, x, p):
    rate = system.field(x, p)
    return 0.5 * jnp.sum(rate * rate)


def _minimizer(system: System, steps: int, learning_rate: float, polish: int):
    def descend(x0, p):
        import optax

        # Adam's steps keep their size where the gradient vanishes: the rate decays a
        # hundredfold
        optimizer = optax.adam(optax.exponential_decay(learning_rate, steps, 0.01))

        def step(carry, _):
            x, state = carry
            grad = jax.grad(lambda y: _speed(system, y, p))(x)
            updates, state = optimizer.update(grad, state, x)
            return (optax.apply_updates(x, updates), state), None
        return jax.lax.scan(step, (x0, optimizer.init(x0)), None, length=steps)[0][0]

    def refine(x, p):
        """Up to `polish` steps, fewer where q reaches rounding (or stops falling)."""
        def going(carry):
            k, _, q, damping = carry
            return (k < polish) & (q > 1e-30) & (damping < 1e12)

        def step(carry):
            k, x, q, damping = carry
            return (k + 1, *_levenberg_marquardt(system, x, q, p, damping))

        start = (0, x, _speed(system, x, p), jnp.asarray(1e-3, x.dtype))
        _, x, q, _ = jax.lax.while_loop(going, step, start)
        return x, q

    def minimize(seeds, p):
        # all candidates at once; under vmap the loop runs while any candidate still moves
        moved = jax.vmap(descend, in_axes=(0, None))(seeds, p) if steps else seeds
        return jax.vmap(refine, in_axes=(0, None))(moved, p)

    return jit(minimize)


@jax_scope()  # also called later, when eigenvectors are first asked for
def _jacobians(system: System, points: np.ndarray) -> np.ndarray:
    jacobian = system.compiled("jacobian", lambda: jit(jax.vmap(
        jax.jacfwd(system.field), in_axes=(0, None))))
    return np.asarray(jacobian(points, system.params))


@jax_scope()
def _leading(system: System, points: np.ndarray, modes: int):
    """The `modes` leading eigenpairs at each point: Arnoldi on all points at once, ARPACK on
    the dense Jacobian of any point where that did not converge."""
    krylov = min(system.size - 1, 2 * modes + 8)
    bases = system.compiled(("krylov", krylov), lambda: krylov_bases(system.field, krylov))
    starts = np.random.default_rng(0).normal(size=points.shape)
    basis, hessenberg = (np.asarray(a) for a in bases(points, system.params, starts))
    pairs = [ritz_pairs(v, h, modes, ARNOLDI_TOL) for v, h in zip(basis, hessenberg)]
    missing = [k for k, pair in enumerate(pairs) if pair is None]
    if missing:
        from scipy.sparse.linalg import eigs  # imported where needed: it takes a while

        for k, matrix in zip(missing, _jacobians(system, points[missing])):
            values, vectors = eigs(matrix, k=modes, which="LR", tol=ARNOLDI_TOL)
            order = np.argsort(-values.real, kind="stable")
            pairs[k] = values[order], vectors[:, order]
    return np.array([v for v, _ in pairs]), np.array([w for _, w in pairs])


def _linearization(system: System, points: np.ndarray, modes: int | None, vectors: bool):
    """Eigenvalues (by decreasing real part) and, with `vectors`, eigenvectors of the Jacobians
    at `points`: all n of each (LAPACK), or the `modes` leading ones (Arnoldi)."""
    if modes is not None and modes < system.size - 1:
        return _leading(system, points, modes)
    matrices = _jacobians(system, points)
    if vectors:
        values, found = np.linalg.eig(matrices)
    else:
        values, found = np.linalg.eigvals(matrices), None
    order = np.argsort(-values.real, axis=1, kind="stable")[:, :modes]
    values = np.take_along_axis(values, order, axis=1)
    if vectors:
        found = np.take_along_axis(found, order[:, None, :], axis=2)
    return values, found


@jax_scope()
def slow_points(model, params: dict | None = None, *, candidates=None, count: int = 128,
                noise: float = 0.0, steps: int = 1000, learning_rate: float = 1e-2,
                polish: int = 20, tol: float = 1e-8, distinct_tol: float = 1e-3,
                linearize: bool = True, modes: int | None = None, duration: float = 200.0,
                dt: float = 0.05, population: str | None = None, seed: int = 0) -> SlowPoints:
    """Minima of q = ½|f|² from `candidates` (an array of states; default `count` points of a
    trajectory of `duration` ms from the initial state), each moved by Gaussian `noise` (in
    the state's units), by `steps` of Adam from `learning_rate` (decaying a hundredfold; 0
    skips it), then up to `polish` steps of matrix-free Levenberg–Marquardt.  Points with
    q < `tol` are kept once each (within `distinct_tol` (1 + |x|)), sorted by q, with the
    eigenvalues of their Jacobians unless `linearize=False`: all n of them (LAPACK; the
    eigenvectors on first use of `.eigenvectors`), or the `modes` leading ones (largest real
    part) with their eigenvectors by Arnoldi iteration on Jacobian–vector products, which
    needs no n×n matrix and is far cheaper in many dimensions."""
    system = as_system(model, params, population)
    if candidates is None:
        path = trajectories(system, system.x0, duration, dt)[1][0]
        path = path[np.all(np.isfinite(path), axis=1)]
        candidates = path[np.linspace(0, len(path) - 1, count).astype(int)]
    candidates = np.atleast_2d(np.asarray(candidates, float))
    if candidates.shape[1] != system.size:
        raise AnalysisError(f"candidates need {system.size} values each, got"
                            f" {candidates.shape[1]}")
    if modes is not None and modes < 1:
        raise AnalysisError(f"modes must be a positive number of eigenvalues, got {modes}")
    if noise:
        candidates = candidates + np.random.default_rng(seed).normal(0, noise, candidates.shape)
    minimize = system.compiled(("slow", steps, learning_rate, polish),
                               lambda: _minimizer(system, steps, learning_rate, polish))
    points, speed = (np.asarray(a) for a in minimize(candidates, system.params))
    good = np.flatnonzero(np.isfinite(speed) & (speed < tol))
    good = good[np.argsort(speed[good], kind="stable")]
    good = good[distinct(points[good], distinct_tol)]
    kept = points[good].reshape(len(good), system.size)
    result = SlowPoints(system, kept, speed[good], None, len(candidates), modes=modes)
    if not len(kept):
        result.messages.append(f"no candidate reached q < {tol:g} (smallest q ="
                               f" {np.nanmin(speed, initial=np.inf):.3g}); more steps or a"
                               " larger tol may help")
    if linearize and len(kept):
        result.eigenvalues, result._eigenvectors = _linearization(
            system, kept, modes, vectors=modes is not None)
    return result
