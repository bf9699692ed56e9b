"""Heun's method, the explicit trapezoidal rule; on equations with noise, stochastic Heun
(Stratonovich).

ODEs: `k1 = f(x)`, `k2 = f(x + dt*k1)`, `x + dt/2*(k1 + k2)`: second order.

SDEs: the predictor takes a whole Euler–Maruyama step and the corrector averages drift and diffusion
over both ends, with the same Brownian increments:

    y = x + f(x) dt + sum_k g_k(x) dW_k
    x(t+dt) = x + (f(x) + f(y))/2 dt + sum_k (g_k(x) + g_k(y))/2 dW_k

This averaging is what makes the limit the **Stratonovich** solution, so `method="heun"` is how a
model asks for the Stratonovich interpretation of its noise (as in Brian2); the other stochastic
methods solve the Itô equation.  For additive noise both interpretations agree.  The strong order is
1 for commutative noise (one noise source, diagonal or additive noise), 1/2 otherwise.
"""
from __future__ import annotations

from fractions import Fraction

from ._runge_kutta import ExplicitRungeKutta, Tableau

HEUN = ExplicitRungeKutta(2, Tableau(a=((), (1,)), b=(Fraction(1, 2), Fraction(1, 2))),
                          strong_order=1.0,  # Stratonovich, commutative noise
                          requirement="any equations (noise is read as Stratonovich)")
