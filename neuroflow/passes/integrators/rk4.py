"""Classic fourth-order Runge–Kutta, written as four stages of temporaries.  ODEs only."""
from __future__ import annotations

from fractions import Fraction

from ._runge_kutta import ExplicitRungeKutta, Tableau

HALF = Fraction(1, 2)
RK4 = ExplicitRungeKutta("rk4", 4, Tableau(a=((), (HALF,), (0, HALF), (0, 0, 1)),
                                           b=(Fraction(1, 6), Fraction(1, 3), Fraction(1, 3), Fraction(1, 6))))
