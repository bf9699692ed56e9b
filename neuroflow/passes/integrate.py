"""`integrate`: turn each population's ODEs into one discrete `StateUpdate`.

Requires: a canonicalized model with `ODE` nodes.
Guarantees: no `ODE` nodes remain; each population with ODEs has one
`StateUpdate` whose `method` names the integrator used.  The method is the
pass option `method` if given, else the population's own (`auto` picks
`exact`, then `exponential_euler`, then `rk4`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import ODE, Model, ModelError, StateUpdate, did_you_mean
from ._manager import register_pass
from .integrators import AUTO_ORDER, INTEGRATORS, system_of


@dataclass(frozen=True)
class IntegrateOptions:
    method: str = ""  # overrides every population's method when set


def choose_method(requested: str, system) -> str:
    if requested == "auto":
        return next(name for name in AUTO_ORDER if INTEGRATORS[name].can_integrate(system))
    if requested not in INTEGRATORS:
        raise ModelError(f"unknown integration method '{requested}' for population '{system.pop}'",
                         hint=did_you_mean(requested, INTEGRATORS) or f"methods: auto, {', '.join(INTEGRATORS)}")
    if not INTEGRATORS[requested].can_integrate(system):
        raise ModelError(f"method '{requested}' cannot integrate the equations of '{system.pop}'",
                         hint="'exact' needs linear equations with constant coefficients and"
                              " 'exponential_euler' equations linear in their own variable; try 'rk4' or 'auto'")
    return requested


@register_pass("integrate", IntegrateOptions)
def integrate(model: Model, options: IntegrateOptions) -> Model:
    for pop in model.populations:
        system = system_of(model, pop.name)
        if system is None:
            continue
        method = choose_method(options.method or pop.method, system)
        body, hold = INTEGRATORS[method].lower(system)
        odes = [o.id for o in model.find(ODE, pop.name)]
        model = model.remove(*odes).add(StateUpdate(pop.name, method, body, tuple(hold)))
    return model
