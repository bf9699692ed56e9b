"""Forward Euler: `x(t+dt) = x + dt*f(x)`.  First order; the cheapest explicit method.  ODEs only:
the same step with noise is `euler_maruyama` (Brian2 calls both 'euler')."""
from __future__ import annotations

from ...ir import Ref, Statement, plus, times
from ._noise import stochastic_terms
from ._system import DT, ODESystem, gate_refractory


def euler_step(system: ODESystem) -> list[Statement]:
    """`x + dt*f(x) + sum_k g_k(x)*_dW_k` for every variable (the increments drawn elsewhere)."""
    system = gate_refractory(system)
    body = []
    for var, rhs in zip(system.variables, system.rhs):
        new = plus(Ref(var), times(DT, rhs))
        noise = stochastic_terms(system.coefficients(var))
        body.append(Statement(var, "=", new if noise is None else plus(new, noise)))
    return body


class Euler:
    order = 1
    strong_order = None  # with noise, use euler_maruyama
    requirement = "equations without noise (Brian2's 'euler' on noise is 'euler_maruyama' here)"

    def can_integrate(self, system: ODESystem) -> bool:
        return not system.stochastic

    def lower(self, system: ODESystem):
        return tuple(euler_step(system)), ()
