"""The `neuroflow` command: `run` a model script, print its `ir`.

A model script is a Python file that defines `model` (an `ir.Model`) or `net`
(a `Network`), and optionally `dt`, `duration` and `dtype`.  It is executed
with `__name__ != "__main__"`, so its own demo code does not run.
"""
from __future__ import annotations

import argparse
import runpy
import sys
import time
from pathlib import Path

from . import ir
from .frontend import Network
from .passes import DEFAULT_PIPELINE, PassReport, run_pipeline
from .runtime import compile
from .runtime.simulate import to_ms


class CLIError(ir.NeuroflowError):
    pass


def load_script(path: str) -> dict:
    """Execute a model script and return its namespace with `model` built."""
    file = Path(path)
    if not file.is_file():
        raise CLIError(f"no such model script: {path}")
    if file.suffix != ".py":
        raise CLIError(f"cannot run '{path}': model scripts are Python files (.py)",
                       hint="the .nfl language is coming; for now write the model with the Python builder")
    namespace = runpy.run_path(str(file), run_name="__neuroflow__")
    model = namespace.get("model")
    if model is None:
        nets = [v for v in namespace.values() if isinstance(v, Network)]
        model = nets[0].build() if nets else None
    if not isinstance(model, ir.Model):
        raise CLIError(f"{path} defines neither `model` (an ir.Model) nor a `Network`",
                       hint="end the script with `model = net.build()`")
    namespace["model"] = model
    return namespace


def _settings(args, namespace: dict) -> tuple[float, float, str]:
    dt = to_ms(args.dt if args.dt is not None else namespace.get("dt", 0.1), "dt")
    duration = to_ms(args.duration if args.duration is not None else namespace.get("duration", 1000.0),
                     "duration")
    dtype = args.dtype or namespace.get("dtype", "float32")
    return dt, duration, dtype


def command_run(args) -> int:
    namespace = load_script(args.script)
    dt, duration, dtype = _settings(args, namespace)
    start = time.perf_counter()
    simulator = compile(namespace["model"], dt=dt, dtype=dtype, pipeline=args.pipeline)
    results = simulator.run(duration, seed=args.seed, progress=not args.quiet and None)
    elapsed = time.perf_counter() - start
    print(results.summary())
    print(f"simulated {duration:g} ms with dt = {dt:g} ms ({dtype}) in {elapsed:.2f} s (compilation included)")
    if args.out:
        print(f"results written to {results.save(args.out)}")
    if args.plot:
        _plot(results, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _plot(results, path: str) -> None:
    if results.spike_monitored:
        results.plot_raster(path=path)
        return
    traces = results.traced
    if not traces:
        raise CLIError("nothing to plot: the model has no spike or state monitors",
                       hint="add net.monitor_spikes(P) or net.monitor(P, 'v')")
    pop, var = traces[0]
    results.plot_trace(pop, var, path=path)


def command_ir(args) -> int:
    namespace = load_script(args.script)
    report = PassReport()
    print_after = "all" if args.print_after_all else "none"
    model = namespace["model"]
    if args.before_passes:
        print(ir.print_model(model), end="")
        return 0
    lowered = run_pipeline(model, args.pipeline, verify_each=True, print_after=print_after, report=report)
    for label, text in report.printed:
        print(f"// ---- IR after {label} ----")
        print(text)
    if not report.printed:
        print(ir.print_model(lowered), end="")
    if args.timings:
        print(report.timing_table(), file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuroflow", description="Compile and run brain-dynamics models.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compile and simulate a model script")
    run.add_argument("script")
    run.add_argument("--duration", type=float, help="simulated time in ms (default: the script's `duration`)")
    run.add_argument("--dt", type=float, help="time step in ms (default: the script's `dt`, else 0.1)")
    run.add_argument("--dtype", choices=("float32", "float64"))
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", help="write the results to this .npz file")
    run.add_argument("--plot", help="write a raster plot (or a trace if no spikes are monitored) to this image")
    run.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=command_run)
    show = sub.add_parser("ir", help="print a model's IR after the pass pipeline")
    show.add_argument("script")
    show.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    show.add_argument("--print-after-all", action="store_true", help="print the IR after every pass")
    show.add_argument("--before-passes", action="store_true", help="print the IR as the frontend built it")
    show.add_argument("--timings", action="store_true", help="print per-pass timings to stderr")
    show.set_defaults(handler=command_ir)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except ir.NeuroflowError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
