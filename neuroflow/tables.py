"""Tables of measurements in Markdown, as `neuroflow bench` and the scripts in benchmarks/ print
them: a number to three significant digits (whole from 100), a median with the range of its
trials, one row per line."""
from __future__ import annotations

import statistics


def number_format(x: float) -> str:
    """A format for numbers of x's size: three significant digits, or whole numbers from 100."""
    return "{:.3f}" if x < 1 else "{:.2f}" if x < 10 else "{:.1f}" if x < 100 else "{:.0f}"


def number(x: float) -> str:
    """x in the format for its size."""
    return number_format(x).format(x)


def spread(values: list[float | None], form: str | None = None) -> tuple[float, str] | None:
    """(median, text): the median, and the range when there are several trials; None for none
    (a None among `values` is a trial without a result)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    mid = statistics.median(values)
    fmt = form.format if form else number_format(mid).format
    text = fmt(mid)
    if len(values) > 1:
        text += f" ({fmt(min(values))}–{fmt(max(values))})"
    return mid, text


def cell(text: str) -> str:
    """Text that stays in its cell: no column separators, no line breaks."""
    return text.replace("|", "/").replace("\n", " ")


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def header(columns: list[str]) -> str:
    """The head row and the line under it."""
    return row(columns) + "\n|" + "---|" * len(columns)


def table(columns: list[str], rows: list[list[str]]) -> str:
    return "\n".join([header(columns), *map(row, rows)])
