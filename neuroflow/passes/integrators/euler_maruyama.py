"""Euler–Maruyama: `x(t+dt) = x + f(x) dt + sum_k g_k(x) dW_k`, the Itô reading of the noise.

Strong order 1/2 in general and 1 for additive noise (where it coincides
with Milstein); weak order 1.  Without noise it is forward Euler.  Brian2
calls this method 'euler' on stochastic equations.
"""
from __future__ import annotations

from ._noise import draw_increments
from ._system import ODESystem
from .euler import euler_step


class EulerMaruyama:
    order = 1
    strong_order = 0.5
    requirement = "any equations (noise is read as Itô)"

    def can_integrate(self, system: ODESystem) -> bool:
        return True

    def lower(self, system: ODESystem):
        return tuple(draw_increments(system.noises) + euler_step(system)), ()
