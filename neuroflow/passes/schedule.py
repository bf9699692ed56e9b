"""`schedule`: fix the order of operations inside one time step.

Requires: an integrated model (state updates, no ODEs).
Guarantees: one `Schedule` node listing every operation in Brian2's order — state monitors (they
record the state at the start of the step), couplings (summed variables, from the state at the
start of the step too), state updates, thresholds and spike generators with their spike and rate
monitors, synaptic propagation and Poisson input, resets; a block made by `fuse` runs where its
state update was.  Each `native` fused block that tests a threshold lists in `adds` the
projections whose spikes its generated call adds itself, right after the update
(`ir.block_add_problem` says which may: `event`, from the population onto itself, without delay,
`+= w` or `-= w`, no plasticity, into a variable not held while refractory): those that follow
the block in the schedule with nothing between but spike and rate monitors, up to the first that
may not.  The backend adds those it can (native kernels built, arrays of a kind they take) and
runs the others on their own.  Other blocks add nothing.
Reordering the list is how a pass or a user changes the schedule (verification then checks each
block's `adds` against it).
Options: `block_adds` (default true; false leaves every projection a call of its own).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (Coupling, FusedUpdate, Model, PoissonInput, Projection, RateMonitor, Reset,
                  Schedule, SpikeGenerator, SpikeMonitor, StateMonitor, StateUpdate, Threshold,
                  block_add_problem, projections_after)
from ._manager import register_pass

PHASES = (StateMonitor, Coupling, StateUpdate, Threshold, SpikeGenerator, SpikeMonitor, RateMonitor,
          Projection, PoissonInput, Reset)


def brian2_order(model: Model) -> list[str]:
    """The ids of the model's operations in Brian2's order (fused blocks not applied)."""
    return [node.id for kind in PHASES for node in model.find(kind)]


def fused_order(model: Model, order: list[str]) -> list[str]:
    """`order` with each fused block where its first member was, and its other members gone."""
    first = {block.ops[0]: block.id for block in model.find(FusedUpdate)}
    members = {op for block in model.find(FusedUpdate) for op in block.ops}
    return [first.get(i, i) for i in order if i not in members or i in first]


@dataclass(frozen=True)
class ScheduleOptions:
    block_adds: bool = True  # native blocks add the projections onto their population after them


def _with_adds(model: Model, block: FusedUpdate, order: list[str], allowed: bool) -> FusedUpdate:
    """`block` adding the projections after it in `order` that its call can add, in order."""
    adds = []
    for name in projections_after(model, block, order) if allowed else ():
        if block_add_problem(model, block, name) is not None:
            break
        adds.append(name)
    return block.replace(adds=tuple(adds))


@register_pass("schedule", ScheduleOptions)
def schedule(model: Model, options: ScheduleOptions) -> Model:
    order = fused_order(model, brian2_order(model))
    model = model.remove("schedule").add(Schedule(tuple(order)))
    blocks = [_with_adds(model, block, order, options.block_adds)
              for block in model.find(FusedUpdate)]
    return model.replace(*blocks)
