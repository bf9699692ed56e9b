"""Curves of folds and of Hopf points in two parameters, with their codimension-2 points.

A fold or Hopf point found by `continuation` is continued in `u = (x, α1, α2)` by the same
pseudo-arclength tracer, on `f(x, α) = 0` and one more equation `g = 0`, the bordered test
function of a singular matrix: `[[A, b], [cᵀ, 0]] [v; g] = [0; 1]` with `A = f_x` for folds
and `A = 2 f_x ⊙ I` (the bialternate product) for Hopf points, `b` and `c` its left and right
singular vectors of the smallest singular value at the start.  `g` vanishes exactly where `A`
is singular, smoothly, so that Newton's method applies (Govaerts, Numerical methods for
bifurcations of dynamical equilibria, 2000).

Test functions on the curves, located as on branches of equilibria:

    fold curve  cusp   wᵀB(v, v): the fold's quadratic coefficient vanishes
                bt     wᵀv: the zero eigenvalue becomes double (Bogdanov–Takens)
    Hopf curve  bt     ω², the product of the critical pair: the pair ±iω meets at 0
                gh     l1: generalized Hopf (Bautin), the Hopf point changes criticality
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jax_scope, jit
from ._curve import ContinuationOptions, Curve, crossings, trace
from ._normal_form import Forms, hopf_coefficients
from ._system import AnalysisError
from .continuation import bialternate

CODIM2 = {"fold": ("cusp", "bt"), "hopf": ("bt", "gh")}


@dataclass(frozen=True)
class Codim2Point:
    type: str  # "cusp", "bt" or "gh"
    values: tuple[float, float]  # of the two parameters
    state: np.ndarray


@dataclass
class Codim2Curve:
    kind: str  # "fold" or "hopf"
    params: tuple[str, str]
    values: np.ndarray  # [points, 2]
    states: np.ndarray  # [points, n]
    points: list[Codim2Point]
    messages: list[str]

    def of_type(self, kind: str) -> list[Codim2Point]:
        return [p for p in self.points if p.type == kind]

    def to_json(self, system) -> dict:
        return {"type": self.kind, "params": list(self.params),
                "values": self.values.tolist(),
                "points": [{"type": p.type, "values": list(p.values),
                            "state": system.state_dict(p.state)} for p in self.points],
                "messages": self.messages}

    def plot(self, ax=None):
        from ._plot import axes

        ax = axes(ax)
        ax.plot(self.values[:, 0], self.values[:, 1], "-", lw=1.5,
                label=f"{self.kind} curve")
        for point in self.points:
            ax.plot(*point.values, "o", ms=7, mfc="w", mec="C3")
            ax.annotate(point.type.upper(), point.values, textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
        ax.set(xlabel=self.params[0], ylabel=self.params[1])
        return ax


def _bordered(matrix, b, c):
    """`(v, w, g)`: right and left null vectors and the test function of the bordered
    matrix [[A, b], [cᵀ, 0]]."""
    m = matrix.shape[0]
    border = jnp.block([[matrix, b[:, None]], [c[None, :], jnp.zeros((1, 1))]])
    rhs = jnp.zeros(m + 1).at[-1].set(1.0)
    right = jnp.linalg.solve(border, rhs)
    left = jnp.linalg.solve(border.T, rhs)
    return right[:m], left[:m], right[m]


class Codim2Problem:
    def __init__(self, system, kind: str, params: tuple[str, str], u0: np.ndarray):
        if kind not in CODIM2:
            raise AnalysisError(f"a {kind} point has no curve to continue",
                                hint="continue fold or hopf points in two parameters")
        if kind == "hopf" and system.size < 2:
            raise AnalysisError("Hopf points need two state variables at least")
        self.system, self.kind, self.params, self.n = system, kind, params, system.size
        values = {k: jnp.asarray(v) for k, v in system.params.items()}

        def f(x, a):
            return system.field(x, dict(values, **{params[0]: a[0], params[1]: a[1]}))

        def matrix(u):
            jac = jax.jacfwd(f)(u[:-2], u[-2:])
            return jac if kind == "fold" else bialternate(jac)

        start = np.asarray(matrix(jnp.asarray(u0)))
        left, _, right = np.linalg.svd(start)
        b, c = jnp.asarray(left[:, -1]), jnp.asarray(right[-1])

        def H(u):
            return jnp.concatenate([f(u[:-2], u[-2:]), _bordered(matrix(u), b, c)[2][None]])

        self.f, self.curve, self.forms = f, Curve(H), Forms(f)
        self._fold_vectors = jit(lambda u: _bordered(jax.jacfwd(f)(u[:-2], u[-2:]), b, c))
        self._jacobian = jit(lambda u: jax.jacfwd(f)(u[:-2], u[-2:]))

    def tests(self) -> dict:
        if self.kind == "fold":
            return {"cusp": self._cusp, "bt": self._fold_bt}
        return {"bt": self._hopf_bt, "gh": self._gh}

    def _fold_bt(self, u, t) -> float:
        v, w, _ = self._fold_vectors(u)
        return float(jnp.dot(w, v))

    def _cusp(self, u, t) -> float:
        v, w, _ = (np.asarray(a) for a in self._fold_vectors(u))
        return float(np.real(np.dot(w, self.forms(u[:-2], u[-2:], v, v))))

    def _pair_product(self, u) -> float:
        """λ_i λ_j of the pair with the smallest |λ_i + λ_j|: ω² at a Hopf point."""
        eig = np.linalg.eigvals(np.asarray(self._jacobian(u)))
        pairs = [(abs(eig[i] + eig[j]), (eig[i] * eig[j]).real)
                 for i in range(len(eig)) for j in range(i)]
        return min(pairs)[1]

    def _hopf_bt(self, u, t) -> float:
        return self._pair_product(u)

    def _gh(self, u, t) -> float:
        if self._pair_product(u) <= 0:
            return np.nan  # a neutral saddle: no l1
        return hopf_coefficients(self.forms, u[:-2], u[-2:], np.asarray(self._jacobian(u)))[1]


@jax_scope()
def codim2_curve(result, point, param2: str, range2: tuple[float, float],
                 range1: tuple[float, float] | None = None,
                 options: ContinuationOptions | None = None) -> Codim2Curve:
    """The curve of folds (or Hopf points) through `point` of the one-parameter `result`, in
    its parameter and `param2`, inside `range1` (default: the result's range of the first)
    by `range2`, traced both ways, with its cusp, Bogdanov–Takens and Bautin points."""
    system = result.system
    second = system.param_id(param2)
    if second == result.param:
        raise AnalysisError(f"the second parameter must differ from '{result.param}'")
    lo2, hi2 = (float(v) for v in range2)
    lo1, hi1 = (float(v) for v in (result.range if range1 is None else range1))
    if not (lo1 < hi1 and lo2 < hi2):
        raise AnalysisError("the ranges of a codimension-2 curve must hold points",
                            hint="give LO < HI for both parameters")
    value2 = float(np.ravel(system.params[second])[0])
    if not lo2 <= value2 <= hi2:
        raise AnalysisError(f"'{second}' = {value2:g} is outside its range {lo2:g}:{hi2:g}")
    options = options or ContinuationOptions()
    u0 = np.concatenate([point.state, [point.value, value2]])
    problem = Codim2Problem(system, point.type, (result.param, second), u0)
    second_axis = np.append(np.zeros(len(u0) - 1), 1.0)
    start, _ = problem.curve.correct(u0, second_axis, options)
    if start is None:
        raise AnalysisError(f"Newton's method found no {point.type} point near the start")

    def inside(u):
        return lo1 <= u[-2] <= hi1 and lo2 <= u[-1] <= hi2

    halves = [trace(problem.curve, start, d * second_axis, options, inside) for d in (1, -1)]
    messages = [h.message for h in halves if h.message]
    points = [np.array(halves[1].points)[::-1], np.array(halves[0].points)[1:]]
    tangents = [[-t for t in halves[1].tangents][::-1], halves[0].tangents[1:]]
    traced_u = np.concatenate(points)
    traced_t = [t for part in tangents for t in part]
    found = [Codim2Point(kind, (float(u[-2]), float(u[-1])), u[:-2].copy()) for kind, u
             in crossings(problem.curve, traced_u, traced_t, problem.tests(), options, inside)]
    return Codim2Curve(point.type, (result.param, second), traced_u[:, -2:], traced_u[:, :-2],
                       found, messages)
