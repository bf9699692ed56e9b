"""The host's side of a run, around the chunks the devices compute: Ctrl-C turned into a stop
at the end of a chunk, the progress bar, memory the run freed handed back to the system, a state
copied into buffers of its own to donate, and the step a run starts from read back."""
from __future__ import annotations

import ctypes
import signal
import sys
import threading

import jax
import numpy as np


class Interrupts:
    """While a run goes on in the main thread, Ctrl-C asks it to stop at the end of the current
    chunk (the chunk's results are kept) instead of raising wherever the run happens to be; a
    second Ctrl-C raises at once."""

    def __init__(self):
        self.asked = False
        self._installed, self._previous = False, None

    def __enter__(self):
        # In a job of several processes each would stop after a chunk of its own, and the
        # others would wait for it in the next exchange: there Ctrl-C stops the process at once.
        if threading.current_thread() is threading.main_thread() and jax.process_count() == 1:
            self._previous = signal.signal(signal.SIGINT, self._ask)
            self._installed = True
        return self

    def _ask(self, signum, frame):
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True

    def __exit__(self, *exc):
        if self._installed:  # the handler before, which may be None (one set outside Python)
            signal.signal(signal.SIGINT, self._previous if self._previous is not None
                          else signal.SIG_DFL)


def progress_bar(total: int, progress: bool | None, what: str):
    """A bar over `total` steps (of all the runs of a sweep together), or None."""
    if progress is None:
        progress = sys.stderr.isatty() and total >= 100_000
    if not progress or jax.process_index() != 0:  # one bar for a job of several processes
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="step", desc=what, leave=False)


try:  # glibc's `malloc_trim`, or None elsewhere
    _MALLOC_TRIM = ctypes.CDLL(None).malloc_trim if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # another C library (musl)
    _MALLOC_TRIM = None


TRIM_RUN_BYTES = 16 << 20
"""Runs estimated to need less than this (a 1 s COBA-4k run: ~8 MiB) do not hand memory back to
the system before and after them (`return_freed_memory`): glibc reuses it for the next run.
The million-neuron run (~30 MiB) hands back what compiling and drawing left: ~50 MiB of its
peak."""

TRIM_CHUNK_BYTES = 16 << 20
"""Monitor buffers of a chunk from which their memory is handed back to the system between
chunks.  Smaller ones are left to glibc to reuse for the next chunk: handing back and faulting
in again the pages of a 4000-neuron chunk's spikes took ~15% of a run."""


def tree_nbytes(tree) -> int:
    """Bytes held by the arrays of a pytree."""
    return sum(getattr(leaf, "nbytes", 0) for leaf in jax.tree_util.tree_leaves(tree))


def return_freed_memory() -> None:
    """Give the memory freed since the last call back to the system.  glibc keeps freed blocks
    of up to tens of MiB for reuse once large arrays have come and gone (its thresholds grow
    with them), and XLA's threads free into arenas of their own: at 64k neurons a run left
    ~100 MiB of such blocks in the process without this.  It takes microseconds."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def own(state: dict) -> dict:
    """A copy of `state` in buffers of its own, to donate: the caller's state (a checkpoint
    to resume from) stays valid, and no buffer appears twice.  Each array keeps its layout
    (over a mesh of several processes, the parts each holds)."""
    return jax.tree_util.tree_map(
        lambda leaf: jax.device_put(leaf, leaf.sharding if isinstance(leaf, jax.Array) else None,
                                    may_alias=False), state)


def first_step(step) -> int:
    """The step a run (the first of a batch) starts from; read from this process's part when
    the runs span processes: all of them start together."""
    if isinstance(step, jax.Array) and not step.is_fully_addressable:
        step = step.addressable_shards[0].data
    return int(np.ravel(np.asarray(step))[0])
