"""`delays`: give every delayed projection a ring buffer of whole steps.

Requires: the model's `clock` (set by `compile`).
Guarantees: each projection with a non-zero delay has one `DelayBuffer`: a
`spikes` buffer of `round(delay/dt)` steps when all its synapses share one
delay, an `input` buffer as long as the largest possible delay otherwise.
Rounding rule (as in Brian2): a delay becomes the nearest whole number of
steps, halves rounding up; a delay that is not a whole number of steps warns.
"""
from __future__ import annotations

import math
import warnings

from ..ir import Clock, DelayBuffer, Distribution, Model, ModelError, Projection
from ._manager import register_pass


class DelayRoundingWarning(UserWarning):
    """A delay is not a whole number of time steps and was rounded."""


def delay_steps(delay_ms: float, dt: float) -> int:
    return int(math.floor(delay_ms / dt + 0.5))


def _largest_delay(node: Projection) -> float:
    if isinstance(node.delay, Distribution):
        high = node.delay.support()[1]
        if not math.isfinite(high):
            raise ModelError(f"projection '{node.name}': delays drawn from {node.delay.text()} have no upper bound,"
                             " so no delay buffer can hold them", node.loc,
                             "draw delays from uniform(low, high) or give one delay per synapse")
        return high
    if isinstance(node.delay, tuple):
        return max(node.delay, default=0.0)
    return node.delay


def _warn_rounding(node: Projection, dt: float) -> None:
    values = [node.delay] if isinstance(node.delay, float) else list(node.delay) if isinstance(node.delay, tuple) else []
    for value in values:
        if abs(value / dt - round(value / dt)) > 1e-6:
            warnings.warn(f"projection '{node.name}': delay {value} ms is not a whole number of steps of"
                          f" {dt} ms; it is rounded to {delay_steps(value, dt)} steps", DelayRoundingWarning,
                          stacklevel=2)
            return


@register_pass("delays")
def delays(model: Model, options) -> Model:
    projections = [p for p in model.find(Projection) if p.heterogeneous_delay or p.delay > 0]
    model = model.remove(*[b.id for b in model.find(DelayBuffer)])
    if not projections:
        return model
    clock = model.get("clock")
    if not isinstance(clock, Clock):
        raise ModelError("delays need the model's time step: compile the model (nf.compile sets the clock)")
    buffers = []
    for node in projections:
        _warn_rounding(node, clock.dt)
        steps = delay_steps(_largest_delay(node), clock.dt)
        if steps > 0:
            kind = "input" if node.heterogeneous_delay else "spikes"
            buffers.append(DelayBuffer(node.name, kind, steps))
    return model.add(*buffers)
