"""Which projections the call of a native fused block may add itself (`FusedUpdate.adds`).

The generated call of a block that spikes can also add the population's spikes into its own
variables (`ge += w` from the population onto itself), right after the update, in the order the
projections' own calls would: the same sums, one call a step instead of one per projection.  The
`schedule` pass lists them; verification checks the list with the same rules, so that a schedule
or a list edited by hand cannot ask for what the block cannot do.
"""
from __future__ import annotations

from ._algebra import decompose
from ._compiled import FusedUpdate
from ._expr import Const
from ._kinds import FusionBackend, Kernel
from ._model import Model
from ._monitors import RateMonitor, SpikeMonitor
from ._nodes import Clock, Refractory, StateUpdate, Threshold
from ._projections import DelayBuffer, Projection


def block_add_problem(model: Model, block: FusedUpdate, name: str) -> str | None:
    """Why the call of `block` cannot add projection `name` (None when it can), the schedule
    aside: an `event` projection from the block's population onto itself, without delay, that
    adds `w` or subtracts it (no factor, no plasticity) into a variable not held during the
    refractory period, of a `native` block that tests a threshold."""
    node = model.get(name)
    if not isinstance(node, Projection):
        return f"'{name}' is not a projection"
    if block.backend != FusionBackend.NATIVE:
        return "only a native block adds projections"
    if not any(isinstance(model.get(op), Threshold) for op in block.ops):
        return "the block tests no threshold, so it has no spikes to add"
    if node.kernel != Kernel.EVENT:
        return f"'{name}' runs the '{node.kernel}' kernel, not 'event'"
    if not node.pre.population == node.post.population == block.pop:
        return f"'{name}' does not connect population '{block.pop}' onto itself"
    if node.plasticity is not None:
        return f"'{name}' is plastic"
    if node.effect.op not in ("+=", "-=") or not _adds_w(node):
        return f"'{name}' does not add w as it is ('{node.effect.text()}')"
    if _delayed(model, node):
        return f"'{name}' has a delay"
    update, refractory = model.one(StateUpdate, block.pop), model.one(Refractory, block.pop)
    if refractory is not None and update is not None and node.effect.target in update.hold:
        return f"'{name}' adds into '{node.effect.target}', held during the refractory period"
    return None


def projections_after(model: Model, block: FusedUpdate, order: list[str]) -> list[str]:
    """The operations after `block` in the schedule `order`, up to the first that is not a
    projection, leaving out spike and rate monitors (they read only the spikes)."""
    found = []
    for op in order[order.index(block.id) + 1:] if block.id in order else ():
        node = model.get(op)
        if isinstance(node, (SpikeMonitor, RateMonitor)):
            continue
        if not isinstance(node, Projection):
            break
        found.append(op)
    return found


def _adds_w(node: Projection) -> bool:
    linear = decompose(node.effect.expr, {"w"})
    return (linear is not None and set(linear[0]) == {"w"} and linear[0]["w"] == Const(1.0)
            and isinstance(linear[1], Const) and linear[1].value == 0)


def _delayed(model: Model, node: Projection) -> bool:
    """Whether its spikes arrive a step or more later (through a buffer, once `delays` ran)."""
    if node.heterogeneous_delay:
        return True
    if any(b.source == node.name or node.name in dict(b.readers)
           for b in model.find(DelayBuffer)):
        return True
    clock = model.get("clock")
    return node.delay >= clock.dt / 2 if isinstance(clock, Clock) else node.delay > 0
