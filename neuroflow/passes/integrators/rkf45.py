"""Runge–Kutta–Fehlberg 4(5) with error control inside the fixed step (`method: rkf45`): each
neuron crosses the step in sub-steps of its own size, each accepted when the difference between
the embedded fourth- and fifth-order solutions lies within `atol + rtol*|x|` in every variable;
the fifth-order solution is kept (local extrapolation).  This is the scheme NEST integrates its
conductance-based and AdEx models with (GSL's `rkf45`): stiff input, as a conductance decaying
with τ = 0.2 ms at dt = 0.1 ms, is followed within the step, where exponential Euler holds it at
its start-of-step value.  ODEs only.

The IR holds the equations and the tolerances (an `AdaptiveSystem`) and names the tableau
(`ir.EMBEDDED_PAIRS["rkf45"]`); the backend runs the sub-steps, vectorised over the population.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ...ir import AdaptiveSystem
from ._system import ODESystem, gate_refractory

# NEST's default for AdEx (`gsl_error_tol`, used as both tolerances)
RTOL = ATOL = 1e-6
MAX_STEPS = 1000  # sub-steps in one step, for each neuron


@dataclass(frozen=True)
class RKF45:
    order = 5
    strong_order = None
    requirement = "equations without noise"
    rtol: float = RTOL
    atol: float = ATOL
    max_steps: int = MAX_STEPS
    events: bool = False  # test the threshold after every sub-step

    def can_integrate(self, system: ODESystem) -> bool:
        return not system.stochastic

    def configured(self, rtol: float | None, atol: float | None, events: bool) -> "RKF45":
        return replace(self, rtol=self.rtol if rtol is None else rtol,
                       atol=self.atol if atol is None else atol, events=events)

    def lower(self, system: ODESystem):
        system = gate_refractory(system)  # a held variable's derivative is 0 at every stage
        return (AdaptiveSystem("rkf45", system.variables, system.rhs, self.rtol, self.atol,
                               self.max_steps, self.events),), ()
