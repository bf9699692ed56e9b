"""`canonicalize`: fold constants, and optionally specialize parameters into constants.

Requires: a resolved model.
Guarantees: unit names in expressions are replaced by constants in internal units and operations on
constants are computed.  With `specialize=true`, shared parameters become constants too, so their
values are baked into the compiled step (faster, but changing them needs a recompile).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (POST, PRE, Connection, Const, Coupling, Expr, Model, Parameter, fold,
                  map_expressions, names, substitute)
from ._manager import register_pass


@dataclass(frozen=True)
class CanonicalizeOptions:
    specialize: bool = False


def _simplifier(model: Model, specialize: bool, sides: tuple[tuple[str, str], ...]):
    """Folds expressions that read the populations of `sides`, each with the suffix of its names
    there: "" in a population's own expressions, `_pre` and `_post` in a coupling's."""
    local, constants = {"w"}, {}
    for pop, suffix in sides:
        local |= {name + suffix for name in model.scope(pop)}
        constants |= {p.name + suffix: Const(p.value, p.type.dim)
                      for p in model.find(Parameter, pop)
                      if specialize and p.type.is_scalar and isinstance(p.value, float)}

    def simplify(expr: Expr) -> Expr:
        return fold(substitute(expr, constants),
                    lambda name: name in local and name not in constants)

    return simplify


@register_pass("canonicalize", CanonicalizeOptions)
def canonicalize(model: Model, options: CanonicalizeOptions) -> Model:
    simplifiers = {pop.name: _simplifier(model, options.specialize, ((pop.name, ""),))
                   for pop in model.populations}
    nodes = []
    for node in model.nodes:
        if isinstance(node, Coupling):
            sides = ((node.pre.population, PRE), (node.post.population, POST))
            node = map_expressions(node, _simplifier(model, options.specialize, sides))
        elif node.scope in simplifiers:
            node = map_expressions(node, simplifiers[node.scope])
        nodes.append(node)
    if options.specialize:
        kept = _read_when_drawn_or_by_synapses(model)
        nodes = [n for n in nodes if not (isinstance(n, Parameter) and n.type.is_scalar
                                          and isinstance(n.value, float) and n.id not in kept)]
    return model.with_nodes(nodes)


def _read_when_drawn_or_by_synapses(model: Model) -> set[str]:
    """Parameters (`pop.name`) that weights given per synapse or the statements of plastic
    synapses read as `k_pre` or `E_post`: they keep their node, which those read."""
    kept = set()
    for node in model.find(Connection):
        found = set(names(node.weight)) if isinstance(node.weight, Expr) else set()
        plasticity = getattr(node, "plasticity", None)
        if plasticity is not None:
            found = found.union(*(names(s.expr) for s in plasticity.on_pre + plasticity.on_post))
        for suffix, view in ((PRE, node.pre), (POST, node.post)):
            kept |= {f"{view.population}.{n[:-len(suffix)]}" for n in found if n.endswith(suffix)}
    return kept
