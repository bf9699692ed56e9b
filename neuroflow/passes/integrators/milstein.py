"""Milstein for Itô equations, in the derivative-free form of Kloeden & Platen (1992, §11.1).

    y_j = x + f dt + g_j sqrt(dt)                        (supporting value along noise j)
    x(t+dt) = x + f dt + sum_k g_k dW_k
                + sum_{j,k} (g_k(y_j) - g_k(x)) (dW_j dW_k - [j = k] dt) / (2 sqrt(dt))

`(g_k(y_j) - g_k(x))/sqrt(dt)` approximates `L^j g_k = sum_i g_ij dg_k/dx_i`, the term the
Itô–Taylor expansion adds to Euler–Maruyama.  For commutative noise (`L^j g_k = L^k g_j`: one noise
source, additive or diagonal noise) the double Itô integrals reduce to the products of increments
above and the strong order is 1; for other noise it drops to 1/2, that of Euler–Maruyama.  Without
noise the method is forward Euler.

Why derivative-free rather than a symbolic dg/dx: a coefficient may use any function of the
expression language (exprel, clip, where, sign …), and a differentiator would need a rule for each
and care at their kinks; the supporting value only evaluates `g` once more per noise source, in the
IR we already have, and keeps strong order 1.  A pair (j, k) whose `g_k` does not depend on any
variable noise j moves has `L^j g_k = 0` and is left out, so additive noise costs nothing over
Euler–Maruyama.
"""
from __future__ import annotations

from ...ir import Binary, Const, Ref, Statement, minus, plus, substitute, times
from ._noise import SQRT_DT, depends_on, draw_increments, increment
from ._system import DT, ODESystem, diffusion_name, diffusion_stage, explicit_stage, gate_refractory


def active_pairs(system: ODESystem) -> list[tuple[str, str, str]]:
    """`(j, k, x)`: noise j moves a variable that `g_k` of x's equation uses (`L^j g_k != 0`)."""
    return [(j, k, var) for j in system.noises for var in system.variables
            for k, g in system.coefficients(var).items() if depends_on(g, system.moved_by(j))]


def _correction(j: str, k: str, var: str) -> Binary:
    """`(g_k(y_j) - g_k(x))*(dW_j*dW_k - [j = k]*dt)/(2*sqrt(dt))` for the equation of `var`."""
    product = times(increment(j), increment(k))
    if j == k:
        product = minus(product, DT)
    change = minus(Ref(diffusion_name(f"_gy_{j}", var, k)), Ref(diffusion_name("_g", var, k)))
    return Binary("/", times(change, product), times(Const(2.0), SQRT_DT))


class Milstein:
    order = 1
    strong_order = 1.0  # commutative noise
    requirement = "any equations (noise is read as Itô; strong order 1 needs commutative noise)"

    def can_integrate(self, system: ODESystem) -> bool:
        return True

    def lower(self, system: ODESystem):
        system = gate_refractory(system)
        body = draw_increments(system.noises)
        body += explicit_stage(system, {}, "_f")
        body += diffusion_stage(system, {}, "_g")
        pairs = active_pairs(system)
        for j in system.noises:
            body += _supporting_values(system, j, [(k, x) for jj, k, x in pairs if jj == j])
        for var in system.variables:
            new = plus(Ref(var), times(DT, Ref(f"_f_{var}")))
            for k in system.coefficients(var):
                new = plus(new, times(Ref(diffusion_name("_g", var, k)), increment(k)))
            for j, k, x in pairs:
                if x == var:
                    new = plus(new, _correction(j, k, var))
            body.append(Statement(var, "=", new))
        return tuple(body), ()


def _supporting_values(system: ODESystem, j: str, uses: list[tuple[str, str]]) -> list[Statement]:
    """`_y_{j}_{v} = v + dt*f_v + sqrt(dt)*g_v,j` for the variables the coefficients `uses` read,
    then `_gy_{j}_{x}_{k} = g_x,k(y_j)` for each `(k, x)` in `uses`."""
    read = {v for k, x in uses for v in system.variables
            if depends_on(system.coefficients(x)[k], [v])}
    body, support = [], {}
    for var in system.variables:
        if var in read:
            y = plus(Ref(var), times(DT, Ref(f"_f_{var}")))
            if j in system.coefficients(var):
                y = plus(y, times(SQRT_DT, Ref(diffusion_name("_g", var, j))))
            body.append(Statement(f"_y_{j}_{var}", "=", y))
            support[var] = Ref(f"_y_{j}_{var}")
    body += [Statement(diffusion_name(f"_gy_{j}", x, k), "=",
                       substitute(system.coefficients(x)[k], support)) for k, x in uses]
    return body
