"""Simulation results: spike, trace and rate records with a small query API.

The runtime collects monitor data into numpy arrays and hands them to
`Results`. Times are in ms, rates in Hz, state values in neuroflow's internal
units (mV, ms, pA, nS, pF, um); each trace names its unit as a string.

A population selector is a population name (``"P"``), a string slice (``"P[0:3200]"``) or any view
object with ``population``, ``start`` and ``stop`` attributes. Neuron indices returned for a view
are relative to its ``start``, as for Brian2 subgroups.

`Results.save` writes one ``.npz`` (compressed, no pickles) with these keys:

=============================  =========  ==========================================
key                            dtype      contents
=============================  =========  ==========================================
``meta.dt_ms``                 float64    time step (ms)
``meta.t_start_ms``            float64    time of the first recorded step (ms)
``meta.duration_ms``           float64    simulated time covered (ms)
``meta.populations``           str [P]    population names
``meta.sizes``                 int64 [P]  population sizes, same order
``meta.<key>``                 scalar     each entry of ``meta`` (str, float or int)
``spikes.P.t_ms``              float64    spike times of population P (ms)
``spikes.P.i``                 int32      neuron index of each spike
``rate.P.t_ms``                float64    step times of the rate monitor (ms)
``rate.P.counts``              int32      spikes of P in each step
``trace.P.v.t_ms``             float64    sample times of variable v of P (ms)
``trace.P.v.values``           [T, n]     samples, one column per monitored neuron
``trace.P.v.indices``          int32 [n]  monitored neuron indices
``trace.P.v.unit``             str        unit name, e.g. ``"mV"`` or ``"1"``
``final.model``                str        the compiled model's IR text (to resume from)
``final.seed``, ``final.dt``   scalar     the run's seed and time step (ms)
``final.state/...``            arrays     the state at the end, connectivity (``final.conn/``)
                                          and parameters (``final.params/``), one array each
=============================  =========  ==========================================

`Results.to_nwb` writes the same records as an NWB 2 file (with pynwb, an optional extra).

`Results.load` checks what it reads and raises `ResultsError` for a file that is damaged or not
one `save` wrote.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from . import _plots

_RESERVED_META = ("dt_ms", "t_start_ms", "duration_ms", "populations", "sizes")
_SLICE = re.compile(r"^\s*(\w+)\s*\[\s*(\d*)\s*:\s*(\d*)\s*\]\s*$")


class ResultsError(KeyError):
    """A query for something that was not recorded; the hint says what was."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        # KeyError's own __str__ would print the message as a quoted repr.
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


def _check_1d(kind: str, t_ms: np.ndarray, other: np.ndarray) -> None:
    if t_ms.ndim != 1 or other.shape != t_ms.shape:
        raise ValueError(f"{kind} record: times {t_ms.shape} and data {other.shape} "
                         "must be equal 1-D")


# eq=False: field-wise == on arrays is ambiguous; identity is what callers want.
@dataclass(frozen=True, slots=True, eq=False)
class SpikeRecord:
    t_ms: np.ndarray
    i: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "t_ms", np.asarray(self.t_ms, dtype=np.float64))
        object.__setattr__(self, "i", np.asarray(self.i, dtype=np.int32))
        _check_1d("spike", self.t_ms, self.i)


@dataclass(frozen=True, slots=True, eq=False)
class TraceRecord:
    t_ms: np.ndarray
    values: np.ndarray
    indices: np.ndarray
    unit: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "t_ms", np.asarray(self.t_ms, dtype=np.float64))
        object.__setattr__(self, "values", np.asarray(self.values))
        object.__setattr__(self, "indices", np.asarray(self.indices, dtype=np.int32))
        if self.t_ms.ndim != 1 or self.values.shape != (self.t_ms.size, self.indices.size):
            expected = f"[T={self.t_ms.size}, n={self.indices.size}]"
            raise ValueError(f"trace record: values {self.values.shape} must be {expected}")


@dataclass(frozen=True, slots=True, eq=False)
class RateRecord:
    t_ms: np.ndarray
    counts: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "t_ms", np.asarray(self.t_ms, dtype=np.float64))
        object.__setattr__(self, "counts", np.asarray(self.counts, dtype=np.int32))
        _check_1d("rate", self.t_ms, self.counts)


