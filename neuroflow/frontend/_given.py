"""What the builder is given must be used: a population that holds nothing, or a `params=`
entry that no expression reads (misspelt, or left over), is an error rather than a model that
silently differs from the one meant.  `Network.build()` runs these checks on the whole model,
since a parameter may be read from outside its population (`x_post`, weights from `x_pre`).
"""
from __future__ import annotations

from .. import ir
from ..ir import Loc, ModelError, did_you_mean


def check_not_empty(model: ir.Model, pop: ir.Population) -> None:
    """A population without variables spikes (a threshold, a spike generator) or is a mistake."""
    if model.scope(pop.name) or model.one(ir.Threshold, pop.name) is not None:
        return
    if model.one(ir.SpikeGenerator, pop.name) is not None:
        return
    raise ModelError(f"population '{pop.name}' has no equations and no threshold: it holds no"
                     " variable and never spikes", pop.loc,
                     f"give its equations, as net.population('{pop.name}', {pop.size}, 'dv/dt ="
                     " -v/tau : volt', ...); a population that only spikes is made with"
                     " net.poisson_group or net.spike_generator")


def check_params_used(model: ir.Model, given: dict[str, tuple[str, ...]],
                      synapses: dict[str, tuple[tuple[str, ...], set[str], set[str]]],
                      folded: set[str]) -> None:
    """Every name given in `params=` is read by some expression (or by weights computed from
    the populations, `folded`): one nobody reads is misspelt, or left over."""
    used: dict[str | None, set[str]] = {}  # by anything in a population's scope
    own: dict[str | None, set[str]] = {}  # by the population's own equations and events
    sides = {n.rsplit("_", 1)[0] for n in folded if n.endswith((ir.PRE, ir.POST))}
    for node in model.nodes:
        found = {n for expr in ir.expressions(node) for n in ir.names(expr)}
        if not isinstance(node, (ir.Projection, ir.Coupling, ir.PoissonInput)):
            own.setdefault(node.scope, set()).update(found)
        found |= _targets(node)  # a parameter written to is used (and refused elsewhere)
        used.setdefault(node.scope, set()).update(found)
        sides |= {n.rsplit("_", 1)[0] for n in found if n.endswith((ir.PRE, ir.POST))}
    for pop, names in given.items():
        declared = {n for n, node in model.scope(pop).items() if not isinstance(node, ir.Parameter)}
        reads = own.get(pop, set()) - declared - set(ir.BUILTINS) - ir.UNIT_NAMES
        _report_unused(f"population '{pop}'", names, used.get(pop, set()) | sides,
                       reads - set(names), declared, model.population(pop).loc)
    for name, (names, reads, unknown) in synapses.items():
        _report_unused(f"projection '{name}'", names, reads, unknown, set(), None)


def _targets(node: ir.Node) -> set[str]:
    """The names `node` writes to, and every name its synapses' statements read or write."""
    found = {node.target} if isinstance(getattr(node, "target", None), str) else set()
    statements = list(getattr(node, "body", ()))
    if isinstance(node, ir.Projection):
        statements.append(node.effect)
        if node.plasticity is not None:
            statements += node.plasticity.on_pre + node.plasticity.on_post
    for s in statements:
        if isinstance(s, ir.Statement):
            found |= {s.target} | ir.names(s.expr)
    return found


def _report_unused(what: str, names, used: set[str], missing: set[str], declared: set[str],
                   loc: Loc | None) -> None:
    """`missing`: names the equations read that nothing declares.  With some, `resolve` reports
    them where they are written, each with the given name it most likely means.  `declared`:
    the variables, for a name given in params= that is meant as one."""
    unused = [n for n in names if n not in used]
    if not unused or missing:
        return
    wanted = sorted(used & set(names))
    close = did_you_mean(unused[0], set(wanted) | declared)
    raise ModelError(f"params= of {what} gives '{unused[0]}', which no equation, threshold, reset"
                     " or synapse uses", loc, (f"{close} " if close else "") + "remove it, or use"
                     f" it; the parameters its equations use: {', '.join(wanted) or 'none'}")
