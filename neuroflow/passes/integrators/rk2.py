"""Second-order Runge–Kutta, the explicit midpoint rule: `x + dt*f(x + dt/2*f(x))`.  ODEs only."""
from __future__ import annotations

from fractions import Fraction

from ._runge_kutta import ExplicitRungeKutta, Tableau

RK2 = ExplicitRungeKutta(2, Tableau(a=((), (Fraction(1, 2),)), b=(0, 1)))
