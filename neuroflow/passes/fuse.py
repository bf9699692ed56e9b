"""`fuse`: run each population's state update, threshold and reset as one block.

Requires: an integrated model (state updates, no ODEs); a schedule is optional.
Guarantees: one `FusedUpdate` per population with a state update, listing the ops it runs (update,
then threshold, then reset when moving the reset up is legal); a schedule, if present, runs the
block where the update was and no longer lists its members.  The block's `backend` is `native` (one
generated C loop over the neurons) when the option `native` is on and the block uses only what the
generator supports — no `rand()`/`randn()`/noise, no reads of the past, no linear system whose
matrix varies per neuron, no adaptive sub-steps — otherwise `xla`.

Moving the reset up to just after the threshold skips the projections that Brian2's order runs in
between; that is only done when none of them reads or writes what the reset reads or writes (the
usual `ge += w` with `v = Vr` is fine; `v += w*(E - v)` with a reset of `v` keeps the reset apart).
Options: `native` (default true), `exclude` (populations to leave alone, separated by `+`, as in
`fuse{exclude=E+I}`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (FUNCTIONS, AdaptiveSystem, FusedUpdate, FusionBackend, Model, Node, Parameter,
                  Refractory, Reset, Schedule, StateUpdate, Subexpression, Threshold, calls,
                  expressions, names)
from ._manager import excluded_populations, register_pass
from .merge import matrix_names
from .schedule import brian2_order, fused_order


@dataclass(frozen=True)
class FuseOptions:
    native: bool = True  # generate one C loop per block where the backend can
    exclude: str = ""  # populations left unfused, joined by '+'


def _closure(model: Model, pop: str, found: set[str]) -> set[str]:
    """`found` plus every name the subexpressions among them use, transitively."""
    subs = {s.name: s for s in model.find(Subexpression, pop)}
    todo, seen = list(found), set(found)
    while todo:
        sub = subs.get(todo.pop())
        if sub is None:
            continue
        for name in names(sub.expr) - seen:
            seen.add(name)
            todo.append(name)
    return seen


def _local_names(node: Node) -> set[str]:
    """Names (without the population) that `node` reads or writes."""
    return {n.split(".", 1)[1] for n in node.reads() | node.writes() if "." in n}


def _may_move_up(model: Model, op: Node, between: list[Node]) -> bool:
    """Whether `op` can run before the ops in `between` without changing any result."""
    pop = op.pop
    touched = _closure(model, pop, _local_names(op))
    for node in between:
        names_here = {n.split(".", 1)[1] for n in node.reads() | node.writes()
                      if n.startswith(f"{pop}.") and not n.endswith(".threshold")}
        if _closure(model, pop, names_here) & touched:
            return False
    return True


def _native_supported(model: Model, block: list[Node]) -> bool:
    pop = block[0].pop
    if any(isinstance(item, AdaptiveSystem) for item in block[0].body):
        return False  # sub-steps of their own size per neuron: a loop the generator does not write
    nodes = block + model.find(Subexpression, pop) + model.find(Refractory, pop)
    for node in nodes:
        for expr in expressions(node):
            # noise, `x(t - d)` and functions without a C++ form stay in XLA
            if any(name not in FUNCTIONS or FUNCTIONS[name].cpp is None for name in calls(expr)):
                return False
    shared = {p.name for p in model.find(Parameter, pop) if p.type.is_scalar} | {"dt"}
    return matrix_names(model, pop) <= shared


def _block(model: Model, pop: str, order: list[str]) -> list[Node]:
    """The update, then the threshold and the reset as far as they can join it."""
    block: list[Node] = [model.one(StateUpdate, pop)]
    for kind in (Threshold, Reset):
        op = model.one(kind, pop)
        if op is None or op.id not in order or order.index(op.id) < order.index(block[0].id):
            break
        start, stop = order.index(block[-1].id), order.index(op.id)
        between = [model.get(i) for i in order[start + 1:stop]]
        if stop < start or not _may_move_up(model, op, between):
            break
        block.append(op)
    return block


@register_pass("fuse", FuseOptions)
def fuse(model: Model, options: FuseOptions) -> Model:
    if model.find(FusedUpdate):
        return model  # already fused: the pass is idempotent
    excluded = excluded_populations(model, options.exclude, "fuse")
    schedule = model.get("schedule")
    order = list(schedule.order) if isinstance(schedule, Schedule) else brian2_order(model)
    blocks = []
    for update in model.find(StateUpdate):
        if update.pop in excluded:
            continue
        members = _block(model, update.pop, order)
        native = options.native and _native_supported(model, members)
        backend = FusionBackend.NATIVE if native else FusionBackend.XLA
        blocks.append(FusedUpdate(update.pop, tuple(m.id for m in members), backend))
    if not blocks:
        return model
    model = model.add(*blocks)
    if isinstance(schedule, Schedule):
        model = model.replace(Schedule(tuple(fused_order(model, order))))
    return model
