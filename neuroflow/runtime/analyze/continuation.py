"""`continuation(...)`: branches of equilibria in one parameter, with their bifurcations.

Each branch is traced by pseudo-arclength continuation (`_curve`) in `u = (x, λ)`.  Between
neighbouring points, the test functions of the table `TESTS` are watched for a change of sign,
and each change is located by regula falsi on the branch (`_curve.locate`):

    fold     λ's component of the tangent (the branch turns back in λ)
    branch   det [f_x f_λ; tangentᵀ] (another branch crosses)
    hopf     det(2 f_x ⊙ I), the bialternate product, whose eigenvalues are the sums of pairs of
             eigenvalues: zero at a Hopf point (kept where the pair is ±iω, not a neutral saddle)

A Hopf point reports its frequency ω (rad/ms), the period 2π/ω of the cycle born there and the
first Lyapunov coefficient l1 (`_normal_form`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jax_scope, jit
from ._curve import ContinuationOptions, Curve, crossings, end_at, trace
from .cycles import CycleBranch, continue_cycles
from ._normal_form import Forms, hopf_coefficients
from ._stability import unstable_directions
from ._system import AnalysisError, System, as_system
from .fixed_points import fixed_points

# Beyond this dimension the bialternate product (n(n-1)/2 squared) is not formed: no Hopf test.
HOPF_MAX_DIMENSION = 40


@dataclass(frozen=True)
class SpecialPoint:
    type: str  # "fold", "hopf" or "branch" on equilibria; "lpc" or "pd" on cycles
    value: float  # of the parameter
    state: np.ndarray  # the equilibrium, or the cycle's point on its section
    branch: int  # index of its branch in the result's `branches`, or `cycles` for lpc and pd
    l1: float | None = None
    frequency: float | None = None  # ω of a Hopf point (2π/period of a cycle), rad per ms

    @property
    def period(self) -> float | None:
        return None if self.frequency is None else 2 * np.pi / self.frequency

    @property
    def criticality(self) -> str | None:
        if self.l1 is None or not np.isfinite(self.l1):
            return None
        return "subcritical" if self.l1 > 0 else "supercritical"


@dataclass(frozen=True)
class Branch:
    param: np.ndarray  # the parameter at each point
    states: np.ndarray  # [points, n]
    unstable: np.ndarray  # unstable directions at each point
    message: str | None = None  # why it ended early, if it did

    @property
    def stable(self) -> np.ndarray:
        return self.unstable == 0


@dataclass
class Bifurcation:
    system: System
    param: str
    unit: str
    branches: list[Branch]
    points: list[SpecialPoint]
    range: tuple[float, float] = (-np.inf, np.inf)  # of the parameter
    messages: list[str] = field(default_factory=list)
    cycles: list[CycleBranch] = field(default_factory=list)

    def of_type(self, kind: str) -> list[SpecialPoint]:
        return [p for p in self.points if p.type == kind]

    def to_json(self) -> dict:
        def finite(v):
            return None if v is None or not np.isfinite(v) else float(v)

        names = self.system.state_names
        return {"param": self.param, "unit": self.unit,
                "points": [{"type": p.type, "value": float(p.value),
                            "state": self.system.state_dict(p.state), "l1": finite(p.l1),
                            "period": finite(p.period)} for p in self.points],
                "branches": [{"type": "equilibrium", "param": b.param.tolist(),
                              "state": {n: b.states[:, k].tolist() for k, n in enumerate(names)},
                              "stable": b.stable.tolist(), "message": b.message}
                             for b in self.branches]
                + [{"type": "cycle", "param": c.param.tolist(), "period": c.period.tolist(),
                    "amplitude": {n: c.amplitude[:, k].tolist() for k, n in enumerate(names)},
                    "stable": c.stable.tolist(), "message": c.message} for c in self.cycles]}

    def plot(self, var: str | None = None, ax=None):
        """The branches against the parameter (solid where stable), with their points."""
        from ._plot import axes

        var = var or self.system.state_names[0]
        k = self.system.state_index(var)
        ax = axes(ax)
        for branch in self.branches:
            for stable, style in ((True, "-"), (False, "--")):
                y = np.where(branch.stable == stable, branch.states[:, k], np.nan)
                ax.plot(branch.param, y, style, color="k", lw=1.2)
        for cycle in self.cycles:
            for stable, style in ((True, "-"), (False, ":")):
                for values in (cycle.maximum[:, k], cycle.minimum[:, k]):
                    y = np.where(cycle.stable == stable, values, np.nan)
                    ax.plot(cycle.param, y, style, color="C0", lw=1.2)
        markers = {"fold": "s", "hopf": "o", "branch": "^", "lpc": "D", "pd": "v"}
        for point in self.points:
            ax.plot(point.value, point.state[k], markers[point.type], ms=7, mfc="w", mec="C3")
            ax.annotate(point.type, (point.value, point.state[k]), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
        ax.set(xlabel=f"{self.param} ({self.unit})",
               ylabel=f"{var} ({self.system.state_unit(var)})")
        return ax


def bialternate(a):
    """2A⊙I on the antisymmetric matrices E_rs = e_r e_sᵀ − e_s e_rᵀ (r > s): X ↦ AX + XAᵀ."""
    n = a.shape[0]
    rows, cols = np.tril_indices(n, -1)
    basis = np.zeros((len(rows), n, n))
    basis[np.arange(len(rows)), rows, cols] = 1.0
    basis[np.arange(len(rows)), cols, rows] = -1.0
    images = jax.vmap(lambda e: a @ e + e @ a.T)(jnp.asarray(basis))
    return images[:, rows, cols].T


class EquilibriumProblem:
    """f(x, λ) = 0 with its test functions, jitted once."""

    def __init__(self, system: System, param: str):
        self.system, self.param, self.n = system, param, system.size
        values = {k: jnp.asarray(v) for k, v in system.params.items()}

        def H(u):
            return system.field(u[:-1], dict(values, **{param: u[-1]}))

        self.H = H
        self.curve = Curve(H)
        self.forms = Forms(lambda x, lam: system.field(x, dict(values, **{param: lam})))
        self.jac_x = jit(lambda u: jax.jacfwd(H)(u)[:, :-1])
        self._branch = jit(lambda u, t: jnp.linalg.det(
            jnp.vstack([jax.jacfwd(H)(u), t[None]])))
        self._hopf = jit(lambda u: jnp.linalg.det(bialternate(jax.jacfwd(H)(u)[:, :-1])))
        self.tests = {"fold": lambda u, t: t[-1], "branch": self._branch_test}
        if 2 <= self.n <= HOPF_MAX_DIMENSION:
            self.tests["hopf"] = lambda u, t: float(self._hopf(u))

    def _branch_test(self, u, t) -> float:
        return float(self._branch(u, t))

    def eigenvalues(self, u) -> np.ndarray:
        return np.linalg.eigvals(np.asarray(self.jac_x(u)))

    def hopf(self, u) -> tuple[float, float] | None:
        """`(ω, l1)` where `u` is a Hopf point (a pair ±iω), None where it is a neutral saddle."""
        jac = np.asarray(self.jac_x(u))
        eig = np.linalg.eigvals(jac)
        scale = max(1.0, float(np.abs(eig).max()))
        pair = eig[(np.abs(eig.real) < 1e-6 * scale) & (eig.imag > 1e-8 * scale)]
        if not len(pair):
            return None
        return hopf_coefficients(self.forms, np.asarray(u[:-1]), u[-1], jac)


def _starts(system: System, param: str, lo: float, start) -> np.ndarray:
    if start is not None:
        if isinstance(start, dict):
            x = system.x0.copy()
            for name, value in start.items():
                x[system.state_index(name)] = value
            start = x
        return np.atleast_2d(np.asarray(start, float))
    found = fixed_points(system.with_params({param: lo}))
    if not len(found):
        raise AnalysisError(f"found no equilibrium at {param} = {lo:g} to start from",
                            hint="give a starting state: start={'v': ...}")
    return found.states


@jax_scope()
def continuation(model, param: str, range: tuple[float, float], params: dict | None = None, *,
                 start=None, options: ContinuationOptions | None = None,
                 detect: tuple[str, ...] = ("fold", "hopf", "branch"), cycles: bool = False,
                 population: str | None = None, allow_threshold: bool = False) -> Bifurcation:
    """Branches of equilibria of `model` as `param` goes over `range` = (lo, hi) (internal
    units), with folds, Hopf points and branch points located on them.

    Branches start at λ = lo from every equilibrium found there (or from `start`, a state as
    an array or a dict of names), and go up in λ until they leave [lo, hi].  A branch on which
    Newton's method fails ends there, with a message; what it traced is kept.  With `cycles`,
    the branch of limit cycles born at each Hopf point is continued too (`result.cycles`,
    see `cycles.py`), with its folds (`lpc`) and period doublings (`pd`).  Models with a
    threshold (spiking) are refused unless `allow_threshold`: the analysis then ignores it."""
    system = as_system(model, params, population)
    if not allow_threshold:
        system.require_smooth("continuation")
    key = system.param_id(param)
    if np.shape(system.params[key]) not in ((), (1,)) and np.ptp(system.params[key]) > 0:
        raise AnalysisError(f"parameter '{key}' differs between neurons; continuation sets one"
                            " value for all of them", hint="analyse one neuron (a population of"
                                                           " size 1)")
    lo, hi = (float(v) for v in range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise AnalysisError(f"the range {lo:g}:{hi:g} of '{key}' holds no points",
                            hint="give LO:HI with LO < HI")
    unknown = set(detect) - {"fold", "hopf", "branch"}
    if unknown:
        raise AnalysisError(f"cannot detect '{sorted(unknown)[0]}'",
                            hint="detect fold, hopf and branch points")
    options = options or ContinuationOptions()
    problem = EquilibriumProblem(system, key)
    span = hi - lo
    result = Bifurcation(system, key, system.param_unit(key), [], [], (lo, hi))
    if "hopf" in detect and system.size > HOPF_MAX_DIMENSION:
        result.messages.append(f"no Hopf test in {system.size} dimensions (more than"
                               f" {HOPF_MAX_DIMENSION})")
    for x in _starts(system, key, lo, start):
        u0 = np.append(x, lo)
        if any(_on(problem, branch, u0, options) for branch in result.branches):
            continue
        direction = np.append(np.zeros(len(u0) - 1), 1.0)  # the parameter's axis
        traced = trace(problem.curve, u0, direction, options,
                       lambda u: lo - 1e-12 * span <= u[-1] <= hi + 1e-12 * span)
        end_at(problem.curve, traced, lo, hi, options)
        index = len(result.branches)
        points = np.array(traced.points)
        unstable = np.array([unstable_directions(problem.eigenvalues(u)) for u in points])
        result.branches.append(Branch(points[:, -1], points[:, :-1], unstable, traced.message))
        if traced.message:
            result.messages.append(f"branch {index}: {traced.message}")
        result.points += _events(problem, traced, index, detect, options, lo, hi)
    result.points.sort(key=lambda p: (p.branch, p.value))
    if cycles:
        _add_cycles(result, problem, options, lo, hi)
    return result


def _add_cycles(result: Bifurcation, problem: EquilibriumProblem,
                options: ContinuationOptions, lo: float, hi: float) -> None:
    for index, hopf in enumerate(result.of_type("hopf")):
        jacobian = np.asarray(problem.jac_x(np.append(hopf.state, hopf.value)))
        branch, points, message = continue_cycles(result.system, result.param, hopf, index,
                                                  jacobian, lo, hi, options)
        if message:
            result.messages.append(f"cycles from the Hopf point at {hopf.value:.10g}: {message}")
        if branch is None:
            continue
        number = len(result.cycles)
        result.cycles.append(branch)
        result.points += [SpecialPoint(kind, float(u[-1]), u[:-2].copy(), number,
                                       frequency=2 * np.pi / float(u[-2])) for kind, u in points]


def _on(problem: EquilibriumProblem, branch: Branch, u: np.ndarray,
        options: ContinuationOptions) -> bool:
    """Whether the equilibrium `u` lies on `branch`: where the branch crosses u's parameter,
    its chord corrected onto the curve meets `u`."""
    points = np.column_stack([branch.states, branch.param])
    normal = np.append(np.zeros(len(u) - 1), 1.0)  # the parameter's axis
    for a, b in zip(points, points[1:]):
        if (a[-1] - u[-1]) * (b[-1] - u[-1]) > 0 or a[-1] == b[-1]:
            continue
        guess = a + (u[-1] - a[-1]) / (b[-1] - a[-1]) * (b - a)
        on_curve, _ = problem.curve.correct(guess, normal, options)
        if on_curve is not None and np.linalg.norm(on_curve - u) <= 1e-6 * (1 + np.linalg.norm(u)):
            return True
    return False


def _events(problem: EquilibriumProblem, traced, index: int, detect, options, lo: float,
            hi: float) -> list[SpecialPoint]:
    tests = {k: v for k, v in problem.tests.items() if k in detect}
    found = []
    for kind, u in crossings(problem.curve, traced.points, traced.tangents, tests, options,
                             lambda u: lo <= u[-1] <= hi):
        point = SpecialPoint(kind, float(u[-1]), u[:-1].copy(), index)
        if kind == "hopf":
            coefficients = problem.hopf(u)
            if coefficients is None:  # λ1 + λ2 = 0 with real λ: a neutral saddle
                continue
            point = SpecialPoint(kind, float(u[-1]), u[:-1].copy(), index,
                                 l1=coefficients[1], frequency=coefficients[0])
        found.append(point)
    return found
