"""Explicit Runge–Kutta methods from their Butcher tableau: the one home of `rk2`, `heun` and `rk4`.

Stage `i` evaluates the right-hand side at `x + dt*sum_j a[i][j]*k_j` and
the step is `x + dt*sum_i b[i]*k_i`.  Every stage is a block of temporaries
`_k{i}_{x}`, so the printed IR reads like the textbook scheme.

With noise, the same tableau is applied to the whole increment `f dt + sum_xi g_xi dW_xi`, with one
Brownian increment per noise and step shared by all stages (`_g{i}_{x}_{xi}` holds `g` at stage
`i`).  A consistent method (weights summing to 1, `sum_i b_i*c_i = 1/2`) then converges to the
**Stratonovich** solution; of the methods here only `heun` (stochastic Heun) admits noise.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

from ...ir import Binary, Const, Expr, Ref, Statement, plus, times
from ._noise import draw_increments, increment
from ._system import DT, ODESystem, diffusion_name, diffusion_stage, explicit_stage, gate_refractory


@dataclass(frozen=True)
class Tableau:
    # row i holds the i coefficients of stage i (row 0 is empty)
    a: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]

    def __post_init__(self):
        if len(self.a) != len(self.b) or any(len(row) != i for i, row in enumerate(self.a)):
            raise ValueError("an explicit tableau has one row per stage, row i with i entries,"
                             " and one weight per stage")
        if sum(self.b) != 1:
            raise ValueError(f"the weights of a consistent method sum to 1, got {sum(self.b)}")


def weighted(weights, terms: list[Expr], scale: Expr | None) -> Expr | None:
    """`scale*sum_j w_j*terms_j` with few constants: `0.5*dt*k1` or `dt/6.0*(k1 + 2.0*k2 …)`;
    None if all w_j are 0."""
    used = [(Fraction(w), t) for w, t in zip(weights, terms) if w != 0]
    if not used:
        return None
    if len(used) == 1:
        w, term = used[0]
        factor = Const(float(w)) if scale is None else times(Const(float(w)), scale)
        return times(factor, term)
    denominator = lcm(*(w.denominator for w, _ in used))
    total = None
    for w, term in used:
        term = times(Const(float(w * denominator)), term)
        total = term if total is None else Binary("+", total, term)
    if scale is None:
        return times(Const(1.0 / denominator), total)
    return times(scale if denominator == 1 else Binary("/", scale, Const(float(denominator))),
                 total)


def _step(system: ODESystem, var: str, weights, stages: int) -> Expr:
    """`x + dt*sum_j w_j*k_j + sum_xi (sum_j w_j*g_j)*dW_xi` over the first `stages` stages."""
    new = Ref(var)
    drift = weighted(weights, [Ref(f"_k{j + 1}_{var}") for j in range(stages)], DT)
    if drift is not None:
        new = plus(new, drift)
    for xi in system.coefficients(var):
        g = weighted(weights, [Ref(diffusion_name(f"_g{j + 1}", var, xi)) for j in range(stages)],
                     None)
        if g is not None:
            new = plus(new, times(g, increment(xi)))
    return new


def runge_kutta(system: ODESystem, tableau: Tableau) -> list[Statement]:
    """One step of `system` with the explicit method `tableau`, refractory gating included."""
    system = gate_refractory(system)
    body = draw_increments(system.noises)
    for i, row in enumerate(tableau.a):
        state = {var: _step(system, var, row, i) for var in system.variables} if i else {}
        # stage i is evaluated at time t + c_i*dt (what explicit time dependence needs)
        if sum(row):
            state["t"] = plus(Ref("t"), times(Const(float(sum(row))), DT))
        body += explicit_stage(system, state, f"_k{i + 1}")
        body += diffusion_stage(system, state, f"_g{i + 1}")
    body += [Statement(var, "=", _step(system, var, tableau.b, len(tableau.b)))
             for var in system.variables]
    return body


@dataclass(frozen=True)
class ExplicitRungeKutta:
    """An explicit Runge–Kutta method, given by its tableau; one with a `strong_order` also
    integrates equations with noise (in Stratonovich's sense), the others refuse noise."""

    order: int
    tableau: Tableau
    strong_order: float | None = None
    requirement: str = "equations without noise"

    def can_integrate(self, system: ODESystem) -> bool:
        return self.strong_order is not None or not system.stochastic

    def lower(self, system: ODESystem):
        return tuple(runge_kutta(system, self.tableau)), ()
