"""Plots of `Results` with matplotlib (the `plot` extra), made without pyplot: no display, no
backend switch.  Each draws into the axes it is given, or into a figure of its own."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..ir import ModelError

# Below this many neurons in a raster each spike is a tick one row high; above, a pixel (a dense
# network fires tens of thousands of spikes per second, and ticks would merge into a blot).
TICKS_UP_TO = 200


def _figure(rows: int = 1):
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("plotting needs matplotlib: pip install neuroflow[plot]") from err
    fig = Figure(figsize=(8, 2.5 + 2 * rows if rows > 1 else 4), layout="constrained")
    return fig, fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]


def _axes(ax):
    """`(figure, axes)`: those of `ax`, or a new figure's only axes."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = _figure()
    return fig, axes[0]


def _finish(fig: Any, ax: Any, path: str | Path | None, made_here: bool) -> Any:
    if path is not None:
        fig.savefig(path, dpi=120)
        return path
    return fig if made_here else ax


def raster(results, pop: Any, path, ax, max_points: int) -> Any:
    fig, axes = _axes(ax)
    groups = [pop] if pop is not None else list(results._spikes)
    selected = [(results.spikes(g), results._select(g)) for g in groups]
    total = sum(t.size for (t, _), _ in selected)
    # A regular stride keeps the raster's texture while bounding memory and drawing time.
    stride = max(1, math.ceil(total / max_points)) if max_points > 0 else 1
    rows = sum(stop - start for _, (_, start, stop, _) in selected)
    marker = dict(marker="|", markersize=max(2.0, 200 / max(rows, 1)), markeredgewidth=0.8) \
        if rows <= TICKS_UP_TO else dict(marker=",")
    offset, ticks = 0, []
    for (t, i), (_, start, stop, _) in selected:
        axes.plot(t[::stride], i[::stride] + offset, linestyle="none", rasterized=True, **marker)
        ticks.append(offset + (stop - start) / 2)
        offset += stop - start
        axes.axhline(offset - 0.5, color="0.85", linewidth=0.5)
    if len(groups) > 1:  # every spike-monitored population, stacked
        axes.set_yticks(ticks, list(results._spikes))
        axes.set_ylabel("neuron")
    else:
        axes.set_ylabel(f"neuron of {results._label(groups[0])}")
    axes.set(xlim=(results.t_start_ms, results.t_stop_ms), ylim=(-0.5, max(offset, 1) - 0.5),
             xlabel="t (ms)")
    if stride > 1:
        axes.text(1.0, 1.0, f"1 in {stride} spikes shown", transform=axes.transAxes,
                  ha="right", va="bottom", fontsize="small")
    return _finish(fig, axes, path, ax is None)


def trace(results, pop: Any, var: str, path, ax) -> Any:
    fig, axes = _axes(ax)
    t, values = results.trace(pop, var)
    indices = results.trace_indices(pop, var)
    for col, idx in enumerate(indices):
        axes.plot(t, values[:, col], linewidth=0.8, label=str(idx))
    if 0 < indices.size <= 10:  # a legend of hundreds of lines would hide the plot
        axes.legend(title="neuron", fontsize="small", loc="upper right")
    # the population in the label, not in a title, which would overlap the panel above
    axes.set(xlabel="t (ms)",
             ylabel=f"{results._label(pop)}.{var} ({results.trace_unit(pop, var)})")
    return _finish(fig, axes, path, ax is None)


def rate(results, pop: Any, bin_ms: float, path, ax) -> Any:
    fig, axes = _axes(ax)
    t, hz = results.rate_trace(pop, bin_ms)
    axes.stairs(hz, np.append(t, results.t_stop_ms))  # edges: the last bin is drawn full width
    axes.set(ylim=(0, None), xlabel="t (ms)",
             ylabel=f"{results._label(pop)} rate (Hz, {bin_ms:g} ms bins)")
    return _finish(fig, axes, path, ax is None)


def overview(results, path) -> Any:
    panels = ([lambda ax: raster(results, None, None, ax, 200_000)] if results._spikes else [])
    panels += [lambda ax, key=key: trace(results, key[0], key[1], None, ax)
               for key in results._traces]
    if not panels:
        raise ModelError("nothing to plot: the model has no spike or state monitors",
                         hint="add 'monitor spikes P' or 'monitor P.v' (net.monitor_spikes(P),"
                              " net.monitor(P, 'v'))")
    fig, axes = _figure(len(panels))
    for draw, ax in zip(panels, axes):
        draw(ax)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return _finish(fig, axes, path, True)
