"""`schedule`: fix the order of operations inside one time step.

Requires: an integrated model (state updates, no ODEs).
Guarantees: one `Schedule` node listing every operation in Brian2's order — state monitors (they
record the state at the start of the step), couplings (summed variables, from the state at the
start of the step too), state updates, thresholds and spike generators with their spike and rate
monitors, synaptic propagation and Poisson input, resets; a block made by `fuse` runs where its
state update was.
Reordering the list is how a pass or a user changes the schedule.
"""
from __future__ import annotations

from ..ir import (Coupling, FusedUpdate, Model, PoissonInput, Projection, RateMonitor, Reset,
                  Schedule, SpikeGenerator, SpikeMonitor, StateMonitor, StateUpdate, Threshold)
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


@register_pass("schedule")
def schedule(model: Model, options) -> Model:
    order = tuple(fused_order(model, brian2_order(model)))
    model = model.remove("schedule")
    return model.add(Schedule(order))
