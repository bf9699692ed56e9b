"""Classic fourth-order Runge–Kutta, written as four stages of temporaries.  ODEs only."""
from __future__ import annotations

from fractions import Fraction

from ._runge_kutta import Tableau, runge_kutta
from ._system import ODESystem

HALF = Fraction(1, 2)
TABLEAU = Tableau(a=((), (HALF,), (0, HALF), (0, 0, 1)),
                  b=(Fraction(1, 6), Fraction(1, 3), Fraction(1, 3), Fraction(1, 6)))


class RK4:
    name = "rk4"
    order = 4
    strong_order = None  # no stochastic version
    requirement = "equations without noise"

    def can_integrate(self, system: ODESystem) -> bool:
        return not system.stochastic

    def lower(self, system: ODESystem):
        return tuple(runge_kutta(system, TABLEAU)), ()
