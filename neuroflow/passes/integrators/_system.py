"""The input every integrator receives: one population's differential equations with
subexpressions inlined.

Equations with white noise (`xi`, `xi_1`, …) are split into a drift, kept in
`rhs`, and one diffusion coefficient per noise; see `_noise.py`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...ir import (ODE, Call, Const, Expr, Model, Ref, Statement, StateVar, is_zero, substitute,
                   time_dimension, times)
from ._noise import DT as DT  # the integrators' `dt`, shared with _noise
from ._noise import depends_on, noise_names, split_noise


@dataclass(frozen=True)
class ODESystem:
    """`d variables[k] = rhs[k] dt + sum_xi diffusion[k][xi] dW_xi`; ODEs when `noises` is empty."""

    pop: str
    variables: tuple[str, ...]
    rhs: tuple[Expr, ...]  # the drift: d variables[k]/dt without noise, subexpressions inlined
    unless_refractory: tuple[str, ...]
    noises: tuple[str, ...] = ()  # the white-noise sources used, `xi` first
    diffusion: tuple[dict[str, Expr], ...] = ()  # per variable: {noise: coefficient}

    @property
    def stochastic(self) -> bool:
        return bool(self.noises)

    def coefficients(self, var: str) -> dict[str, Expr]:
        """`{noise: g}` of the equation of `var` (empty for an ODE)."""
        return self.diffusion[self.variables.index(var)] if self.diffusion else {}

    def moved_by(self, noise: str) -> tuple[str, ...]:
        """The variables whose equations contain `noise`."""
        return tuple(v for v in self.variables if noise in self.coefficients(v))

    @property
    def additive(self) -> bool:
        """Whether no diffusion coefficient depends on the state (additive noise)."""
        return not any(depends_on(g, self.variables) for d in self.diffusion for g in d.values())


def system_of(model: Model, pop: str) -> ODESystem | None:
    odes = model.find(ODE, pop)
    if not odes:
        return None
    inline: dict[str, Expr] = {}
    for sub in model.subexpressions_in_order(pop):
        inline[sub.name] = substitute(sub.expr, inline)
    variables = tuple(o.var for o in odes)
    rhs = tuple(substitute(o.rhs, inline) for o in odes)
    refractory = tuple(o.var for o in odes if o.unless_refractory)
    noises = noise_names(rhs, set(model.scope(pop)))
    if not noises:
        return ODESystem(pop, variables, rhs, refractory)
    drifts, diffusion = [], []
    scope = model.scope(pop)
    for ode, expr in zip(odes, rhs):
        drift, coefficients = split_noise(ode.var, expr, noises, ode.loc)
        if is_zero(drift):  # a pure-noise equation: its zero drift still has the equation's units
            var = scope[ode.var]
            if isinstance(var, StateVar):
                drift = Const(0.0, var.type.dim / time_dimension(model))
        drifts.append(drift)
        diffusion.append(coefficients)
    return ODESystem(pop, variables, tuple(drifts), refractory, noises, tuple(diffusion))


def explicit_stage(system: ODESystem, state: dict[str, Expr], prefix: str) -> list[Statement]:
    """Temporaries `{prefix}_{x} = f_x(state)`: one evaluation of the drift (right-hand sides)."""
    return [Statement(f"{prefix}_{var}", "=", substitute(rhs, state))
            for var, rhs in zip(system.variables, system.rhs)]


def diffusion_name(prefix: str, var: str, noise: str) -> str:
    return f"{prefix}_{var}_{noise}"


def diffusion_stage(system: ODESystem, state: dict[str, Expr], prefix: str) -> list[Statement]:
    """Temporaries `{prefix}_{x}_{xi} = g_x,xi(state)`: the diffusion coefficients at `state`."""
    return [Statement(diffusion_name(prefix, var, xi), "=", substitute(g, state))
            for var in system.variables for xi, g in system.coefficients(var).items()]


def gate_refractory(system: ODESystem) -> ODESystem:
    """Brian2's `(unless refractory)`: the derivative is zero while the neuron is refractory.

    Explicit methods evaluate the gated right-hand side (drift and diffusion) at
    every stage, so the other variables see the held value exactly as in Brian2."""
    gate = Call("int", (Ref("not_refractory"),))
    held = set(system.unless_refractory)
    gated = tuple(times(rhs, gate) if var in held else rhs
                  for var, rhs in zip(system.variables, system.rhs))
    diffusion = tuple({xi: times(g, gate) for xi, g in d.items()} if var in held else d
                      for var, d in zip(system.variables, system.diffusion))
    return ODESystem(system.pop, system.variables, gated, (), system.noises, diffusion)
