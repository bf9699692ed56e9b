"""The `neuroflow` command: `check` a model, `run` it, print its `ir`, `analyze` its dynamics; show
or clear the `cache`.

A model is a `.nfl` file (the model language; its `run` section gives dt, duration, dtype and seed)
or a Python script that defines `model` (an `ir.Model`) or `net` (a `Network`), and optionally `dt`,
`duration` and `dtype`.  A script is executed with `__name__ != "__main__"`, so its own demo code
does not run.  Options given on the command line win over the model's own settings.
"""
from __future__ import annotations

import argparse
import json
import re
import runpy
import shutil
import sys
import time
from pathlib import Path

from . import ir
from .frontend import Network, load
from .passes import DEFAULT_PIPELINE, PassReport, run_pipeline
from .runtime import compile
from .runtime.simulate import SimulationError, SimulationInterrupted, to_ms


class CLIError(ir.NeuroflowError):
    pass


def load_model(path: str) -> dict:
    """The model at `path` and its settings, as a namespace: `model`, and `dt`, `duration`,
    `dtype`, `seed` where the model gives them."""
    file = Path(path)
    if not file.is_file():
        raise CLIError(f"no such model file: {path}")
    if file.suffix == ".nfl":
        return _load_nfl(path)
    if file.suffix == ".py":
        return _load_script(path)
    raise CLIError(f"cannot read '{path}': a model is a .nfl file or a Python script (.py)")


def _load_nfl(path: str) -> dict:
    loaded = load(path)
    if loaded.model is None:
        raise CLIError(f"{path} defines no network to run",
                       hint="add a network, or name the one to run in the run section: "
                            "run NAME { ... }")
    settings = {key: getattr(loaded.settings, key) for key in ("dt", "duration", "dtype", "seed")}
    return {"model": loaded.model} | {key: v for key, v in settings.items() if v is not None}


def _load_script(path: str) -> dict:
    """Execute a model script and return its namespace with `model` built."""
    namespace = runpy.run_path(path, run_name="__neuroflow__")
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
    dt = args.dt if args.dt is not None else namespace.get("dt", 0.1)
    duration = args.duration if args.duration is not None else namespace.get("duration", 1000.0)
    dtype = args.dtype or namespace.get("dtype", "float32")
    return to_ms(dt, "dt"), to_ms(duration, "duration"), dtype


