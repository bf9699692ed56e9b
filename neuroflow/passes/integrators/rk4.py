"""Classic fourth-order Runge–Kutta, written as four stages of temporaries.  ODEs only."""
from __future__ import annotations

from fractions import Fraction

from ._runge_kutta import ExplicitRungeKutta, Tableau

HALF = Fraction(1, 2)
WEIGHTS = (Fraction(1, 6), Fraction(1, 3), Fraction(1, 3), Fraction(1, 6))
RK4 = ExplicitRungeKutta(4, Tableau(a=((), (HALF,), (0, HALF), (0, 0, 1)), b=WEIGHTS))
