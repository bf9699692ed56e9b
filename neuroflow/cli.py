"""The `neuroflow` command: `check` a model, `run` it, print its `ir`, `analyze` its dynamics,
`bench` its compilation and runs; show or clear the `cache`.  `analyze` and `bench` have their
modules in `neuroflow._cli`, with what the commands share (`_cli.common`).

A model is a `.nfl` file (the model language; its `run` section gives dt, duration, dtype and seed)
or a Python script that defines `model` (an `ir.Model`) or `net` (a `Network`), and optionally `dt`,
`duration` and `dtype`.  A script is executed with `__name__ != "__main__"`, so its own demo code
does not run.  Options given on the command line win over the model's own settings.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import jax

from . import distributed, ir
from ._cli import analyze, bench
from ._cli.processes import run_over_processes
from ._cli.common import (CLIError, add_run_settings, check_output, counted, load_model,
                          run_settings)
from .frontend import load
from .passes import DEFAULT_PIPELINE, PassReport, run_pipeline
from .backend.jax import device_kind, lower
from .backend.jax._memory import estimate
from .runtime import compile, require_pynwb
from .runtime._checks import to_ms
from .runtime.simulate import SimulationError, SimulationInterrupted

__all__ = ["main", "load_model", "summary"]


def _image_formats() -> set[str]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise CLIError("--plot needs matplotlib", hint='pip install "neuroflow[plot]"') from None
    return set(Figure().canvas.get_supported_filetypes())


def _check_results_file(path: str | None) -> None:
    """An .nwb file needs pynwb: say so before anything runs."""
    check_output(path, "--out")
    if path and Path(path).suffix.lower() == ".nwb":
        require_pynwb()


def _write_results(results, path: str) -> Path:
    """NWB for a file named .nwb, else neuroflow's .npz."""
    return results.to_nwb(path) if Path(path).suffix.lower() == ".nwb" else results.save(path)


def command_run(args) -> int:
    _check_results_file(args.out)
    check_output(args.plot, "--plot", _image_formats() if args.plot else None)
    if args.processes is not None:
        return run_over_processes(args)
    # first, before the model file (a script) can start JAX: a process of a job started by
    # `--processes` or on a cluster joins it here; run alone, this does nothing
    job = distributed.initialize()
    lead = job.index == 0
    namespace = load_model(args.script)
    dt, duration, dtype = run_settings(args, namespace)
    seed = args.seed if args.seed is not None else namespace.get("seed", 0)
    start = time.perf_counter()
    # a job of several processes runs one network over all their devices, each its own part
    devices = jax.devices() if job.count > 1 else None
    simulator = compile(namespace["model"], dt=dt, dtype=dtype, pipeline=args.pipeline,
                        devices=devices)
    if args.dry_run:
        return _dry_run(simulator, duration) if lead else 0
    try:
        results = simulator.run(duration, seed=seed, progress=not args.quiet and None)
    except SimulationError as stopped:  # NaN, or Ctrl-C: keep what was simulated
        if stopped.results is not None and args.out and lead:
            print(f"partial results written to {_write_results(stopped.results, args.out)}",
                  file=sys.stderr)
        if isinstance(stopped, SimulationInterrupted):
            print(f"stopped: {stopped}", file=sys.stderr)
            return 130
        raise
    elapsed = time.perf_counter() - start
    if not lead:  # every process of a job holds the same results: process 0 reports them
        return 0
    print(results.summary())
    print(f"simulated {results.duration_ms:g} ms with dt = {dt:g} ms ({dtype}) in {elapsed:.2f}"
          " s (compilation included)")
    if args.out:
        print(f"results written to {_write_results(results, args.out)}")
    if args.plot:
        results.plot(path=args.plot)  # what the model monitors: a raster and each trace
        print(f"plot written to {args.plot}")
    return 0


def _dry_run(simulator, duration: float) -> int:
    """Print the memory a run would take and whether it fits; run nothing."""
    estimate = simulator.memory(duration)
    print(estimate.text())
    available = ir.memory_limit()
    if available is not None:
        verdict = "fits" if estimate.peak <= available else "does NOT fit"
        print(f"{verdict} in this machine's {ir.size_text(available)}")
    return 0


