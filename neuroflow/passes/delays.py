"""`delays`: give every delayed projection a ring buffer of whole steps.

Requires: the model's `clock` (set by `compile`).
Guarantees: each projection with a non-zero delay has one `DelayBuffer`: a `spikes` buffer of
`round(delay/dt)` steps when all its synapses share one delay, an `input` buffer as long as the
largest possible delay otherwise.  Where two or more projections with one delay each leave one
population, they read one `spikes` buffer of that population instead, as long as the longest of
their delays, that lists them as its readers with their delays in steps (one ring written once a
step: fewer copies and updates in the step); `delays{share=false}` keeps one per projection.
Each state variable read in the past (`x(t - tau)`) has a `history` buffer long enough for the
largest such delay with the parameters' compiled values.
Rounding rule (as in Brian2): a delay becomes the nearest whole number of steps, halves rounding up;
a delay that is not a whole number of steps warns.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from ..ir import (BufferKind, Binary, Call, Clock, Const, DelayBuffer, Dimension, Distribution,
                  Expr, Model, ModelError, Parameter, Projection, Ref, decompose, delayed_reads,
                  fold, substitute, time_dimension, to_text)
from ._manager import register_pass


class DelayRoundingWarning(UserWarning):
    """A delay is not a whole number of time steps and was rounded."""


def delay_steps(delay_ms: float, dt: float) -> int:
    return int(math.floor(delay_ms / dt + 0.5))


def _largest_delay(node: Projection) -> float:
    if isinstance(node.delay, Distribution):
        high = node.delay.support()[1]
        if not math.isfinite(high):
            raise ModelError(f"projection '{node.name}': delays drawn from {node.delay.text()} have"
                             " no upper bound, so no delay buffer can hold them", node.loc,
                             "draw delays from uniform(low, high) or give one delay per synapse")
        return high
    if isinstance(node.delay, tuple):
        return max(node.delay, default=0.0)
    return node.delay


def _warn_rounding(node: Projection, dt: float) -> None:
    values = ([node.delay] if isinstance(node.delay, float)
              else list(node.delay) if isinstance(node.delay, tuple) else [])
    for value in values:
        if abs(value / dt - round(value / dt)) > 1e-6:
            message = (f"projection '{node.name}': delay {value:g} ms is not a whole number of"
                       f" steps of {dt:g} ms; it is rounded to {delay_steps(value, dt)} steps"
                       f" ({delay_steps(value, dt) * dt:g} ms)")
            if node.loc is not None:  # said where the model gives the delay, not in neuroflow
                warnings.warn_explicit(message, DelayRoundingWarning, node.loc.origin,
                                       node.loc.line)
            else:
                warnings.warn(message, DelayRoundingWarning, stacklevel=2)
            return


def delay_of(node, call: Call, time: Dimension) -> Expr:
    """`d` in `x(t - d)`.  An integrator may have moved the time to a stage, `t + c*dt - d`:
    the stage offset is dropped, since it only shortens the delay."""
    linear = decompose(Binary("-", Ref("t"), call.args[0]), {"t"})
    if linear is None or fold(linear[0].get("t", Const(0.0))) != Const(0.0):
        raise ModelError(f"'{to_text(call)}' must read '{call.func}' at 't - delay'", node.loc,
                         f"write {call.func}(t - tau)")
    return substitute(linear[1], {"dt": Const(0.0, time)})


def largest_value(model: Model, pop: str, expr: Expr) -> float:
    """The largest value `expr` takes with the model's shared or per-neuron parameter values."""
    values = {p.name: Const(max(p.value) if isinstance(p.value, tuple) else p.value, p.type.dim)
              for p in model.find(Parameter, pop) if isinstance(p.value, (float, tuple))}
    folded = fold(substitute(expr, values),
                  lambda name: name in model.scope(pop) and name not in values)
    if not isinstance(folded, Const) or folded.value < 0:
        raise ModelError(f"the delay '{to_text(expr)}' in population '{pop}' must be a non-negative"
                         " constant or depend only on parameters",
                         hint="delays of state variables are fixed over a run")
    return folded.value


@dataclass(frozen=True)
class DelaysOptions:
    share: bool = True  # one spikes ring per population for its projections with one delay


def _spike_rings(delayed: list[tuple[Projection, int]], share: bool) -> dict[str, DelayBuffer]:
    """Projection -> the spikes ring it reads: its own, or its population's where several
    projections leave that population."""
    by_pre: dict[str, list[tuple[str, int]]] = {}
    for node, steps in delayed:
        by_pre.setdefault(node.pre.population, []).append((node.name, steps))
    rings = {}
    for node, steps in delayed:
        readers = by_pre[node.pre.population]
        rings[node.name] = (DelayBuffer(node.pre.population, BufferKind.SPIKES,
                                        max(s for _, s in readers), tuple(readers))
                            if share and len(readers) > 1
                            else DelayBuffer(node.name, BufferKind.SPIKES, steps))
    return rings


@register_pass("delays", DelaysOptions)
def delays(model: Model, options: DelaysOptions) -> Model:
    projections = [p for p in model.find(Projection) if p.heterogeneous_delay or p.delay > 0]
    time = time_dimension(model)
    histories = {source: [delay_of(node, call, time) for node, call in reads]
                 for source, reads in delayed_reads(model).items()}
    model = model.remove(*[b.id for b in model.find(DelayBuffer)])
    if not projections and not histories:
        return model
    clock = model.get("clock")
    if not isinstance(clock, Clock):
        raise ModelError("delays need the model's time step: compile the model"
                         " (nf.compile sets the clock)")
    buffers = []
    for source, delays_of in histories.items():
        pop = source.split(".")[0]
        longest = max(largest_value(model, pop, d) for d in delays_of)
        # linear interpolation reads the two steps around t - delay
        buffers.append(DelayBuffer(source, BufferKind.HISTORY, math.floor(longest / clock.dt) + 1))
    steps = {}
    for node in projections:
        _warn_rounding(node, clock.dt)
        steps[node.name] = delay_steps(_largest_delay(node), clock.dt)
    rings = _spike_rings([(node, steps[node.name]) for node in projections
                          if steps[node.name] > 0 and not node.heterogeneous_delay], options.share)
    for node in projections:
        if node.name in rings:
            if rings[node.name] not in buffers:  # a shared ring once, where its first reader is
                buffers.append(rings[node.name])
        elif steps[node.name] > 0:
            buffers.append(DelayBuffer(node.name, BufferKind.INPUT, steps[node.name]))
    return model.add(*buffers)
