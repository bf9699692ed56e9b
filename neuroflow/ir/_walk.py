"""Visiting the expressions inside nodes: one place that knows where each node kind keeps them."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ._adaptive import AdaptiveSystem
from ._coupling import Coupling, CouplingTerm
from ._expr import Call, Expr, Statement, subtrees
from ._nodes import (ODE, LinearSystem, Node, Refractory, Reset, StateUpdate, StateVar,
                     Subexpression, Threshold)
from ._poisson import PoissonInput
from ._projections import Projection


def map_expressions(node: Node, fn: Callable[[Expr], Expr]) -> Node:
    """`node` with `fn(expr)` applied to every expression it holds."""
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
    if isinstance(node, PoissonInput):
        return node.replace(rate=fn(node.rate), weight=fn(node.weight))
    if isinstance(node, Coupling):
        terms = tuple(CouplingTerm(fn(t.post), t.weighted, fn(t.pre)) for t in node.terms)
        return node.replace(summand=fn(node.summand), terms=terms)
    if isinstance(node, StateUpdate):
        return node.replace(body=tuple(_map_item(s, fn) for s in node.body))
    return node


def _map_item(item, fn: Callable[[Expr], Expr]):
    """One item of a state update's body with `fn` applied to its expressions."""
    if isinstance(item, Statement):
        return Statement(item.target, item.op, fn(item.expr))
    if isinstance(item, AdaptiveSystem):
        return replace(item, rhs=tuple(fn(e) for e in item.rhs))
    return LinearSystem(item.targets, tuple(tuple(fn(e) for e in row) for row in item.matrix),
                        tuple(fn(e) for e in item.offset))


def expressions(node: Node) -> list[Expr]:
    """Every expression `node` holds, in order."""
    found: list[Expr] = []

    def record(e: Expr) -> Expr:
        found.append(e)
        return e

    map_expressions(node, record)
    return found


def delayed_reads(model) -> dict[str, list[tuple[Node, Call]]]:
    """`{"pop.var": [(node, call), ...]}` for every read `var(t - d)` of a state variable's past."""
    found: dict[str, list[tuple[Node, Call]]] = {}
    for node in model.nodes:
        scope = model.scope(node.scope) if node.scope else {}
        for expr in expressions(node):
            for e in subtrees(expr):
                if isinstance(e, Call) and isinstance(scope.get(e.func), StateVar):
                    found.setdefault(f"{node.scope}.{e.func}", []).append((node, e))
    return found
