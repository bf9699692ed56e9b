"""Classic fourth-order Runge–Kutta, written as four stages of temporaries."""
from __future__ import annotations

from ...ir import Binary, Const, Ref, Statement
from ...ir._algebra import plus, times
from ._system import DT, ODESystem, explicit_stage, gate_refractory, shifted_state


class RK4:
    name = "rk4"
    order = 4

    def can_integrate(self, system: ODESystem) -> bool:
        return True

    def lower(self, system: ODESystem):
        system = gate_refractory(system)
        half = Const(0.5)
        body = explicit_stage(system, {}, "_k1")
        body += explicit_stage(system, shifted_state(system, "_k1", half), "_k2")
        body += explicit_stage(system, shifted_state(system, "_k2", half), "_k3")
        body += explicit_stage(system, shifted_state(system, "_k3", Const(1.0)), "_k4")
        for var in system.variables:
            k1, k2, k3, k4 = (Ref(f"_k{s}_{var}") for s in range(1, 5))
            weighted = Binary("+", Binary("+", Binary("+", k1, times(Const(2.0), k2)), times(Const(2.0), k3)), k4)
            body.append(Statement(var, "=", plus(Ref(var), times(Binary("/", DT, Const(6.0)), weighted))))
        return tuple(body), ()
