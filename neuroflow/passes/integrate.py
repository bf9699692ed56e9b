"""`integrate`: turn each population's differential equations into one discrete `StateUpdate`.

Requires: a canonicalized model with `ODE` nodes.  Right-hand sides may use white noise (`xi`,
`xi_1`, …, Brian2's syntax, in second**-1/2), linearly: such a population is a system of SDEs.
Guarantees: no `ODE` nodes remain; each population with ODEs has one `StateUpdate` whose `method`
names the integrator used, and no expression mentions `xi` any more: a stochastic update draws each
noise's Brownian increment once, as the temporary `_dW_xi = sqrt(dt)*randn()`, and every equation
and stage reads that one value.

The method is the pass option `method` if given, else the population's own.  `auto` picks `exact`,
then `exponential_euler`, then `rk4` for ODEs, and for SDEs `euler_maruyama` when the noise is
additive, else `milstein`.  Noise is read in Itô's sense by `euler_maruyama` and `milstein`, in
Stratonovich's by `heun` (`method="heun"` asks for Stratonovich); the two agree for additive noise.
`exact` solves Ornstein–Uhlenbeck processes exactly; `euler`, `rk2`, `rk4` and `exponential_euler`
refuse noise.  `rkf45` is adaptive inside the step (an `AdaptiveSystem`), with the options `rtol`
and `atol` as its tolerances (`integrate{method=rkf45,rtol=1e-8,atol=1e-8}`), and `events`
naming the populations whose threshold it tests after every sub-step (`events=E+I`, `events=all`);
a population gives its own as its method's options (`method: rkf45(atol=1e-3, events=1)`), which
the pass's options override where they are given.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (ODE, Coupling, Expr, Method, Model, ModelError, Population, StateMonitor,
                  StateUpdate, Subexpression, Threshold, did_you_mean, expressions, is_noise,
                  names, substitute)
from ._manager import register_pass
from .integrators import INTEGRATORS, ODESystem, auto_method, system_of

STOCHASTIC_HINT = ("with noise use 'euler_maruyama' or 'milstein' (Itô), 'heun' (Stratonovich)"
                   " or 'auto'")


@dataclass(frozen=True)
class IntegrateOptions:
    method: str = ""  # overrides every population's method when set
    rtol: float = -1.0  # tolerances of the adaptive method (rkf45); below 0: its defaults
    atol: float = -1.0
    events: str = ""  # populations ('+'-joined, or 'all') whose threshold rkf45 tests in the step


def choose_method(requested: str, system: ODESystem, loc=None) -> Method:
    """The method for `system`: `requested` if it applies, else a located error with a hint."""
    if requested == Method.AUTO:
        return auto_method(system)
    if requested not in INTEGRATORS:
        raise ModelError(f"unknown integration method '{requested}' for population"
                         f" '{system.pop}'", loc, did_you_mean(requested, INTEGRATORS)
                         or f"methods: auto, {', '.join(INTEGRATORS)}")
    integrator = INTEGRATORS[requested]
    if not integrator.can_integrate(system):
        kind = (f"stochastic equations (noise {', '.join(system.noises)})" if system.stochastic
                else "equations")
        hint = f"'{requested}' needs {integrator.requirement}; "
        hint += STOCHASTIC_HINT if system.stochastic else "try 'rk4' or 'auto'"
        raise ModelError(f"method '{requested}' cannot integrate the {kind} of '{system.pop}'",
                         loc, hint)
    return Method(requested)


def _check_noise_stays_in_equations(model: Model, pop: str) -> None:
    """White noise only has a meaning inside differential equations (as in Brian2)."""
    inline: dict[str, Expr] = {}
    for sub in model.subexpressions_in_order(pop):
        inline[sub.name] = substitute(sub.expr, inline)
    local = set(model.scope(pop))

    def noisy(expr: Expr) -> set[str]:
        return {n for n in names(substitute(expr, inline)) if is_noise(n) and n not in local}

    for node in model.nodes:
        if node.scope != pop or isinstance(node, (ODE, Subexpression, Coupling)):
            continue  # a subexpression is checked where it is used, inlined; `xi_pre` is a name
        monitored = isinstance(node, StateMonitor) and node.var in inline
        used = set().union(*map(noisy, [inline[node.var]] if monitored else expressions(node)))
        if used:
            raise ModelError(f"{node.id}: white noise ({', '.join(sorted(used))}) can only appear"
                             " in differential equations", node.loc,
                             "use rand() or randn() for a random number per neuron and step")


ADAPTIVE_OPTIONS = ("rtol", "atol", "events")


def _configured(integrator, method: Method, pop: Population, options: IntegrateOptions,
                has_threshold: bool):
    """The integrator with the population's method options (`rkf45(atol=1e-3, events=1)`),
    the pass's options taking precedence where they are given; a method the pass imposes in place
    of the population's own leaves the population's options aside."""
    own = dict(pop.options) if method == pop.method else {}
    if not hasattr(integrator, "configured"):  # only the adaptive method has options
        if own:
            raise ModelError(f"method '{method}' of population '{pop.name}' takes no options,"
                             f" got {', '.join(own)}", pop.loc, "rkf45 takes rtol, atol, events")
        return integrator
    unknown = sorted(set(own) - set(ADAPTIVE_OPTIONS))
    if unknown:
        raise ModelError(f"method '{method}' of population '{pop.name}' has no option"
                         f" '{unknown[0]}'", pop.loc,
                         did_you_mean(unknown[0], ADAPTIVE_OPTIONS, "its options"))
    rtol = options.rtol if options.rtol >= 0 else own.get("rtol")
    atol = options.atol if options.atol >= 0 else own.get("atol")
    events = bool(own.get("events", 0)) if not options.events else (
        options.events == "all" or pop.name in options.events.split("+"))
    return integrator.configured(rtol, atol, events and has_threshold)


@register_pass("integrate", IntegrateOptions)
def integrate(model: Model, options: IntegrateOptions) -> Model:
    for pop in model.populations:
        _check_noise_stays_in_equations(model, pop.name)
        system = system_of(model, pop.name)
        if system is None:
            continue
        method = choose_method(options.method or pop.method, system,
                               None if options.method else pop.loc)
        integrator = _configured(INTEGRATORS[method], method, pop, options,
                                 model.one(Threshold, pop.name) is not None)
        body, hold = integrator.lower(system)
        odes = [o.id for o in model.find(ODE, pop.name)]
        model = model.remove(*odes).add(StateUpdate(pop.name, method, body, tuple(hold)))
    return model
