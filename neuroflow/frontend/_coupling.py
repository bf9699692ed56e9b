"""Continuous projections: a synapse model whose lines include Brian2's summed variables,

    w : 1
    I_post = w*tanh(x_pre) : 1 (summed)

become one `ir.Coupling` per summed line.  Names in a summand are the weight `w`, the neurons'
names with `_pre` or `_post`, and, as in Brian2, bare names of the post neuron (written back
with `_post` here, so the IR says which side each name is on); `params` are constants.
"""
from __future__ import annotations

from .. import ir
from ..ir import Loc, ModelError
from ._equations import EquationLine

FLOAT = "float"


def is_summed(line: EquationLine) -> bool:
    return line.kind == "sub" and "summed" in line.flags


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
        if is_summed(line):
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
