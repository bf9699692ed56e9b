"""Shared pieces of the analysis plots.  matplotlib (the optional extra `plot`) is imported only
when a plot is asked for, and figures are made without pyplot: no display, no backend switch."""
from __future__ import annotations

from ._system import AnalysisError


def axes(ax=None):
    """`ax`, or the axes of a new figure."""
    if ax is not None:
        return ax
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise AnalysisError("plots need matplotlib",
                            hint="pip install 'neuroflow[plot]' (or matplotlib)") from None
    return Figure(figsize=(6, 4.5), layout="constrained").subplots()


def save(ax, path: str) -> None:
    ax.figure.savefig(path, dpi=120)


def mark_fixed_points(ax, points, ix: int, iy: int) -> None:
    """Filled markers for stable points, open ones for the others."""
    for point in points.points:
        stable = point.unstable == 0 and point.stability != "center-like"
        ax.plot(point.state[ix], point.state[iy], "o", ms=8, mec="k",
                mfc="k" if stable else "w", zorder=5)