def _check_output(path: str | None, what: str, formats: set[str] | None = None) -> None:
    """Refuse, before anything runs, a file that cannot be written."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise CLIError(f"{what} {path}: the folder {folder} does not exist")
    suffix = Path(path).suffix.lstrip(".").lower()
    if formats is not None and suffix not in formats:
        raise CLIError(f"{what} {path}: '{suffix or 'no extension'}' is not an image format",
                       hint=f"use one of {', '.join(sorted(formats))}")


def _image_formats() -> set[str]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise CLIError("--plot needs matplotlib", hint='pip install "neuroflow[plot]"') from None
    return set(Figure().canvas.get_supported_filetypes())


def command_run(args) -> int:
    _check_output(args.out, "--out")
    _check_output(args.plot, "--plot", _image_formats() if args.plot else None)
    namespace = load_model(args.script)
    dt, duration, dtype = _settings(args, namespace)
    seed = args.seed if args.seed is not None else namespace.get("seed", 0)
    start = time.perf_counter()
    simulator = compile(namespace["model"], dt=dt, dtype=dtype, pipeline=args.pipeline)
    try:
        results = simulator.run(duration, seed=seed, progress=not args.quiet and None)
    except SimulationError as stopped:  # NaN, or Ctrl-C: keep what was simulated
        if stopped.results is not None and args.out:
            print(f"partial results written to {stopped.results.save(args.out)}",
                  file=sys.stderr)
        if isinstance(stopped, SimulationInterrupted):
            print(f"stopped: {stopped}", file=sys.stderr)
            return 130
        raise
    elapsed = time.perf_counter() - start
    print(results.summary())
    print(f"simulated {results.duration_ms:g} ms with dt = {dt:g} ms ({dtype}) in {elapsed:.2f}"
          " s (compilation included)")
    if args.out:
        print(f"results written to {results.save(args.out)}")
    if args.plot:
        _plot(results, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _plot(results, path: str) -> None:
    results.plot(path=path)  # what the model monitors: a raster and each trace


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
    lowered = run_pipeline(model, args.pipeline, verify_each=True, report=report,
                           print_after="all" if args.print_after_all else "none")
    for label, text in report.printed:
        print(f"// ---- IR after {label} ----")
        print(text)
    if not report.printed:
        print(ir.print_model(lowered), end="")
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
        print(f"  {name:24s} {_count(files, 'file'):>12s} {size / 2**20:9.1f} MiB")
    return 0


def summary(model: ir.Model) -> str:
    """What a model holds, one line per population, projection and coupling."""
    monitors = (model.find(ir.SpikeMonitor) + model.find(ir.RateMonitor)
                + model.find(ir.StateMonitor))
    couplings = model.find(ir.Coupling)
    counts = [_count(model.populations, "population"),
              _count(model.find(ir.Projection), "projection")]
    counts += [_count(couplings, "coupling")] if couplings else []
    counts += [_count(monitors, "monitor")]
    lines = [f"model {model.name}: {', '.join(counts)}"]
    for pop in model.populations:
        states = [v.name for v in model.find(ir.StateVar, pop.name)]
        params = model.find(ir.Parameter, pop.name)
        lines.append(f"  population {pop.name}: {pop.size} neurons, method={pop.method},"
                     f" variables {', '.join(states) or 'none'}; {_count(params, 'parameter')}")
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


_QUANTITY = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
                       r"((?:[*/]\s*[A-Za-z]\w*\s*)*)")


def _quantity(text: str, what: str):
    """`50`, `50*pA` or `10*uA/cm2`: a number (internal units) or a quantity."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise CLIError(f"cannot read the value '{text}' of {what}",
                       hint="write a number, or a number times units: 50*pA, 10*uA/cm2")
    value = float(match.group(1))
    for op, name in re.findall(r"([*/])\s*(\w+)", match.group(2)):
        unit = ir.get_unit(name)
        if unit is None:
            raise CLIError(f"unknown unit '{name}' in {what}",
                           hint=ir.did_you_mean(name, ir.UNITS) or "units are Brian2's: mV, pA")
        value = value * unit if op == "*" else value / unit
    return value


def _assignments(items) -> dict:
    values = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise CLIError(f"--set needs NAME=VALUE, got '{item}'", hint="--set P.I=0.5")
        values[name.strip()] = _quantity(text, name.strip())
    return values


def _interval(text: str, what: str) -> tuple[float, float]:
    low, sep, high = text.partition(":")
    try:
        return float(low), float(high)
    except ValueError:
        raise CLIError(f"{what} must be LO:HI, got '{text}'", hint="--range 0:2") from None


def _analysed(args):
    from .runtime.analyze import System

    return System(load_model(args.script)["model"], _assignments(args.set), args.population)


def _write_json(data: dict, path: str | None) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=1) + "\n")
        print(f"JSON written to {path}")


def _save_plot(draw, path: str | None) -> None:
    """`draw()`'s axes written to `path`, when one is given."""
    if path:
        from .runtime.analyze._plot import save

        save(draw(), path)
        print(f"plot written to {path}")


def _warn(messages) -> None:
    for message in messages:
        print(f"warning: {message}", file=sys.stderr)


def command_fixed_points(args) -> int:
    from .runtime.analyze import fixed_points

    found = fixed_points(_analysed(args), count=args.seeds)
    if not len(found):
        raise CLIError(f"no fixed point found: {found.messages[0]}",
                       hint="Newton diverged or met a singular Jacobian from every seed")
    for point in found:
        values = found.system.state_dict(point.state)
        state = "  ".join(f"{k} = {v:.10g}" for k, v in values.items())
        print(f"{point.stability:16s} {state}")
    _write_json(found.to_json(), args.json)
    return 0