def _memory_comment(lowered: ir.Model, namespace: dict) -> str:
    """The memory estimate of a run of the model as `//` lines to print after its IR."""
    dt = to_ms(namespace.get("dt", 0.1), "dt")
    duration = to_ms(namespace.get("duration", 1000.0), "duration")
    program = lower(lowered, dt, namespace.get("dtype", "float32"), native=False)
    found = estimate(program, max(round(duration / dt), 1))
    return "".join(f"// {line}\n" for line in found.text().splitlines())


def command_ir(args) -> int:
    namespace = load_model(args.script)
    model = namespace["model"]
    delayed = ir.delayed_reads(model) or any(p.heterogeneous_delay or p.delay > 0
                                             for p in model.find(ir.Projection))
    if delayed and "clock" not in model:  # delays are counted in steps of the run's dt
        dt = namespace.get("dt")
        model = model.add(ir.Clock(to_ms(dt, "dt") if dt is not None else 0.1))
    if args.before_passes:
        print(ir.print_model(model), end="")
        return 0
    report = PassReport()
    # the kernels' costs for the device a run here would have; `kernels{device=gpu}` overrides
    lowered = run_pipeline(model, args.pipeline, verify_each=True, report=report,
                           print_after="all" if args.print_after_all else "none",
                           defaults={"kernels": {"device": device_kind()}})
    for label, text in report.printed:
        print(f"// ---- IR after {label} ----")
        print(text)
    if not report.printed:
        print(ir.print_model(lowered), end="")
    if args.memory:
        print(_memory_comment(lowered, namespace), end="")
    if args.timings:
        print(report.timing_table(), file=sys.stderr)
    return 0


def command_check(args) -> int:
    """Parse and resolve a model; print its errors, or a summary of what it holds."""
    start = time.perf_counter()
    if args.script.endswith(".nfl") and Path(args.script).is_file():
        loaded = load(args.script)
        if loaded.model is None:
            names = ", ".join(loaded.components) or "nothing"
            print(f"{args.script}: ok, a library: {names} (no network)")
            return 0
        model, dt = loaded.model, loaded.settings.dt
    else:
        namespace = load_model(args.script)
        model, dt = namespace["model"], namespace.get("dt")
    # the whole pipeline, not only `resolve`: a method that cannot integrate the equations,
    # or a delay that no buffer can hold, is the model's mistake too
    run_pipeline(model, "resolve")
    clock = ir.Clock(to_ms(dt, "dt") if dt is not None else 0.1)
    run_pipeline(model.replace(clock) if "clock" in model else model.add(clock), DEFAULT_PIPELINE)
    elapsed = time.perf_counter() - start
    print(f"{args.script}: ok ({elapsed * 1000:.0f} ms)")
    print(summary(model))
    return 0


def command_cache(args) -> int:
    """Say where the cache is and what it holds, or empty it: everything in it is rebuilt on demand
    (native kernels, generated code, compiled XLA steps, parser tables)."""
    root = ir.cache_dir()
    if args.clear:
        shutil.rmtree(root, ignore_errors=True)
        print(f"emptied {root}")
        return 0
    if not root.is_dir():
        print(f"{root}: empty")
        return 0
    private = ir.private_folder(root)
    print(f"{root} ({'private' if private else 'NOT private: nothing is loaded from it'})")
    print("  trust: only what this user built is loaded (folders mode 0700 and owned by you; each"
          " library's SHA-256 recorded at build time and checked before loading; anything else"
          " is built again)")
    groups = {f"{entry.name}/": [p for p in entry.rglob("*") if p.is_file()]
              for entry in sorted(root.iterdir()) if entry.is_dir()}
    groups["native kernels (*.so)"] = sorted(root.glob("*.so"))
    for name, files in groups.items():
        size = sum(p.stat().st_size for p in files)
        print(f"  {name:24s} {counted(files, 'file'):>12s} {size / 2**20:9.1f} MiB")
    return 0


