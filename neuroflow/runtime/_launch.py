"""N local processes of one command, joined as one JAX job: each is given the coordinator (a free
port on localhost, served by process 0), the number of processes and its own number through the
environment variables that `distributed.initialize` reads.

The launcher only starts and watches: the processes find each other through JAX's coordinator.
When one fails, the others are stopped at once and its error output is shown; a job that
outlasts its timeout is stopped too, so nothing waits forever on a process that is gone.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ._distributed import COORDINATOR, PROCESS_ID, PROCESSES, DistributedError


@dataclass(frozen=True)
class Finished:
    """What one process of a job wrote, once it ended well."""

    index: int
    stdout: str
    stderr: str


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(command: list[str], processes: int, *, timeout: float | None = None,
           env: dict | None = None, cwd: str | Path | None = None) -> list[Finished]:
    """Run `command` (a program and its arguments, e.g. `[sys.executable, "sweep.py"]`) as
    `processes` local processes of one job and wait for all of them; returns their outputs,
    process 0's first.  A process that fails, or a job still running after `timeout` seconds,
    stops every process and raises `DistributedError` with the failing one's error output."""
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise DistributedError(f"a job needs a whole number of processes >= 1, got {processes!r}")
    coordinator = f"localhost:{free_port()}"
    base = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="neuroflow-job-") as folder:
        started = []
        try:
            for k in range(processes):
                streams = [open(Path(folder) / f"{k}.{name}", "w+") for name in ("out", "err")]
                environment = base | {COORDINATOR: coordinator, PROCESSES: str(processes),
                                      PROCESS_ID: str(k)}
                try:
                    proc = subprocess.Popen(command, env=environment, cwd=cwd,
                                            stdout=streams[0], stderr=streams[1])
                except OSError as error:
                    for stream in streams:
                        stream.close()
                    raise DistributedError(f"could not start {command[0]!r}: {error.strerror}",
                                           hint="the command is a program and its arguments,"
                                                " e.g. [sys.executable, 'sweep.py']") from None
                started.append((proc, streams))
            _watch([proc for proc, _ in started], [streams for _, streams in started], timeout)
            return [Finished(k, *(_text(stream) for stream in streams))
                    for k, (_, streams) in enumerate(started)]
        finally:
            for proc, streams in started:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                for stream in streams:
                    stream.close()


def _watch(procs: list, streams: list, timeout: float | None) -> None:
    """Wait until every process ended well; raise on the first that did not, or at `timeout`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        codes = [proc.poll() for proc in procs]
        failed = [k for k, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            k = failed[0]
            raise DistributedError(f"process {k} of {len(procs)} {_ended(codes[k])}; the others"
                                   " were stopped.  Its last error output:\n"
                                   + _tail(_text(streams[k][1])))
        if all(code == 0 for code in codes):
            return
        if deadline is not None and time.monotonic() > deadline:
            running = [k for k, code in enumerate(codes) if code is None]
            raise DistributedError(f"the job of {len(procs)} processes did not end within"
                                   f" {timeout:g} s (still running: process"
                                   f" {', '.join(map(str, running))}); all were stopped",
                                   hint="give a longer timeout, or look for a process that"
                                        " waits for one that is gone")
        time.sleep(0.05)


def _ended(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _text(stream) -> str:
    stream.flush()
    stream.seek(0)
    return stream.read()


def _tail(text: str, lines: int = 25) -> str:
    kept = [line for line in text.splitlines() if not line.startswith("    @ ")]  # C++ frames
    return "\n".join(kept[-lines:]) or "(none)"
