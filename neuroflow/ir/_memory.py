"""A guard against arrays the machine cannot hold: a clear error, at the model's line, before
numpy or XLA tries to allocate them (and fails with MemoryError or RESOURCE_EXHAUSTED, or swaps
for minutes).

`check_fits(nbytes, what, loc)` is the one test; the places that allocate per neuron call it:
the frontend's per-neuron values (`i`) and monitors, the runtime's state (`state_bytes`).
"""
from __future__ import annotations

import math
import os
import resource
from pathlib import Path

from ._errors import Loc, ModelError
from ._model import Model
from ._nodes import StateVar

SHARE = 0.5  # of the machine's memory one allocation may take: the step needs copies besides


CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"),  # cgroup v2, then v1
                 Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def memory_limit() -> int | None:
    """Bytes this process may use: the physical memory, or less where a control group or
    `ulimit -v` limits it; None where none of them can be read."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    for path in CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    return min(limits) if limits else None


def size_text(nbytes: float) -> str:
    """A number of bytes in B, KiB, MiB, GiB or TiB, whichever keeps it under 1024, to three
    significant digits: `1.50 KiB`, `16.0 GiB`, `335 GiB`."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    power = 0
    while abs(nbytes) >= 1024 and power < len(units) - 1:
        nbytes, power = nbytes / 1024, power + 1
    if power == 0:
        return f"{nbytes:.0f} B"
    digits = 2 if abs(nbytes) < 10 else 1 if abs(nbytes) < 100 else 0
    return f"{nbytes:.{digits}f} {units[power]}"


def check_fits(nbytes: float, what: str, loc: Loc | None = None,
               advice: str = "use fewer neurons, or run on a machine with more memory",
               device: tuple[str, int] | None = None) -> None:
    """Raise a `ModelError` if `nbytes` is more than `SHARE` of the memory this process has, or
    of an accelerator's, `device = (name, bytes)`, where the arrays live on one."""
    where, limit = device if device is not None else ("this machine", memory_limit())
    if limit is not None and nbytes > SHARE * limit:
        raise ModelError(f"{what} would need about {size_text(nbytes)} of memory; {where}"
                         f" has {size_text(limit)}", loc, advice)


def check_state_fits(model: Model, itemsize: int, copies: int = 3,
                     device: tuple[str, int] | None = None) -> None:
    """The state variables of every neuron, `copies` times (the state, the next state, XLA's
    temporaries), must fit (on `device`, as in `check_fits`); the error points at the largest
    population."""
    per_pop = {pop.name: sum(max(1, math.prod(var.type.shape)) for var in model.find(StateVar,
                                                                                    pop.name))
               for pop in model.populations}
    if not per_pop:
        return
    total = sum(per_pop.values()) * itemsize * copies
    largest = model.population(max(per_pop, key=per_pop.get))
    check_fits(total, f"the state of the model ({largest.name}: {largest.size} neurons,"
               f" {len(model.find(StateVar, largest.name))} variables each)", largest.loc,
               f"use fewer neurons than {largest.size} in '{largest.name}', float32 rather than"
               " float64, or a machine with more memory", device)
