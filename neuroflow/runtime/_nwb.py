"""`Results.to_nwb`: simulation results as a Neurodata Without Borders (NWB 2) file, with pynwb.

What goes where:

- every spike-monitored population gives one row of the ``units`` table per neuron: its spike
  times (s) and the columns ``population`` and ``neuron`` (the index in the population);
- every traced variable gives a ``TimeSeries`` in ``acquisition`` named ``P.v``: the samples as
  recorded (neuroflow's internal units), ``unit`` the SI unit and ``conversion`` the factor to it
  (mV: ``"volt"``, 1e-3), a sampling ``rate`` when the samples are evenly spaced, else
  ``timestamps``; its ``comments`` list the monitored neurons, one per column;
- every rate-monitored population without a spike monitor gives a ``TimeSeries`` ``P.rate``,
  the population rate (Hz) per step;
- the session: ``session_start_time`` is when the run began, ``notes`` a JSON object (model,
  neuroflow version, seed, dt, dtype, simulated start and duration), ``source_script`` the
  model's IR text where the results hold the final state.

Times are simulated seconds from the start of the simulation (t = 0), not wall-clock seconds.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import ir


class NWBError(ir.NeuroflowError):
    """Results that cannot be written as NWB, or pynwb missing."""


def require_pynwb() -> None:
    """Raise `NWBError`, with what to install, where pynwb cannot be imported."""
    try:
        import pynwb  # noqa: F401
    except ImportError:
        raise NWBError("cannot write an NWB file: pynwb is not installed",
                       hint='pip install "neuroflow[nwb]"') from None


def write_nwb(results, path: str | Path) -> Path:
    """Write `results` to the NWB file `path`; returns the path written."""
    require_pynwb()
    from pynwb import NWBHDF5IO

    nwbfile = _session(results)
    _add_units(nwbfile, results)
    for pop, var in results.traced:
        nwbfile.add_acquisition(_trace_series(results, pop, var))
    for pop in results.rate_monitored:
        if pop not in results.spike_monitored:  # spikes give the rate at any bin already
            nwbfile.add_acquisition(_rate_series(results, pop))
    path = Path(path)
    try:
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwbfile)
    except OSError as err:
        raise NWBError(f"cannot write the NWB file {path}: {err}") from None
    return path


def _notes(results) -> dict:
    """What the file's `notes` hold: the run's settings, in JSON's types."""
    from .. import __version__

    final = results.final
    notes = {"model": results.meta.get("model"), "neuroflow": __version__,
             "seed": int(final.seed) if final is not None else results.meta.get("seed"),
             "dt_ms": results.dt_ms, "dtype": results.meta.get("dtype"),
             "t_start_ms": results.t_start_ms, "duration_ms": results.duration_ms}
    return {key: value for key, value in notes.items() if value is not None}


def _session(results):
    from pynwb import NWBFile

    notes = _notes(results)
    start = _started(results.meta.get("started"))
    name = notes.get("model", "a model")
    final = results.final
    return NWBFile(
        session_description=f"simulation of {name} with neuroflow {notes['neuroflow']}",
        identifier=str(uuid.uuid4()),
        session_start_time=start,
        session_id=str(name),
        notes=json.dumps(notes),
        source_script=ir.print_model(final.model) if final is not None else None,
        source_script_file_name=f"{name}.ir" if final is not None else None,
        data_collection=(f"simulated with dt = {results.dt_ms:g} ms; times are simulated seconds"
                         " from t = 0"))


def _started(text) -> datetime:
    """When the run began, from the results' `meta`; now for results that do not say."""
    if text is None:
        return datetime.now(timezone.utc)
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        raise NWBError(f"the results' meta 'started' = {text!r} is no ISO 8601 time",
                       hint="2026-01-31T12:00:00+00:00, as a run records it") from None


def _add_units(nwbfile, results) -> None:
    """One unit per neuron of every spike-monitored population, its spike times in seconds."""
    if not results.spike_monitored:
        return
    nwbfile.add_unit_column(name="population", description="the neuron's population")
    nwbfile.add_unit_column(name="neuron", description="the neuron's index in its population")
    for pop in results.spike_monitored:
        t_ms, neuron = results.spikes(pop)
        order = np.argsort(neuron, kind="stable")  # each neuron's spikes keep their time order
        per_neuron = np.split(t_ms[order] / 1e3,
                              np.cumsum(np.bincount(neuron, minlength=results.sizes[pop]))[:-1])
        for index, times in enumerate(per_neuron):
            nwbfile.add_unit(spike_times=times, population=pop, neuron=index)


def _trace_series(results, pop: str, var: str):
    from pynwb import TimeSeries

    unit = results.trace_unit(pop, var)
    try:
        dim = ir.parse_dimension(unit)
    except ValueError:
        raise NWBError(f"trace {pop}.{var}: cannot convert its unit '{unit}' to SI",
                       hint="a trace's unit is written as neuroflow prints it: mV, pA, mV/ms") \
            from None
    t_ms, values = results.trace(pop, var)
    indices = results.trace_indices(pop, var)
    return TimeSeries(
        name=f"{pop}.{var}", data=values, unit=dim.si_name(), conversion=dim.internal_scale(),
        description=f"{var} of population {pop}, recorded in {unit}; one column per neuron",
        comments="neurons: " + ",".join(map(str, indices)),
        **_timing(t_ms, results.dt_ms))


def _rate_series(results, pop: str):
    from pynwb import TimeSeries

    t_ms, hz = results.rate_trace(pop)
    return TimeSeries(name=f"{pop}.rate", data=hz, unit="hertz",
                      description=f"population rate of {pop} in each step",
                      **_timing(t_ms, results.dt_ms))


def _timing(t_ms: np.ndarray, dt_ms: float) -> dict:
    """A start and a rate where the samples are evenly spaced, else their timestamps (s)."""
    steps = np.diff(t_ms)
    if steps.size == 0 or np.allclose(steps, steps[0], rtol=1e-9, atol=1e-9 * dt_ms):
        period_ms = steps[0] if steps.size else dt_ms
        start_ms = t_ms[0] if t_ms.size else 0.0
        return {"starting_time": float(start_ms) / 1e3, "rate": 1e3 / float(period_ms)}
    return {"timestamps": t_ms / 1e3}
