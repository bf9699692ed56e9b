"""`neuroflow run FILE --processes N`: the run as N local processes of one JAX job.

The command starts N copies of `neuroflow run FILE` (same options, no progress bar) joined through
a coordinator on a free localhost port (`distributed.launch`); each joins the job in
`command_run` (`distributed.initialize` reads the environment the launcher set), process 0
prints the results and writes the files asked for, and this command shows what process 0 printed.
On a cluster the job script starts `neuroflow run FILE` on every node with the same environment
variables set; nothing else changes.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..distributed import launch
from .common import CLIError


def run_over_processes(args) -> int:
    if not Path(args.script).is_file():  # said once here, not by each process
        raise CLIError(f"no such model file: {args.script}")
    command = [sys.executable, "-m", "neuroflow.cli", "run", args.script, *_options(args)]
    finished = launch(command, args.processes)
    # gloo, JAX's CPU collectives, greets each connection on stdout
    lines = [line for line in finished[0].stdout.splitlines() if not line.startswith("[Gloo]")]
    print("\n".join(lines))
    print(finished[0].stderr, end="", file=sys.stderr)  # its warnings
    print(f"ran as {args.processes} processes of one JAX job (process 0's output above)")
    return 0


def _options(args) -> list[str]:
    """The options of this command for each process's own `neuroflow run`."""
    given = [("--duration", args.duration), ("--dt", args.dt), ("--dtype", args.dtype),
             ("--seed", args.seed), ("--out", args.out), ("--plot", args.plot),
             ("--pipeline", args.pipeline)]
    options = [text for flag, value in given if value is not None for text in (flag, str(value))]
    return options + ["--quiet"] + (["--dry-run"] if args.dry_run else [])
