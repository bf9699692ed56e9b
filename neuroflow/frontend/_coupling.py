"""Continuous projections: a synapse model whose lines include Brian2's summed variables,

    w : 1
    I_post = w*tanh(x_pre) : 1 (summed)

become one `ir.Coupling` per summed line.  Names in a summand are the weight `w`, the neurons'
names with `_pre` or `_post`, and, as in Brian2, bare names of the post neuron (written back
with `_post` here, so the IR says which side each name is on); `params` are constants.

Clock-driven synapse variables, as NMDA gating in Wang (2002),

    ds/dt = -s/tau_s + alpha*x*(1 - s) : 1 (clock-driven)
    dx/dt = -x/tau_x : 1 (clock-driven)        with on_pre: x += 1

are the same on every synapse of a pre neuron when their equations and on_pre read nothing of
the synapse or the post neuron (only themselves, constants and `_pre` names) and they start
equal: they become variables of the pre population (`NAME_s`, `NAME_x` for projection NAME),
integrated with its equations, and on_pre runs when it spikes — one copy per pre neuron instead
of one per synapse, and the sum `w*s` one matrix product.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import ir
from ..ir import Loc, ModelError
from ._equations import EquationLine

FLOAT = "float"


def is_summed(line: EquationLine) -> bool:
    return line.kind == "sub" and "summed" in line.flags


def is_clock_driven(line: EquationLine) -> bool:
    return line.kind == "ode" and "clock-driven" in line.flags


@dataclass(frozen=True)
class PreState:
    """Clock-driven synapse variables moved into the pre population: its new variables and
    equations, the statements its spikes run, and the names the summands read them by."""

    nodes: tuple[ir.Node, ...] = ()
    on_spike: tuple[ir.Statement, ...] = ()
    renamed: dict = field(default_factory=dict)


def pre_state(name: str, pre: str, pre_size: int, lines: tuple[EquationLine, ...],
              on_pre: tuple[ir.Statement, ...], params: dict[str, ir.Const], init: dict,
              where: Loc | None) -> PreState:
    """The clock-driven variables of a synapse model as variables of the pre population."""
    what = f"projection '{name}'"
    variables = {line.name: line for line in lines if is_clock_driven(line)}
    if not variables:
        if on_pre:
            raise ModelError(f"{what} sums continuously and has on_pre, but no clock-driven"
                             " variable for it to change", where, "send spikes to the post"
                             " neurons in a projection of their own")
        return PreState()
    moved = {v: ir.Ref(f"{name}_{v}") for v in variables}

    def in_pre(expr: ir.Expr, loc) -> ir.Expr:
        """`expr` in the pre population's terms: `x_pre` is its `x`, `s` the moved `NAME_s`."""
        for n in ir.names(expr):
            same_for_all = (n in variables or n in params or n.endswith(ir.PRE)
                            or n in ("t", "dt") or ir.get_unit(n) is not None)
            if not same_for_all:  # `w`, `v_post`, a bare (post) name
                raise ModelError(f"the clock-driven variables of {what} read '{n}', which differs"
                                 " between the synapses of one pre neuron", loc,
                                 "synapse variables that differ per synapse are not supported"
                                 " yet: read only these variables, constants and x_pre names")
        own = {n: ir.Ref(n[:-len(ir.PRE)]) for n in ir.names(expr) if n.endswith(ir.PRE)}
        return ir.substitute(expr, {**moved, **params, **own})

    nodes: list[ir.Node] = []
    for var, line in variables.items():
        value = init.pop(var, 0.0)
        start = None if isinstance(value, ir.Random) else ir.as_quantity(value)
        if start is None or np.ndim(start.internal()):
            raise ModelError(f"clock-driven variable '{var}' of {what} must start with one value"
                             " for all synapses", line.loc)
        number = float(start.internal())
        if start.dim != line.dim and not (start.dim.is_dimensionless and number == 0.0):
            raise ModelError(f"the initial value of '{var}' of {what} is in {start.dim} but it is"
                             f" declared in {line.dim}", line.loc)
        nodes.append(ir.StateVar(pre, f"{name}_{var}", ir.Type(FLOAT, (pre_size,), line.dim),
                                 number, loc=line.loc))
        nodes.append(ir.ODE(pre, f"{name}_{var}", in_pre(line.expr, line.loc), loc=line.loc))
    on_spike = []
    for s in on_pre:
        if s.target not in variables:
            raise ModelError(f"on_pre of {what} writes '{s.target}', which is not one of its"
                             " clock-driven variables", where, "a summed projection changes its"
                             f" clock-driven variables only: {', '.join(variables)}")
        on_spike.append(ir.Statement(f"{name}_{s.target}", s.op, in_pre(s.expr, where)))
    renamed = {v: ir.Ref(f"{name}_{v}{ir.PRE}") for v in variables}
    return PreState(tuple(nodes), tuple(on_spike), renamed)


