"""`schedule`: fix the order of operations inside one time step.

Requires: an integrated model (state updates, no ODEs).
Guarantees: one `Schedule` node listing every operation in Brian2's order —
state monitors (they record the state at the start of the step), state
updates, thresholds with their spike and rate monitors, synaptic propagation,
resets.  Reordering the list is how a pass or a user changes the schedule.
"""
from __future__ import annotations

from ..ir import Model, Projection, RateMonitor, Reset, Schedule, SpikeMonitor, StateMonitor, StateUpdate, Threshold
from ._manager import register_pass

PHASES = (StateMonitor, StateUpdate, Threshold, SpikeMonitor, RateMonitor, Projection, Reset)


@register_pass("schedule")
def schedule(model: Model, options) -> Model:
    order = tuple(node.id for kind in PHASES for node in model.find(kind))
    model = model.remove("schedule")
    return model.add(Schedule(order))
