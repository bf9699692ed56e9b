"""Exponential Euler for conditionally linear equations `dx/dt = a*x + b`.

`a` and `b` may depend on the other variables but not on `x`; they are frozen
over the step and `x` follows the exact solution
`x(t+dt) = x + (a*x + b)*dt*exprel(a*dt)`, which is also exact for linear
equations with constant coefficients.  Brian2 and BrainPy use this method for
conductance-based and Hodgkin–Huxley models.
"""
from __future__ import annotations

from ...ir import Call, Ref, Statement
from ...ir._algebra import decompose, is_zero, plus, times
from ._system import DT, ODESystem


def conditionally_linear(system: ODESystem):
    """`[(var, a, b)]` with `d var/dt = a*var + b`, or None if some equation is nonlinear in its variable."""
    parts = []
    for var, rhs in zip(system.variables, system.rhs):
        linear = decompose(rhs, {var})
        if linear is None:
            return None
        coeffs, rest = linear
        parts.append((var, coeffs.get(var), rest))
    return parts


def exponential_update(var: str, a, b) -> list[Statement]:
    if a is None:  # no self-dependence: the step is a plain Euler step
        return [Statement(var, "=", plus(Ref(var), times(DT, b)))]
    a_name, b_name = f"_a_{var}", f"_b_{var}"
    if is_zero(b):  # pure decay: x*exp(a*dt)
        return [Statement(a_name, "=", a),
                Statement(var, "=", times(Ref(var), Call("exp", (times(Ref(a_name), DT),))))]
    slope = plus(times(Ref(a_name), Ref(var)), Ref(b_name))
    factor = times(DT, Call("exprel", (times(Ref(a_name), DT),)))
    return [Statement(a_name, "=", a), Statement(b_name, "=", b),
            Statement(var, "=", plus(Ref(var), times(slope, factor)))]


class ExponentialEuler:
    name = "exponential_euler"
    order = 1

    def can_integrate(self, system: ODESystem) -> bool:
        return conditionally_linear(system) is not None

    def lower(self, system: ODESystem):
        body = []
        for var, a, b in conditionally_linear(system):
            body += exponential_update(var, a, b)
        # Each variable's update reads the others' values from the start of the step,
        # so holding a refractory variable afterwards equals zeroing its derivative.
        return tuple(body), system.unless_refractory
