"""What a run's monitors record, chunk by chunk, and the `Results` made of it.

Each chunk's outputs come to the host as they are (packed spike bits, rate counts, traced
values); spikes are decoded into (step, neuron) pairs at once, so that a long run holds them
small, and joined into one record per monitor only at the end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from .. import ir
from ..backend.jax._native_kernels import spike_indices as native_spike_indices
from . import _merged
from ._results import Results, SpikeRecord, TraceRecord


@dataclass
class Recorded:
    """What a run's monitors recorded so far, chunk by chunk."""

    spikes: dict
    rates: dict
    traces: dict
    start_step: int = 0  # of the run, so that a resumed run's times go on
    # when the run began (UTC, ISO 8601): an NWB file's session start
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())


def record_chunk(outputs: dict, offset: int, recorded: Recorded, native: bool) -> None:
    """A chunk's monitor outputs (`offset` steps into the run) added to `recorded`; `native`:
    the spikes decoded by the C++ kernel where it is built."""
    first = recorded.start_step + offset
    for pop, packed in outputs.get("spikes", {}).items():
        packed = np.asarray(packed)
        decoded = native_spike_indices(packed) if native else None
        steps, neurons = decoded if decoded is not None else spike_indices(packed)
        recorded.spikes.setdefault(pop, []).append((first, steps, neurons))
    for pop, counts in outputs.get("rate", {}).items():
        recorded.rates.setdefault(pop, []).append(np.asarray(counts))
    for key, values in outputs.get("trace", {}).items():
        recorded.traces.setdefault(key, []).append(np.asarray(values))

def results_of(model: ir.Model, dtype, dt: float, recorded: Recorded, steps_total: int,
               final=None) -> Results:
    """The `Results` of what `recorded` holds, `steps_total` steps of `model` (a run's end in
    `final`, a `Checkpoint`, to resume from)."""
    start = recorded.start_step
    spikes = {}
    for mon in model.find(ir.SpikeMonitor):
        first = mon.neurons[0] if mon.neurons else 0
        spikes[mon.pop] = spike_record(recorded.spikes.get(mon.pop, []), dt, first)
    rates = {}
    for mon in model.find(ir.RateMonitor):
        counts = np.concatenate(recorded.rates[mon.pop])
        t_ms = (start + np.arange(len(counts))) * dt
        rates.update(_merged.rate_records(model, mon, t_ms, counts))
    traces = {}
    for mon in model.find(ir.StateMonitor):
        values = np.concatenate(recorded.traces[f"{mon.pop}.{mon.var}"])
        steps = np.arange(len(values))[::mon.every]
        var = model.scope(mon.pop)[mon.var]
        traces[(mon.pop, mon.var)] = TraceRecord((start + steps) * dt, values[::mon.every],
                                                 np.asarray(mon.indices), str(var.type.dim))
    spikes, rates, traces = _merged.split_records(model, spikes, rates, traces)
    meta = {"model": model.name, "dtype": str(dtype),
            "started": recorded.started}
    return Results(dt_ms=dt, t_start_ms=start * dt, duration_ms=steps_total * dt,
                   sizes=_merged.sizes(model), spikes=spikes, traces=traces, rates=rates,
                   meta=meta, final=final)


def spike_indices(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(step, neuron)` int32 of every spike in a chunk's `[steps, ceil(n / 8)]` packed bits,
    in the order of `np.nonzero` on the unpacked array.  Only the bytes that hold a spike are
    unpacked: the whole chunk unpacked would be one byte per neuron and step."""
    flat = packed.reshape(-1)
    # spikes are rare: find the nonzero 8-byte words, then their nonzero bytes
    if flat.size % 8 == 0:
        words = np.flatnonzero(flat.view(np.uint64))
        candidates = (words[:, None] * 8 + np.arange(8)).ravel()
        where = candidates[flat[candidates] != 0]
    else:
        where = np.flatnonzero(flat)  # one pass over flat memory: twice as fast as a 2-D nonzero
    hit = np.flatnonzero(np.unpackbits(flat[where]))
    rows, columns = np.divmod(where[hit >> 3], packed.shape[1])
    return rows.astype(np.int32), (columns * 8 + (hit & 7)).astype(np.int32)


def spike_record(parts: list, dt: float, first_neuron: int = 0) -> SpikeRecord:
    """One `SpikeRecord` from the chunks' `(first step, steps, neurons)`, filled in place and
    emptying `parts` (each chunk is dropped once copied), so that the spikes are held about
    once, not twice.  A monitor of some neurons only counts them from `first_neuron`."""
    total = sum(len(steps) for _, steps, _ in parts)
    t, i = np.empty(total), np.empty(total, np.int32)
    filled = 0
    parts.reverse()
    while parts:
        first, steps, neurons = parts.pop()
        count = len(steps)
        t[filled:filled + count] = (np.int64(first) + steps) * dt
        i[filled:filled + count] = neurons + first_neuron
        filled += count
    return SpikeRecord(t, i)
