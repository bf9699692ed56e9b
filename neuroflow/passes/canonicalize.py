"""`canonicalize`: fold constants, and optionally specialize parameters into constants.

Requires: a resolved model.
Guarantees: unit names in expressions are replaced by constants in internal units and operations on
constants are computed.  With `specialize=true`, shared parameters become constants too, so their
values are baked into the compiled step (faster, but changing them needs a recompile).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Const, Expr, Model, Parameter, fold, map_expressions, substitute
from ._manager import register_pass


@dataclass(frozen=True)
class CanonicalizeOptions:
    specialize: bool = False


def _simplifier(model: Model, pop: str, specialize: bool):
    local = set(model.scope(pop)) | {"w"}
    constants = {p.name: Const(p.value, p.type.dim) for p in model.find(Parameter, pop)
                 if specialize and p.type.is_scalar and isinstance(p.value, float)}

    def simplify(expr: Expr) -> Expr:
        return fold(substitute(expr, constants),
                    lambda name: name in local and name not in constants)

    return simplify


@register_pass("canonicalize", CanonicalizeOptions)
def canonicalize(model: Model, options: CanonicalizeOptions) -> Model:
    simplifiers = {pop.name: _simplifier(model, pop.name, options.specialize)
                   for pop in model.populations}
    nodes = [map_expressions(node, simplifiers[node.scope]) if node.scope in simplifiers else node
             for node in model.nodes]
    if options.specialize:
        nodes = [n for n in nodes if not (isinstance(n, Parameter) and n.type.is_scalar
                                          and isinstance(n.value, float))]
    return model.with_nodes(nodes)
