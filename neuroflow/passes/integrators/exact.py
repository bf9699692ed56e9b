"""Exact integration of linear systems with coefficients that do not depend on the state.

`dx/dt = A x + b` with A and b free of state variables (they may use
parameters and time-independent inputs).  Uncoupled equations get the closed
form `x + (a*x + b)*dt*exprel(a*dt)`; coupled ones become a `LinearSystem`
whose matrix exponential the backend evaluates.
"""
from __future__ import annotations

from ...ir import LinearSystem
from ...ir._algebra import ZERO, decompose
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


class Exact:
    name = "exact"
    order = None  # no discretisation error

    def can_integrate(self, system: ODESystem) -> bool:
        return linear_system(system) is not None

    def lower(self, system: ODESystem):
        matrix, offset = linear_system(system)
        n = len(system.variables)
        coupled = any(matrix[i][j] != ZERO for i in range(n) for j in range(n) if i != j)
        if coupled:
            return (LinearSystem(system.variables, matrix, offset),), system.unless_refractory
        body = []
        for k, var in enumerate(system.variables):
            a = None if matrix[k][k] == ZERO else matrix[k][k]
            body += exponential_update(var, a, offset[k])
        return tuple(body), system.unless_refractory
