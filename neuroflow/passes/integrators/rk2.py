"""Second-order Runge–Kutta, the explicit midpoint rule: `x + dt*f(x + dt/2*f(x))`.  ODEs only."""
from __future__ import annotations

from fractions import Fraction

from ._runge_kutta import Tableau, runge_kutta
from ._system import ODESystem

TABLEAU = Tableau(a=((), (Fraction(1, 2),)), b=(0, 1))


class RK2:
    name = "rk2"
    order = 2
    strong_order = None  # no stochastic version
    requirement = "equations without noise"

    def can_integrate(self, system: ODESystem) -> bool:
        return not system.stochastic

    def lower(self, system: ODESystem):
        return tuple(runge_kutta(system, TABLEAU)), ()
