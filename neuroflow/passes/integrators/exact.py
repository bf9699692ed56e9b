"""Exact integration of linear systems with coefficients that do not depend on the state.

`dx/dt = A x + b` with A and b free of state variables (they may use parameters and time-independent
inputs).  Uncoupled equations get the closed form `x + (a*x + b)*dt*exprel(a*dt)`; coupled ones
become a `LinearSystem` whose matrix exponential the backend evaluates.

With noise, `exact` integrates Ornstein–Uhlenbeck processes `dx = (a*x + b) dt + sum_k g_k dW_k`:
uncoupled equations, additive noise, and each noise source in one equation only.  The step adds
`sum_k g_k*dW_k*sqrt(exprel(2*a*dt))`, a normal number with the exact variance
`sum_k g_k**2*(exp(2*a*dt) - 1)/(2*a)`, so the statistics are right at any dt.  (Coupled or shared
noise would need the covariance of several stochastic integrals; such systems are left to the
stochastic methods.)
"""
from __future__ import annotations

from ...ir import ZERO, LinearSystem, decompose
from ._noise import draw_increments, stochastic_terms
from ._system import ODESystem
from .exponential_euler import exponential_update


def linear_system(system: ODESystem):
    """`(A, b)` as nested tuples of expressions, or None if the system is not linear."""
    variables = set(system.variables)
    rows, offsets = [], []
    for rhs in system.rhs:
        linear = decompose(rhs, variables)
        if linear is None:
            return None
        coeffs, rest = linear
        rows.append(tuple(coeffs.get(v, ZERO) for v in system.variables))
        offsets.append(rest)
    return tuple(rows), tuple(offsets)


def _coupled(matrix) -> bool:
    n = len(matrix)
    return any(matrix[i][j] != ZERO for i in range(n) for j in range(n) if i != j)


def ornstein_uhlenbeck(system: ODESystem) -> bool:
    """Whether the noise of `system` has an exact step: uncoupled, additive, one equation each."""
    linear = linear_system(system)
    return (linear is not None and not _coupled(linear[0]) and system.additive
            and all(len(system.moved_by(xi)) == 1 for xi in system.noises))


class Exact:
    order = None  # no discretisation error
    strong_order = None  # exact for the processes it accepts
    requirement = ("linear equations with constant coefficients; with noise, uncoupled equations"
                   " with additive noise, each noise source in one equation (Ornstein–Uhlenbeck)")

    def can_integrate(self, system: ODESystem) -> bool:
        if system.stochastic:
            return ornstein_uhlenbeck(system)
        return linear_system(system) is not None

    def lower(self, system: ODESystem):
        matrix, offset = linear_system(system)
        if _coupled(matrix):
            return (LinearSystem(system.variables, matrix, offset),), system.unless_refractory
        body = draw_increments(system.noises)
        for k, var in enumerate(system.variables):
            a = None if matrix[k][k] == ZERO else matrix[k][k]
            noise = stochastic_terms(system.coefficients(var))
            body += exponential_update(var, a, offset[k], noise)
        return tuple(body), system.unless_refractory