class Results:
    """Monitor data of one simulation, queried by population name or view."""

    def __init__(self, *, dt_ms: float, t_start_ms: float, duration_ms: float,
                 sizes: dict[str, int], spikes: dict[str, SpikeRecord],
                 traces: dict[tuple[str, str], TraceRecord], rates: dict[str, RateRecord],
                 meta: dict[str, str | float | int] | None = None, final: Any = None):
        self.dt_ms = float(dt_ms)
        # the simulator's state at the end (`Simulator.run(..., resume=results.final)` goes on
        # from it); not saved to files
        self.final = final
        self.t_start_ms = float(t_start_ms)
        self.duration_ms = float(duration_ms)
        self.sizes = {name: int(n) for name, n in sizes.items()}
        self.meta = dict(meta or {})
        for pop in [*spikes, *rates, *(p for p, _ in traces)]:
            if pop not in self.sizes:
                raise ValueError(f"monitored population {pop!r} has no size; "
                                 f"sizes: {list(self.sizes)}")
        clash = sorted(set(self.meta) & set(_RESERVED_META))
        if clash:
            raise ValueError(f"meta keys {clash} are reserved")
        self._spikes = dict(spikes)
        self._traces = dict(traces)
        self._rates = dict(rates)

    @property
    def populations(self) -> tuple[str, ...]:
        return tuple(self.sizes)

    @property
    def t_stop_ms(self) -> float:
        return self.t_start_ms + self.duration_ms

    @property
    def spike_monitored(self) -> tuple[str, ...]:
        """Populations with a spike monitor."""
        return tuple(self._spikes)

    @property
    def rate_monitored(self) -> tuple[str, ...]:
        """Populations with a rate monitor."""
        return tuple(self._rates)

    @property
    def traced(self) -> tuple[tuple[str, str], ...]:
        """`(population, variable)` of every state monitor."""
        return tuple(self._traces)

    @property
    def nbytes(self) -> int:
        """Bytes the records hold (spikes, rates and traces)."""
        records = [*self._spikes.values(), *self._rates.values(), *self._traces.values()]
        arrays = [getattr(rec, f.name) for rec in records for f in fields(rec)]
        return sum(a.nbytes for a in arrays if isinstance(a, np.ndarray))

    def _select(self, pop: Any) -> tuple[str, int, int, bool]:
        """(population, start, stop, is_view) for a name, "P[a:b]" or a view object."""
        if isinstance(pop, str):
            match = _SLICE.match(pop)
            name, start, stop = (pop, None, None) if match is None else match.groups()
        else:
            name, start, stop = pop.population, pop.start, pop.stop
        if name not in self.sizes:
            raise ResultsError(f"no population {name!r} in these results",
                               f"populations: {', '.join(self.sizes) or '(none)'}")
        size = self.sizes[name]
        start = int(start) if start not in (None, "") else 0
        stop = int(stop) if stop not in (None, "") else size
        if not 0 <= start <= stop <= size:
            raise ValueError(f"view {name}[{start}:{stop}] is outside population {name} "
                             f"of size {size}")
        # A view covering the whole population may use the whole-population records.
        return name, start, stop, (start, stop) != (0, size)

    def _label(self, pop: Any) -> str:
        name, start, stop, is_view = self._select(pop)
        return f"{name}[{start}:{stop}]" if is_view else name

    def spikes(self, pop: Any) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and neuron indices, relative to a view's start."""
        name, start, stop, _ = self._select(pop)
        if name not in self._spikes:
            monitored = ", ".join(self._spikes) or "(none)"
            raise ResultsError(f"population {name!r} has no spike monitor",
                               f"spike-monitored populations: {monitored}")
        rec = self._spikes[name]
        keep = (rec.i >= start) & (rec.i < stop)
        return rec.t_ms[keep], (rec.i[keep] - start).astype(np.int32)

    def spike_counts(self, pop: Any) -> np.ndarray:
        """Number of spikes of each neuron of the population or view."""
        _, start, stop, _ = self._select(pop)
        return np.bincount(self.spikes(pop)[1], minlength=stop - start).astype(np.int64)

    def rate(self, pop: Any) -> float:
        """Mean firing rate (Hz) over the neurons of pop and the whole duration."""
        name, start, stop, is_view = self._select(pop)
        if name in self._spikes or is_view:
            total = self.spikes(pop)[0].size
        elif name in self._rates:
            total = int(self._rates[name].counts.sum(dtype=np.int64))
        else:
            monitored = ", ".join(dict.fromkeys([*self._spikes, *self._rates])) or "(none)"
            raise ResultsError(f"population {name!r} has neither a spike nor a rate monitor",
                               f"populations with spike or rate monitors: {monitored}")
        neuron_seconds = (stop - start) * self.duration_ms / 1000.0
        return total / neuron_seconds if neuron_seconds > 0 else math.nan

    def rate_trace(self, pop: Any, bin_ms: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Population rate (Hz) per step, or per bin of bin_ms rounded to whole steps.

        Bins are labelled by their start time. A shorter last bin is divided by
        its own width, so its rate is not biased low.
        """
        name, start, stop, is_view = self._select(pop)
        if name in self._rates and not is_view:
            t, counts = self._rates[name].t_ms, self._rates[name].counts.astype(np.int64)
        else:
            spike_t, _ = self.spikes(pop)
            n_steps = int(round(self.duration_ms / self.dt_ms))
            t = self.t_start_ms + self.dt_ms * np.arange(n_steps)
            step = np.rint((spike_t - self.t_start_ms) / self.dt_ms).astype(np.int64)
            counts = np.bincount(np.clip(step, 0, max(n_steps - 1, 0)), minlength=n_steps)
        k = 1 if bin_ms is None else max(1, int(round(bin_ms / self.dt_ms)))
        firsts = np.arange(0, t.size, k)
        widths_s = np.diff(np.append(firsts, t.size)) * self.dt_ms / 1000.0
        summed = np.add.reduceat(counts, firsts) if t.size else counts
        n = stop - start
        return t[firsts], (summed / (n * widths_s) if n else np.full(firsts.size, np.nan))

    def _trace_columns(self, pop: Any, var: str) -> tuple[TraceRecord, np.ndarray, int]:
        name, start, stop, _ = self._select(pop)
        if (name, var) not in self._traces:
            recorded = ", ".join(f"{p}.{v}" for p, v in self._traces) or "(none)"
            raise ResultsError(f"variable {var!r} of population {name!r} was not recorded",
                               f"recorded traces: {recorded}")
        rec = self._traces[(name, var)]
        return rec, (rec.indices >= start) & (rec.indices < stop), start

    def trace(self, pop: Any, var: str) -> tuple[np.ndarray, np.ndarray]:
        """Sample times (ms) and values [T, n] of the monitored neurons inside pop."""
        rec, cols, _ = self._trace_columns(pop, var)
        return rec.t_ms, rec.values[:, cols]

    def trace_indices(self, pop: Any, var: str) -> np.ndarray:
        """Neuron indices (relative to a view's start) of the columns `trace` returns."""
        rec, cols, start = self._trace_columns(pop, var)
        return (rec.indices[cols] - start).astype(np.int32)

    def trace_unit(self, pop: Any, var: str) -> str:
        """Name of the unit of a recorded variable, e.g. "mV" or "1"."""
        return self._trace_columns(pop, var)[0].unit

    def save(self, path: str | Path, checkpoint: bool = True) -> Path:
        """Write one compressed .npz (keys in the module docstring); returns the file written.
        With `checkpoint` (and a `final` state) the file holds what a run resumes from."""
        dotted = [p for p in self.sizes if "." in p]
        if dotted:
            # Keys are dot-separated; a dotted population name could not be read back unambiguously.
            raise ValueError(f"population names {dotted} contain '.', "
                             "the separator of the .npz keys")
        arrays: dict[str, np.ndarray] = {
            "meta.dt_ms": np.float64(self.dt_ms),
            "meta.t_start_ms": np.float64(self.t_start_ms),
            "meta.duration_ms": np.float64(self.duration_ms),
            "meta.populations": np.array(list(self.sizes), dtype=np.str_),
            "meta.sizes": np.array(list(self.sizes.values()), dtype=np.int64),
        }
        arrays.update({f"meta.{key}": np.asarray(value) for key, value in self.meta.items()})
        for p, rec in self._spikes.items():
            arrays[f"spikes.{p}.t_ms"], arrays[f"spikes.{p}.i"] = rec.t_ms, rec.i
        for p, rec in self._rates.items():
            arrays[f"rate.{p}.t_ms"], arrays[f"rate.{p}.counts"] = rec.t_ms, rec.counts
        for (p, v), rec in self._traces.items():
            arrays[f"trace.{p}.{v}.t_ms"] = rec.t_ms
            arrays[f"trace.{p}.{v}.values"] = rec.values
            arrays[f"trace.{p}.{v}.indices"] = rec.indices
            arrays[f"trace.{p}.{v}.unit"] = np.array(rec.unit, dtype=np.str_)
        if checkpoint and self.final is not None:  # so that a run can resume from the file
            arrays.update(self.final.to_arrays())
        np.savez_compressed(path, **arrays)
        path = Path(path)  # numpy appends .npz to a name that lacks it
        return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")

    def to_nwb(self, path: str | Path) -> Path:
        """Write an NWB 2 file (needs pynwb, `pip install "neuroflow[nwb]"`): spikes as units,
        one per neuron, and traces as time series in SI units (what goes where: `_nwb`)."""
        from ._nwb import write_nwb

        return write_nwb(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Read a file written by `save` (with `final`, to resume from, where it was saved)."""
        try:
            with np.load(path, allow_pickle=False) as npz:
                data = {key: npz[key] for key in npz.files}
            results = cls._from_arrays(data)
        except ResultsError as err:
            raise ResultsError(f"{path}: {err.message}", err.hint) from None
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as err:
            raise ResultsError(f"{path} is not a results file neuroflow can read ({err})",
                               "read a file written by Results.save or `neuroflow run --out`"
                               ) from None
        return results

    @classmethod
    def _from_arrays(cls, data: dict) -> Results:
        from ._checkpoint import Checkpoint  # here: the checkpoint's module reads records

        missing = [f"meta.{key}" for key in _RESERVED_META if f"meta.{key}" not in data]
        if missing:
            raise ResultsError(f"it lacks {', '.join(missing)}: it was not written by"
                               " Results.save", "read a file written by Results.save")
        names = [str(p) for p in data["meta.populations"]]
        sizes = [int(n) for n in np.ravel(data["meta.sizes"])]
        if len(sizes) != len(names) or any(n < 1 for n in sizes):
            raise ResultsError(f"its population sizes {sizes} do not fit its populations"
                               f" {names}")
        meta = {key[5:]: data[key].item() for key in data
                if key.startswith("meta.") and key[5:] not in _RESERVED_META}
        spikes = {p: SpikeRecord(data[f"spikes.{p}.t_ms"], data[f"spikes.{p}.i"])
                  for p in names if f"spikes.{p}.t_ms" in data}
        for p, record in spikes.items():
            size = sizes[names.index(p)]
            if record.i.size and not (0 <= record.i.min() and record.i.max() < size):
                raise ResultsError(f"spikes of '{p}' name neurons outside its {size}")
        rates = {p: RateRecord(data[f"rate.{p}.t_ms"], data[f"rate.{p}.counts"])
                 for p in names if f"rate.{p}.t_ms" in data}
        traces = {}
        for p in names:
            # Population names hold no dots, so everything between "trace.P." and ".t_ms" is the
            # variable.
            for key in [k for k in data if k.startswith(f"trace.{p}.") and k.endswith(".t_ms")]:
                base = key[: -len(".t_ms")]
                traces[(p, base[len(f"trace.{p}."):])] = TraceRecord(
                    data[key], data[f"{base}.values"], data[f"{base}.indices"],
                    str(data[f"{base}.unit"]))
        return cls(dt_ms=float(data["meta.dt_ms"]), t_start_ms=float(data["meta.t_start_ms"]),
                   duration_ms=float(data["meta.duration_ms"]), sizes=dict(zip(names, sizes)),
                   spikes=spikes, traces=traces, rates=rates, meta=meta,
                   final=Checkpoint.from_arrays(data))

    @classmethod
    def concatenate(cls, parts: list[Results]) -> Results:
        """Join consecutive parts (absolute times, each starting where the last ended)."""
        if not parts:
            raise ValueError("concatenate needs at least one Results")
        first = parts[0]
        for prev, part in zip(parts, parts[1:]):
            if not math.isclose(part.t_start_ms, prev.t_stop_ms, rel_tol=1e-9,
                                abs_tol=1e-6 * first.dt_ms):
                raise ValueError(f"results are not consecutive: one ends at {prev.t_stop_ms} ms, "
                                 f"the next starts at {part.t_start_ms} ms")
            same = (math.isclose(part.dt_ms, first.dt_ms) and part.sizes == first.sizes
                    and [part._spikes.keys(), part._rates.keys(), part._traces.keys()]
                    == [first._spikes.keys(), first._rates.keys(), first._traces.keys()]
                    and all(rec.unit == first._traces[key].unit
                            and np.array_equal(rec.indices, first._traces[key].indices)
                            for key, rec in part._traces.items()))
            if not same:
                raise ValueError("cannot join results with different dt, sizes, monitors "
                                 "or trace indices")

        def cat(records: list[Any], field: str) -> np.ndarray:
            return np.concatenate([getattr(rec, field) for rec in records])

        spikes, rates, traces = {}, {}, {}
        for p in first._spikes:
            recs = [r._spikes[p] for r in parts]
            spikes[p] = SpikeRecord(cat(recs, "t_ms"), cat(recs, "i"))
        for p in first._rates:
            recs = [r._rates[p] for r in parts]
            rates[p] = RateRecord(cat(recs, "t_ms"), cat(recs, "counts"))
        for key, ref in first._traces.items():
            recs = [r._traces[key] for r in parts]
            traces[key] = TraceRecord(cat(recs, "t_ms"), cat(recs, "values"), ref.indices, ref.unit)
        # later parts win: they describe the run as it ended
        meta = {key: value for r in parts for key, value in r.meta.items()}
        if "started" in first.meta:  # the joined run began when its first part did
            meta["started"] = first.meta["started"]
        return cls(dt_ms=first.dt_ms, t_start_ms=first.t_start_ms,
                   duration_ms=sum(r.duration_ms for r in parts), sizes=first.sizes,
                   spikes=spikes, traces=traces, rates=rates, meta=meta)

    def merge(self, other: Results) -> Results:
        """self followed by other, which must start where self ends."""
        return Results.concatenate([self, other])

    def plot(self, *, path: str | Path | None = None) -> Any:
        """Everything recorded, one panel each on one time axis: the spikes of every
        spike-monitored population (a raster) and each traced variable."""
        return _plots.overview(self, path)

    def plot_raster(self, pop: Any = None, *, path: str | Path | None = None, ax: Any = None,
                    max_points: int = 200_000) -> Any:
        """Spike raster of pop, or of every spike-monitored population stacked and labelled."""
        return _plots.raster(self, pop, path, ax, max_points)

    def plot_trace(self, pop: Any, var: str, *, path: str | Path | None = None,
                   ax: Any = None) -> Any:
        """Recorded values of var for the monitored neurons of pop, one line each."""
        return _plots.trace(self, pop, var, path, ax)

    def plot_rate(self, pop: Any, *, bin_ms: float = 5.0, path: str | Path | None = None,
                  ax: Any = None) -> Any:
        """Population rate of pop in bins of bin_ms."""
        return _plots.rate(self, pop, bin_ms, path, ax)

    def summary(self) -> str:
        """One line per population: size, spikes, mean rate (Hz) and recorded traces."""
        width = max([10, *map(len, self.sizes)]) + 2
        lines = [f"Results: {self.t_start_ms:g}-{self.t_stop_ms:g} ms, dt = {self.dt_ms:g} ms",
                 f"  {'population':<{width}}{'size':>8}{'spikes':>10}{'rate (Hz)':>11}  traces"]
        for p, size in self.sizes.items():
            spikes, rate = "-", "-"
            if p in self._spikes or p in self._rates:
                rate = f"{self.rate(p):.3g}"
                spikes = str(self._spikes[p].i.size if p in self._spikes
                             else self._rates[p].counts.sum())
            traces = ", ".join(f"{v} [{r.unit}] x{r.indices.size}"
                               for (q, v), r in self._traces.items() if q == p) or "-"
            lines.append(f"  {p:<{width}}{size:>8}{spikes:>10}{rate:>11}  {traces}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()
