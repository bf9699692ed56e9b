"""The input every integrator receives: one population's ODEs with subexpressions inlined."""
from __future__ import annotations

from dataclasses import dataclass

from ...ir import ODE, Call, Expr, Model, Ref, Statement, substitute
from ...ir._algebra import plus, times

DT = Ref("dt")


@dataclass(frozen=True)
class ODESystem:
    pop: str
    variables: tuple[str, ...]
    rhs: tuple[Expr, ...]  # d variables[k]/dt = rhs[k], subexpressions inlined
    unless_refractory: tuple[str, ...]

    def derivative(self, var: str) -> Expr:
        return self.rhs[self.variables.index(var)]


def system_of(model: Model, pop: str) -> ODESystem | None:
    odes = model.find(ODE, pop)
    if not odes:
        return None
    inline: dict[str, Expr] = {}
    for sub in model.subexpressions_in_order(pop):
        inline[sub.name] = substitute(sub.expr, inline)
    return ODESystem(pop, tuple(o.var for o in odes), tuple(substitute(o.rhs, inline) for o in odes),
                     tuple(o.var for o in odes if o.unless_refractory))


def explicit_stage(system: ODESystem, state: dict[str, Expr], prefix: str) -> list[Statement]:
    """Temporaries `{prefix}_{x} = f_x(state)`: one evaluation of the right-hand sides."""
    return [Statement(f"{prefix}_{var}", "=", substitute(rhs, state)) for var, rhs in zip(system.variables, system.rhs)]


def shifted_state(system: ODESystem, prefix: str, factor: Expr) -> dict[str, Expr]:
    """`x + factor*dt*{prefix}_x` for every variable (the argument of the next stage)."""
    return {var: plus(Ref(var), times(times(factor, DT), Ref(f"{prefix}_{var}"))) for var in system.variables}


def gate_refractory(system: ODESystem) -> ODESystem:
    """Brian2's `(unless refractory)`: the derivative is zero while the neuron is refractory.

    Explicit methods evaluate the gated right-hand side at every stage, so the
    other variables see the held value exactly as in Brian2."""
    gate = Call("int", (Ref("not_refractory"),))
    gated = tuple(times(rhs, gate) if var in system.unless_refractory else rhs
                  for var, rhs in zip(system.variables, system.rhs))
    return ODESystem(system.pop, system.variables, gated, ())