def summary(model: ir.Model) -> str:
    """What a model holds, one line per population, projection and coupling."""
    monitors = (model.find(ir.SpikeMonitor) + model.find(ir.RateMonitor)
                + model.find(ir.StateMonitor))
    couplings = model.find(ir.Coupling)
    counts = [counted(model.populations, "population"),
              counted(model.find(ir.Projection), "projection")]
    counts += [counted(couplings, "coupling")] if couplings else []
    counts += [counted(monitors, "monitor")]
    lines = [f"model {model.name}: {', '.join(counts)}"]
    for pop in model.populations:
        states = [v.name for v in model.find(ir.StateVar, pop.name)]
        params = model.find(ir.Parameter, pop.name)
        lines.append(f"  population {pop.name}: {pop.size} neurons, method={pop.method},"
                     f" variables {', '.join(states) or 'none'}; {counted(params, 'parameter')}")
    for proj in model.find(ir.Projection):
        lines.append(f"  projection {proj.name}: {proj.pre.text()} -> {proj.post.text()}"
                     f" connect={proj.rule.text()} on_pre={{{proj.effect.text()}}}")
    for node in couplings:
        lines.append(f"  coupling {node.name}: {node.pre.text()} -> {node.post.text()}"
                     f" connect={node.rule.text()} summed {node.target} ="
                     f" {{{ir.to_text(node.summand)}}}")
    for node in model.find(ir.TimedInput):
        lines.append(f"  input {node.id}: {node.bins} values every {node.period:g} ms")
    for node in model.find(ir.PoissonInput):
        lines.append(f"  input {node.pop}.{node.var}: Poisson, {node.n} sources of rate"
                     f" {ir.to_text(node.rate)}, weight {ir.to_text(node.weight)}")
    return "\n".join(lines)


def _process_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a number of processes is a whole number >= 1,"
                                         f" not {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuroflow",
                                     description="Compile and run brain-dynamics models.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compile and simulate a model (.nfl or .py)")
    add_run_settings(run)
    run.add_argument("--out", help="write the results to this file: .npz (neuroflow's own), or"
                                   " .nwb (Neurodata Without Borders; needs pynwb)")
    run.add_argument("--plot", help="write what the model monitors (a raster of the spikes and"
                                    " each trace, one panel each) to this image")
    run.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--dry-run", action="store_true",
                     help="compile and print the memory the run would take; run nothing")
    run.add_argument("--processes", type=_process_count, metavar="N",
                     help="run as N local processes of one JAX job (jax.distributed, coordinator"
                          " on localhost); on a cluster, set NEUROFLOW_COORDINATOR,"
                          " NEUROFLOW_PROCESSES and NEUROFLOW_PROCESS_ID instead")
    run.set_defaults(handler=command_run)
    show = sub.add_parser("ir", help="print a model's IR after the pass pipeline")
    show.add_argument("script")
    show.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    show.add_argument("--print-after-all", action="store_true",
                      help="print the IR after every pass")
    show.add_argument("--before-passes", action="store_true",
                      help="print the IR as the frontend built it")
    show.add_argument("--timings", action="store_true", help="print per-pass timings to stderr")
    show.add_argument("--memory", action="store_true",
                      help="after the IR, the memory a run would take, as // comments (the IR"
                           " parser reads no comments: leave it out to read the text back)")
    show.set_defaults(handler=command_ir)
    check = sub.add_parser("check", help="parse and resolve a model; print its errors or a summary")
    check.add_argument("script")
    check.set_defaults(handler=command_check)
    cache = sub.add_parser("cache", help="show what neuroflow's cache holds, or empty it")
    cache.add_argument("--clear", action="store_true",
                       help="delete everything in the cache (rebuilt on demand)")
    cache.set_defaults(handler=command_cache)
    analyze.add_parser(sub)
    bench.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except ir.NeuroflowError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the output went to `head` or similar, which stopped reading
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # before or after a run (a run itself stops at a chunk's end)
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