def command_bifurcation(args) -> int:
    from .runtime.analyze import continuation

    result = continuation(_analysed(args), args.param, _interval(args.range, "--range"),
                          cycles=args.cycles, allow_threshold=args.allow_threshold)
    _warn(result.messages)
    for point in result.points:
        extra = ""
        if point.type == "hopf":
            extra = (f"  l1 = {point.l1:.6g} ({point.criticality})"
                     f"  period = {point.period:.6g} ms")
        elif point.period is not None:
            extra = f"  period = {point.period:.6g} ms"
        unit = "" if result.unit == "1" else f" {result.unit}"
        print(f"{point.type:7s} {result.param} = {point.value:.12g}{unit}{extra}")
    if not result.points:
        print(f"no bifurcation of equilibria for {result.param} in {args.range}")
    data, curves = result.to_json(), _codim2(result, args)
    if curves:
        data["curves"] = [c.to_json(result.system) for c in curves]
    _write_json(data, args.json)
    if args.plot:
        from .runtime.analyze._plot import axes, save

        if curves:
            ax = axes()
            for curve in curves:
                curve.plot(ax)
        else:
            ax = result.plot(args.var)
        save(ax, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _codim2(result, args) -> list:
    """With --param2: the curve of each fold and Hopf point in two parameters."""
    if not args.param2:
        return []
    from .runtime.analyze import codim2_curve

    curves = []
    for point in result.points:
        if point.type not in ("fold", "hopf"):
            continue
        curve = codim2_curve(result, point, args.param2, _interval(args.range2 or "", "--range2"))
        _warn(f"{point.type} curve: {m}" for m in curve.messages)
        for special in curve.points:
            a, b = special.values
            print(f"{special.type:7s} {curve.params[0]} = {a:.10g}  {curve.params[1]} = {b:.10g}"
                  f"  (on the {point.type} curve)")
        curves.append(curve)
    return curves


def command_slow_points(args) -> int:
    from .runtime.analyze import slow_points

    found = slow_points(_analysed(args), count=args.count, noise=args.noise, steps=args.steps,
                        tol=args.tol, modes=args.modes, duration=args.duration)
    _warn(found.messages)
    for k, q in enumerate(found.speed):
        slowest = "" if found.eigenvalues is None else \
            f"  leading eigenvalue {found.eigenvalues[k][0].real:.4g}"
        print(f"q = {q:.4g}{slowest}")
    _write_json(found.to_json(), args.json)
    return 0


def command_fast_slow(args) -> int:
    from .runtime.analyze import fast_slow

    result = fast_slow(_analysed(args), args.slow, _interval(args.range, "--range"), args.var,
                       cycles=args.cycles, duration=args.duration)
    _warn(result.fast.messages)
    for point in result.fast.points:
        print(f"{point.type:7s} {args.slow} = {point.value:.12g}")
    _write_json(result.to_json(), args.json)
    _save_plot(result.plot, args.plot)
    return 0


def command_phase_plane(args) -> int:
    from .runtime.analyze import phase_plane

    system = _analysed(args)
    names = args.vars.split(",") if args.vars else system.state_names[:2]
    bounds = {}
    for name, limits in zip(names, (args.xlim, args.ylim)):
        if limits:
            bounds[name.strip()] = _interval(limits, "a limit")
    plane = phase_plane(system, args.vars, bounds=bounds, duration=args.duration)
    _warn(plane.messages)
    for point in plane.fixed_points:
        state = "  ".join(f"{v} = {point.state[system.state_index(v)]:.10g}" for v in plane.vars)
        print(f"{point.stability:16s} {state}")
    _write_json(plane.to_json(), args.json)
    _save_plot(plane.plot, args.plot)
    return 0


def _analyze_parser(sub) -> None:
    analyze = sub.add_parser("analyze", help="fixed points, bifurcations and phase planes of a"
                                             " model's equations")
    kinds = analyze.add_subparsers(dest="analysis", required=True)

    def common(parser):
        parser.add_argument("script")
        parser.add_argument("--set", action="append", metavar="P.NAME=VALUE",
                            help="set a parameter (internal units, or e.g. 50*pA)")
        parser.add_argument("--population", help="analyse this population alone")
        parser.add_argument("--json", help="write the results to this JSON file")

    fixed = kinds.add_parser("fixed-points", help="equilibria and their stability")
    common(fixed)
    fixed.add_argument("--seeds", type=int, default=256, help="starting points for Newton")
    fixed.set_defaults(handler=command_fixed_points)
    bifurcation = kinds.add_parser("bifurcation", help="continuation of equilibria in one"
                                                       " parameter: folds, Hopf and branch points")
    common(bifurcation)
    bifurcation.add_argument("--param", required=True, help="the parameter, e.g. P.I")
    bifurcation.add_argument("--range", required=True, metavar="LO:HI")
    bifurcation.add_argument("--plot", help="write the bifurcation diagram to this image")
    bifurcation.add_argument("--var", help="the state variable plotted (default: the first)")
    bifurcation.add_argument("--param2", help="continue each fold and Hopf point in this second"
                                              " parameter too: cusp, Bogdanov-Takens, Bautin")
    bifurcation.add_argument("--range2", metavar="LO:HI", help="the range of --param2")
    bifurcation.add_argument("--cycles", action="store_true",
                             help="continue the limit cycles born at Hopf points too")
    bifurcation.add_argument("--allow-threshold", action="store_true",
                             help="analyse a spiking model's equations without its threshold")
    bifurcation.set_defaults(handler=command_bifurcation)
    slow = kinds.add_parser("slow-points", help="minima of |f|^2/2 from points of a trajectory"
                                                " (Sussillo & Barak)")
    common(slow)
    slow.add_argument("--count", type=int, default=128, help="candidates along the trajectory")
    slow.add_argument("--noise", type=float, default=0.0, help="added to each candidate")
    slow.add_argument("--steps", type=int, default=1000, help="Adam steps")
    slow.add_argument("--tol", type=float, default=1e-8, help="largest q kept")
    slow.add_argument("--modes", type=int, default=None,
                      help="only the K leading eigenvalues of each point (Arnoldi)")
    slow.add_argument("--duration", type=float, default=200.0,
                      help="of the trajectory, in ms")
    slow.set_defaults(handler=command_slow_points)
    dissect = kinds.add_parser("fast-slow", help="the fast subsystem's equilibria against a"
                                                 " frozen slow variable, with a trajectory")
    common(dissect)
    dissect.add_argument("--slow", required=True, help="the slow variable, e.g. z")
    dissect.add_argument("--range", required=True, metavar="LO:HI", help="of the slow variable")
    dissect.add_argument("--var", help="the fast variable shown (default: the first other)")
    dissect.add_argument("--cycles", action="store_true",
                         help="continue the fast oscillations born at Hopf points too")
    dissect.add_argument("--duration", type=float, default=1000.0,
                         help="of the trajectory, in ms")
    dissect.add_argument("--plot", help="write the diagram to this image")
    dissect.set_defaults(handler=command_fast_slow)
    plane = kinds.add_parser("phase-plane", help="nullclines, fixed points and trajectories of"
                                                 " two state variables")
    common(plane)
    plane.add_argument("--vars", help="the two variables, e.g. v,w (default: the first two)")
    plane.add_argument("--xlim", metavar="LO:HI")
    plane.add_argument("--ylim", metavar="LO:HI")
    plane.add_argument("--duration", type=float, default=200.0,
                       help="of the trajectory from the initial state, in ms")
    plane.add_argument("--plot", help="write the phase plane to this image")
    plane.set_defaults(handler=command_phase_plane)


def _count(items, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuroflow",
                                     description="Compile and run brain-dynamics models.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compile and simulate a model (.nfl or .py)")
    run.add_argument("script")
    run.add_argument("--duration", type=float,
                     help="simulated time in ms (default: the model's `duration`)")
    run.add_argument("--dt", type=float,
                     help="time step in ms (default: the model's `dt`, else 0.1)")
    run.add_argument("--dtype", choices=("float32", "float64"))
    run.add_argument("--seed", type=int, help="random seed (default: the model's `seed`, else 0)")
    run.add_argument("--out", help="write the results to this .npz file")
    run.add_argument("--plot", help="write what the model monitors (a raster of the spikes and"
                                    " each trace, one panel each) to this image")
    run.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=command_run)
    show = sub.add_parser("ir", help="print a model's IR after the pass pipeline")
    show.add_argument("script")
    show.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    show.add_argument("--print-after-all", action="store_true",
                      help="print the IR after every pass")
    show.add_argument("--before-passes", action="store_true",
                      help="print the IR as the frontend built it")
    show.add_argument("--timings", action="store_true", help="print per-pass timings to stderr")
    show.set_defaults(handler=command_ir)
    check = sub.add_parser("check", help="parse and resolve a model; print its errors or a summary")
    check.add_argument("script")
    check.set_defaults(handler=command_check)
    cache = sub.add_parser("cache", help="show what neuroflow's cache holds, or empty it")
    cache.add_argument("--clear", action="store_true",
                       help="delete everything in the cache (rebuilt on demand)")
    cache.set_defaults(handler=command_cache)
    _analyze_parser(sub)
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
