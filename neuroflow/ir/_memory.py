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

from ._errors import Loc, ModelError
from ._model import Model
from ._nodes import StateVar

SHARE = 0.5  # of the machine's memory one allocation may take: the step needs copies besides


def memory_limit() -> int | None:
    """Bytes this process may use: the physical memory, or less under `ulimit -v`."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    return min(limits) if limits else None


def size_text(nbytes: float) -> str:
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
    power = min(int(math.log(max(nbytes, 1), 1024)), len(units) - 1)
    return f"{nbytes / 1024**power:.3g} {units[power]}"


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
