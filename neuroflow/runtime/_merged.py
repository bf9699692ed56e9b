"""The runtime's view of a merged model: every name a user gives or reads is a population
of the model as written, never one the `merge` pass made.

A merged population's `Part` nodes say which neurons each former population holds and
what was monitored of it; the functions here split records, parameters and state along
them.  A model without parts passes through unchanged.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ._results import RateRecord, SpikeRecord, TraceRecord


def parts_of(model: ir.Model, merged: str) -> list[ir.Part]:
    return [p for p in model.find(ir.Part) if p.neurons.population == merged]


def sizes(model: ir.Model) -> dict[str, int]:
    """Population sizes under the names of the model as written, in its order."""
    merged = {p.neurons.population for p in model.find(ir.Part)}
    found = {}
    for node in model.nodes:
        if isinstance(node, ir.Part):
            found[node.name] = node.neurons.size
        elif isinstance(node, ir.Population) and node.name not in merged:
            found[node.name] = node.size
    return found


def rate_records(model: ir.Model, monitor: ir.RateMonitor, t_ms: np.ndarray,
                 counts: np.ndarray) -> dict[str, RateRecord]:
    """The records of one rate monitor (`counts`: `[steps]`, or `[steps, segments]` with
    bounds) under the names as written: each part with a rate gets the counts of its
    segments; a population that is not merged gets its segments summed."""
    if not monitor.bounds:
        return {monitor.pop: RateRecord(t_ms, counts)}
    parts = [p for p in parts_of(model, monitor.pop) if p.rate]
    if not parts:
        return {monitor.pop: RateRecord(t_ms, counts.sum(axis=1, dtype=counts.dtype))}
    found = {}
    for p in parts:
        first, last = monitor.bounds.index(p.neurons.start), monitor.bounds.index(p.neurons.stop)
        found[p.name] = RateRecord(t_ms, counts[:, first:last].sum(axis=1, dtype=counts.dtype))
    return found


def split_records(model: ir.Model, spikes: dict, rates: dict,
                  traces: dict) -> tuple[dict, dict, dict]:
    """The records of merged populations as those of their parts: each part's spikes and its
    columns of the merged traces, indices relative to the part (`rate_records` split the
    rates already).  Records come in the order of the populations as written."""
    found = model.find(ir.Part)
    if not found:
        return spikes, rates, traces
    for p in found:
        merged, start, stop = p.neurons.population, p.neurons.start, p.neurons.stop
        if p.spikes:
            record = spikes[merged]
            keep = (record.i >= start) & (record.i < stop)
            spikes[p.name] = SpikeRecord(record.t_ms[keep], record.i[keep] - start)
        for var in p.traces:
            record = traces[(merged, var)]
            columns = (record.indices >= start) & (record.indices < stop)
            traces[(p.name, var)] = TraceRecord(record.t_ms, record.values[:, columns],
                                                record.indices[columns] - start, record.unit)
    order = list(sizes(model))  # merged records are dropped here: their names are not the user's
    return ({k: spikes[k] for k in order if k in spikes},
            {k: rates[k] for k in order if k in rates},
            {k: v for pop in order for k, v in traces.items() if k[0] == pop})


def neuron(model: ir.Model, pop: str, index: int) -> tuple[str, int]:
    """`(population, neuron)` as written for neuron `index` of the IR population `pop`."""
    for p in parts_of(model, pop):
        if p.neurons.start <= index < p.neurons.stop:
            return p.name, index - p.neurons.start
    return pop, index


def population_state(model: ir.Model, pops: dict, name: str) -> dict:
    """The arrays of population `name` (as written) in a state's `pops`."""
    found = model.get(name)
    if not isinstance(found, ir.Part):
        return pops[name]
    view = slice(found.neurons.start, found.neurons.stop)
    return {var: value[view] for var, value in pops[found.neurons.population].items()}


def parameter(model: ir.Model, name: str) -> tuple[ir.Node | None, ir.Part | None]:
    """The IR node that holds parameter `name` (as written) and the part it belongs to, if any."""
    node = model.get(name)
    if isinstance(node, (ir.Parameter, ir.TimedInput)):
        return node, None
    pop, _, var = name.partition(".")
    found = model.get(pop)
    node = model.get(f"{found.neurons.population}.{var}") if isinstance(found, ir.Part) else None
    return (node, found) if isinstance(node, ir.Parameter) else (None, None)


def parameter_names(model: ir.Model) -> list[str]:
    """Every parameter name a user may give, as written."""
    merged = {p.neurons.population for p in model.find(ir.Part)}
    known = [p.id for p in model.find(ir.Parameter) + model.find(ir.TimedInput)
             if p.pop not in merged]
    for p in model.find(ir.Part):
        known += [f"{p.name}.{par.name}" for par in model.find(ir.Parameter, p.neurons.population)]
    return known
