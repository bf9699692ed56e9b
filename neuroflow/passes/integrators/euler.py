"""Forward Euler: `x(t+dt) = x + dt*f(x)`.  First order; the cheapest explicit method."""
from __future__ import annotations

from ...ir import Ref, Statement
from ...ir._algebra import plus, times
from ._system import DT, ODESystem, gate_refractory


class Euler:
    name = "euler"
    order = 1

    def can_integrate(self, system: ODESystem) -> bool:
        return True

    def lower(self, system: ODESystem):
        system = gate_refractory(system)
        body = tuple(Statement(var, "=", plus(Ref(var), times(DT, rhs)))
                     for var, rhs in zip(system.variables, system.rhs))
        return body, ()
