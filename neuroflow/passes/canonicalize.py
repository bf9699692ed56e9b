"""`canonicalize`: fold constants, and optionally specialize parameters into constants.

Requires: a resolved model.
Guarantees: unit names in expressions are replaced by constants in internal
units and operations on constants are computed.  With `specialize=true`,
shared parameters become constants too, so their values are baked into the
compiled step (faster, but changing them needs a recompile).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (ODE, Const, Expr, Model, Parameter, Projection, Refractory, Reset, Statement, StateUpdate,
                  Subexpression, Threshold, substitute)
from ..ir._fold import fold
from ..ir._nodes import LinearSystem
from ._manager import register_pass


@dataclass(frozen=True)
class CanonicalizeOptions:
    specialize: bool = False


def _shared_constants(model: Model, pop: str) -> dict[str, Expr]:
    return {p.name: Const(p.value, p.type.dim) for p in model.find(Parameter, pop)
            if p.type.is_scalar and isinstance(p.value, float)}


def rewrite_expressions(node, fn):
    """Apply `fn(expr)` to every expression of `node` (shared by passes that rewrite expressions)."""
    if isinstance(node, Subexpression):
        return node.replace(expr=fn(node.expr))
    if isinstance(node, ODE):
        return node.replace(rhs=fn(node.rhs))
    if isinstance(node, Threshold):
        return node.replace(cond=fn(node.cond))
    if isinstance(node, Refractory):
        return node.replace(period=fn(node.period))
    if isinstance(node, Reset):
        return node.replace(body=tuple(Statement(s.target, s.op, fn(s.expr)) for s in node.body))
    if isinstance(node, Projection):
        e = node.effect
        return node.replace(effect=Statement(e.target, e.op, fn(e.expr)))
    if isinstance(node, StateUpdate):
        body = tuple(Statement(s.target, s.op, fn(s.expr)) if isinstance(s, Statement) else
                     LinearSystem(s.targets, tuple(tuple(fn(e) for e in row) for row in s.matrix),
                                  tuple(fn(e) for e in s.offset)) for s in node.body)
        return node.replace(body=body)
    return node


def _simplifier(model: Model, pop: str, specialize: bool):
    local = set(model.scope(pop)) | {"w"}
    constants = _shared_constants(model, pop) if specialize else {}

    def simplify(expr: Expr) -> Expr:
        return fold(substitute(expr, constants), lambda name: name in local and name not in constants)

    return simplify


@register_pass("canonicalize", CanonicalizeOptions)
def canonicalize(model: Model, options: CanonicalizeOptions) -> Model:
    simplifiers = {pop.name: _simplifier(model, pop.name, options.specialize) for pop in model.populations}
    nodes = [rewrite_expressions(node, simplifiers[node.scope]) if node.scope in simplifiers else node
             for node in model.nodes]
    if options.specialize:
        nodes = [n for n in nodes if not (isinstance(n, Parameter) and n.type.is_scalar
                                          and isinstance(n.value, float))]
    return model.with_nodes(nodes)
