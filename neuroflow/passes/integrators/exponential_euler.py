"""Exponential Euler for conditionally linear equations `dx/dt = a*x + b`.

`a` and `b` may depend on the other variables but not on `x`; they are frozen over the step and `x`
follows the exact solution `x(t+dt) = x + (a*x + b)*dt*exprel(a*dt)`, which is also exact for linear
equations with constant coefficients.  Brian2 and BrainPy use this method for conductance-based and
Hodgkin–Huxley models.  Equations with noise are left to the stochastic methods (and `exact`, for
Ornstein–Uhlenbeck processes).
"""
from __future__ import annotations

from ...ir import Call, Const, Expr, Ref, Statement, decompose, is_zero, plus, times
from ._system import DT, ODESystem


def conditionally_linear(system: ODESystem):
    """`[(var, a, b)]` with `d var/dt = a*var + b`, or None if one is nonlinear in its variable."""
    parts = []
    for var, rhs in zip(system.variables, system.rhs):
        linear = decompose(rhs, {var})
        if linear is None:
            return None
        coeffs, rest = linear
        parts.append((var, coeffs.get(var), rest))
    return parts


def exponential_update(var: str, a, b, noise: Expr | None = None) -> list[Statement]:
    """The exact step of `dx = (a*x + b) dt` with `a`, `b` frozen; with `noise` (`sum_k g_k*dW_k`,
    g constant) the exact step of the Ornstein–Uhlenbeck equation
    `dx = (a*x + b) dt + sum_k g_k dW_k`."""
    if a is None:  # no self-dependence: the step is a plain Euler (-Maruyama) step, exact here
        new = plus(Ref(var), times(DT, b))
        return [Statement(var, "=", new if noise is None else plus(new, noise))]
    a_name, b_name = f"_a_{var}", f"_b_{var}"
    if is_zero(b):  # pure decay: x*exp(a*dt)
        body = [Statement(a_name, "=", a)]
        new = times(Ref(var), Call("exp", (times(Ref(a_name), DT),)))
    else:
        body = [Statement(a_name, "=", a), Statement(b_name, "=", b)]
        slope = plus(times(Ref(a_name), Ref(var)), Ref(b_name))
        new = plus(Ref(var), times(slope, times(DT, Call("exprel", (times(Ref(a_name), DT),)))))
    if noise is not None:
        # Var[int_0^dt e^{a s} dW_s] = (e^{2 a dt} - 1)/(2 a) = dt*exprel(2*a*dt): scale each dW
        # by its square root
        spread = Call("sqrt", (Call("exprel", (times(times(Const(2.0), Ref(a_name)), DT),)),))
        new = plus(new, times(noise, spread))
    return body + [Statement(var, "=", new)]


class ExponentialEuler:
    order = 1
    strong_order = None  # no stochastic version
    requirement = "equations linear in their own variable, without noise"

    def can_integrate(self, system: ODESystem) -> bool:
        return not system.stochastic and conditionally_linear(system) is not None

    def lower(self, system: ODESystem):
        body = []
        for var, a, b in conditionally_linear(system):
            body += exponential_update(var, a, b)
        # Each variable's update reads the others' values from the start of the step,
        # so holding a refractory variable afterwards equals zeroing its derivative.
        return tuple(body), system.unless_refractory