def coupling_nodes(name: str, pre: ir.PopSlice, post: ir.PopSlice, lines: tuple[EquationLine, ...],
                   weight: tuple[ir.Value, ir.Dimension, tuple[int, ...]] | None,
                   params: dict[str, ir.Const], connect: ir.ConnectivityRule, kernel: ir.Kernel,
                   post_names: dict[str, ir.Dimension], post_size: int,
                   where: Loc | None) -> list[ir.Node]:
    """The couplings of one synapse model, preceded by a state variable (one per neuron of the
    whole post population) for each target that the post population does not declare;
    `post_names` are the post population's names and their units."""
    what = f"projection '{name}'"
    summed = [line for line in lines if is_summed(line)]
    for line in lines:
        if is_summed(line) or is_clock_driven(line):
            continue
        if line.kind != "param" or line.name != "w" or line.flags - {"constant"}:
            raise ModelError(f"the synapse model of {what} sums continuously; its synapses have"
                             " one variable, their weight 'w : ...'", line.loc,
                             "other synapse variables and equations need spikes: on_pre=...")
    declared_w = next((line for line in lines if line.name == "w"), None)
    if weight is None:
        raise ModelError(f"{what} has no weights", where, "give weights=... (one number, one"
                         " per synapse, a (pre, post) matrix or a distribution)")
    value, dim, shape = weight
    if declared_w is not None and dim != declared_w.dim:
        raise ModelError(f"the weights of {what} are in {dim} but 'w' is declared in"
                         f" {declared_w.dim}", declared_w.loc)
    nodes: list[ir.Node] = []
    targets: set[str] = set()
    for line in summed:
        target = _target(line, what, targets)
        if target in post_names and post_names[target] != line.dim:
            raise ModelError(f"the summed variable '{line.name}' of {what} is declared in"
                             f" {line.dim} but '{target}' of '{post.population}' is in"
                             f" {post_names[target]}", line.loc,
                             "a summed variable has the units of its target")
        if target not in post_names and target not in targets:
            nodes.append(ir.StateVar(post.population, target,
                                     ir.Type(FLOAT, (post_size,), line.dim), 0.0, loc=line.loc))
        targets.add(target)
        renamed = {n: ir.Ref(n + ir.POST) for n in ir.names(line.expr) if n in post_names}
        summand = ir.fold(ir.substitute(line.expr, {**renamed, **params}),
                          lambda n: n == "w" or n.endswith((ir.PRE, ir.POST)))
        node_name = name if len(summed) == 1 else f"{name}_{target}"
        nodes.append(ir.Coupling(node_name, pre, post, connect, value, ir.Type(FLOAT, shape, dim),
                                 target, summand, kernel, loc=line.loc))
    return nodes


def _target(line: EquationLine, what: str, seen: set[str]) -> str:
    if not line.name.endswith(ir.POST) or line.name == ir.POST:
        raise ModelError(f"the summed variable '{line.name}' of {what} must name a variable of"
                         " the post neuron", line.loc, f"write '{line.name}_post = ... (summed)'")
    target = line.name[:-len(ir.POST)]
    if target in seen:
        raise ModelError(f"{what} sums into '{line.name}' twice", line.loc,
                         "write one summed line per target, with the terms added up")
    return target
