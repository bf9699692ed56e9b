"""The verifier's checks of the nodes that compiling passes add: the parts of merged populations
(and that they tile them), delay buffers, fused blocks and the projections they add, the schedule
and the partition over devices.
"""
from __future__ import annotations

from ._blockadds import block_add_problem, projections_after
from ._compiled import FusedUpdate, Part, Partition, Schedule
from ._kinds import BufferKind
from ._model import Model
from ._monitors import RateMonitor, SpikeMonitor, StateMonitor
from ._nodes import Population, Reset, StateUpdate, StateVar, Threshold
from ._projections import DelayBuffer, Projection
from ._verifybase import fail


def check_part(node: Part, model: Model) -> None:
    merged = model.population(node.neurons.population)
    if merged is None:
        fail(node, f"is part of '{node.neurons.population}', which is not a population")
    if node.neurons.stop > merged.size:
        fail(node, f"slice {node.neurons.text()} exceeds the size {merged.size} of {merged.name}")
    spikes = model.one(SpikeMonitor, merged.name)
    start, stop = (0, 0) if spikes is None else spikes.neurons or (0, merged.size)
    if node.spikes and not start <= node.neurons.start < node.neurons.stop <= stop:
        fail(node, f"reports spikes, but no spike monitor of '{merged.name}' records"
              f" {node.neurons.text()}")
    rate = model.one(RateMonitor, merged.name)
    if node.rate and not (rate and {node.neurons.start, node.neurons.stop} <= set(rate.bounds)):
        fail(node, f"reports a rate, but no rate monitor of '{merged.name}' counts"
              f" {node.neurons.text()} apart", f"give '{merged.name}' a rate monitor whose bounds"
              f" include {node.neurons.start} and {node.neurons.stop}")
    traced = {m.var for m in model.find(StateMonitor, merged.name)}
    missing = [v for v in node.traces if v not in traced]
    if missing:
        fail(node, f"reports traces of {missing}, but '{merged.name}' has no state monitor of"
              " them")


def check_delay_buffer(node: DelayBuffer, model: Model) -> None:
    if node.readers:
        _check_shared_ring(node, model)
        return
    expected = StateVar if node.kind == BufferKind.HISTORY else Projection
    if not isinstance(model.get(node.source), expected):
        fail(node, f"a {node.kind} buffer needs a {expected.__name__},"
              f" but '{node.source}' is not one")


def _check_shared_ring(node: DelayBuffer, model: Model) -> None:
    """The spikes of one population, read by projections from it with one delay each."""
    if not isinstance(model.get(node.source), Population):
        fail(node, f"a spikes buffer with readers belongs to a population, but '{node.source}'"
              " is not one")
    for name, _ in node.readers:
        proj = model.get(name)
        if not isinstance(proj, Projection) or proj.pre.population != node.source \
                or proj.heterogeneous_delay:
            fail(node, f"'{name}' is not a projection from '{node.source}' with one delay for"
                  " all its synapses, so it cannot read this population's spikes buffer")
        if model.get(f"{name}.buffer") is not None:
            fail(node, f"projection '{name}' reads this buffer and has a buffer of its own")


def check_fused(node: FusedUpdate, model: Model) -> None:
    """A state update, then optionally its threshold, then its reset, all of one population."""
    kinds = [StateUpdate, Threshold, Reset]
    members = [model.get(op) for op in node.ops]
    if any(m is None or m.scope != node.pop for m in members):
        fail(node, f"fuses operations that are not those of population '{node.pop}':"
              f" {list(node.ops)}")
    order = [kinds.index(type(m)) if type(m) in kinds else -1 for m in members]
    if -1 in order or order != sorted(set(order)) or order[0] != 0:
        fail(node, "fuses a state update, then optionally its threshold, then its reset,"
              " each once", f"got {list(node.ops)}")
    if node.adds:
        _check_block_adds(node, model)


def _check_block_adds(node: FusedUpdate, model: Model) -> None:
    """The projections a block adds are ones it can add, those that follow it in the schedule."""
    hint = "run 'schedule' on the model as it is, or 'schedule{block_adds=false}'"
    if model.get("partition") is not None:
        fail(node, f"adds projections {list(node.adds)}, but a partitioned model runs them"
              " on their own", hint)
    for name in node.adds:
        problem = block_add_problem(model, node, name)
        if problem is not None:
            fail(node, f"cannot add projection '{name}': {problem}", hint)
    schedule = model.get("schedule")
    if not isinstance(schedule, Schedule):
        fail(node, f"adds projections {list(node.adds)} but the model has no schedule", hint)
    after = projections_after(model, node, list(schedule.order))[:len(node.adds)]
    if after != list(node.adds):
        fail(node, f"adds projections {list(node.adds)}, but the schedule runs {after} right"
              " after the block (spike and rate monitors aside)", hint)


def check_schedule(node: Schedule, model: Model) -> None:
    unknown = [i for i in node.order if i not in model]
    if unknown:
        fail(node, f"schedules unknown operations {unknown}")
    fused = {op for block in model.find(FusedUpdate) for op in block.ops}
    twice = sorted(fused & set(node.order))
    if twice:
        fail(node, f"schedules {twice} on their own, but a fused block runs them already")


def check_partition(node: Partition, model: Model) -> None:
    """Every population split once, in equal blocks of `Partition.block` neurons."""
    named = [pop for pop, _ in node.owned]
    if sorted(named) != sorted(p.name for p in model.populations):
        fail(node, f"splits populations {named}, not the model's"
                    f" {[p.name for p in model.populations]}")
    for pop, owned in node.owned:
        size = model.population(pop).size
        if owned != Partition.block(size, node.devices):
            expected = Partition.block(size, node.devices)
            fail(node, f"gives each of {node.devices} devices {owned} neurons of '{pop}'"
                        f" (size {size})", f"each device owns ceil(size / devices) = {expected}")


def check_parts_tile(model: Model) -> None:
    """The parts of a merged population cover it exactly, without gaps or overlaps."""
    parts: dict[str, list[Part]] = {}
    for part in model.find(Part):
        parts.setdefault(part.neurons.population, []).append(part)
    for name, found in parts.items():
        edge = 0
        for part in sorted(found, key=lambda p: p.neurons.start):
            if part.neurons.start != edge:
                fail(part, f"starts at {part.neurons.start}, but the parts before it end at"
                      f" {edge}", f"the parts of '{name}' cover it without gaps or overlaps")
            edge = part.neurons.stop
        size = model.population(name).size
        if edge != size:
            fail(found[-1], f"the parts of '{name}' end at {edge}, not at its size {size}")
