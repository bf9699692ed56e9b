"""What every check of the verifier builds on: how a check fails (an `IRError` naming the node
and pointing at the culprit in its source), and how it types a node's expressions and assignments
in the scope of its population (`scope_lookup`, with time a plain number in a unitless model).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from ._dimensions import DIMENSIONLESS, Dimension
from ._errors import IRError, Loc, did_you_mean
from ._expr import Binary, Const, Expr, Ref, names, subtrees
from ._model import Model
from ._nodes import Node, Parameter, StateVar, Subexpression, TimedInput
from ._projections import Projection
from ._typecheck import BUILTINS, TIME, Kind, TypeCheckError, infer
from ._units import UNIT_NAMES
from ._walk import expressions


def block_end(lines: list[str], first: int) -> int:
    """The last line of the block that starts at line `first` (1-based): it and the lines
    after it that are indented deeper (or blank), as the body of `reset { ... }` is."""
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    last = first
    for number in range(first + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        last = number
    return last


def locate(loc: Loc | None, culprit: str | None) -> Loc | None:
    """Point at `culprit` inside the source lines the node came from, if it is there."""
    if loc is None or not culprit:
        return loc
    lines = loc.text.splitlines() or [""]
    last = block_end(lines, loc.line) if loc.line <= len(lines) else loc.line - 1
    for candidate in [culprit] + re.findall(r"[A-Za-z_]\w*", culprit):
        pattern = (rf"\b{re.escape(candidate)}\b" if candidate.isidentifier()
                   else re.escape(candidate))
        for number in range(loc.line, last + 1):
            start = loc.column - 1 if number == loc.line else 0
            found = re.compile(pattern).search(lines[number - 1], start)
            if found:
                return Loc(loc.origin, number, found.start() + 1, loc.text)
    return loc


def fail(node: Node, message: str, hint: str | None = None, culprit: str | None = None) -> None:
    if node.loc is not None:
        err = IRError(f"{node.id}: {message}", locate(node.loc, culprit), hint)
    else:
        err = IRError(f"{node.id}: {message}\n    {node.text().splitlines()[0]}", None, hint)
    err.detail = message  # without the node id, for errors reported in the user's terms
    raise err


@lru_cache(maxsize=64)
def is_unitless(model: Model) -> bool:
    """A model that names no unit anywhere (as in BrainPy): time is then a plain number of ms."""
    typed = (Parameter, StateVar, Subexpression, TimedInput)
    if any(not n.type.dim.is_dimensionless for n in model.nodes if isinstance(n, typed)):
        return False
    for proj in model.find(Projection):
        synapse = proj.plasticity.variables + proj.plasticity.params if proj.plasticity else ()
        if any(not item.type.dim.is_dimensionless for item in synapse):
            return False
    for node in model.nodes:
        local = set(model.scope(node.scope)) if node.scope else set()
        for expr in expressions(node):
            if (names(expr) - local) & UNIT_NAMES or _has_dimensioned_constant(expr):
                return False
    return True


def _has_dimensioned_constant(expr: Expr) -> bool:
    return any(isinstance(e, Const) and not e.dim.is_dimensionless for e in subtrees(expr))


def time_dimension(model: Model) -> Dimension:
    return DIMENSIONLESS if is_unitless(model) else TIME


_UNITLESS_TIME = {name: Kind("float", DIMENSIONLESS) for name in ("t", "dt", "lastspike")}


def scope_lookup(model: Model, pop: str,
                 extra: dict[str, Kind] | None = None) -> Callable[[str], Kind | None]:
    """Kinds of the names visible in population `pop`, for type-checking its expressions."""
    scope = model.scope(pop)
    if is_unitless(model):
        extra = {**_UNITLESS_TIME, **(extra or {})}

    def lookup(name: str) -> Kind | None:
        if extra and name in extra:
            return extra[name]
        node = scope.get(name)
        return None if node is None else Kind(node.type.dtype, node.type.dim)

    return lookup


def check_expr(node: Node, model: Model, expr: Expr, extra: dict[str, Kind] | None = None) -> Kind:
    try:
        return infer(expr, scope_lookup(model, node.scope, extra))
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            known = set(model.scope(node.scope)) | set(BUILTINS) | set(extra or ())
            hint = (did_you_mean(err.culprit, known) or f"define '{err.culprit}' in the equations"
                    f" or give it in params=dict({err.culprit}=...)")
            fail(node, f"unknown name '{err.culprit}' in population '{node.scope}'", hint,
                  err.culprit)
        fail(node, err.message, err.hint, err.culprit)


def check_assignment(node: Node, model: Model, target: str, value: Expr, extra=None) -> None:
    var = model.scope(node.scope).get(target)
    if not isinstance(var, StateVar):
        variables = [n.name for n in model.find(StateVar, node.scope)]
        fail(node, f"writes '{target}', which is not a state variable of population"
              f" '{node.scope}'", did_you_mean(target, variables, "its state variables"), target)
    verb = "assigns a value in {} to"
    if isinstance(value, Binary) and value.op in "+-" and value.left == Ref(target):
        # x += e: name the unit of e, not a mismatch inside 'x + e', which the user did not write
        verb = "adds a value in {} to" if value.op == "+" else "subtracts a value in {} from"
        value = value.right
    kind = check_expr(node, model, value, extra)
    if kind.dim != var.type.dim:
        fail(node, f"{verb.format(kind.dim)} '{target}', which is in {var.type.dim}",
              f"the value needs the same units as '{target}', {var.type.dim}", target)
