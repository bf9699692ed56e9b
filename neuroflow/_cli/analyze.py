"""`neuroflow analyze ...`: fixed points, bifurcations, slow points, fast-slow dissection and
phase planes of a model's equations."""
from __future__ import annotations

import re
import sys

from .. import ir
from .common import CLIError, check_output, load_model, write_json


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
    """The system to analyse, once the files the command would write are known to be writable
    (an analysis can take minutes; a missing folder is refused before it)."""
    from ..runtime.analyze import System

    check_output(args.json, "--json")
    check_output(getattr(args, "plot", None), "--plot")
    return System(load_model(args.script)["model"], _assignments(args.set), args.population)


def _save_plot(draw, path: str | None) -> None:
    """`draw()`'s axes written to `path`, when one is given."""
    if path:
        from ..runtime.analyze._plot import save

        save(draw(), path)
        print(f"plot written to {path}")


def _warn(messages) -> None:
    for message in messages:
        print(f"warning: {message}", file=sys.stderr)


def command_fixed_points(args) -> int:
    from ..runtime.analyze import fixed_points

    found = fixed_points(_analysed(args), count=args.seeds)
    if not len(found):
        raise CLIError(f"no fixed point found: {found.messages[0]}",
                       hint="Newton diverged or met a singular Jacobian from every seed")
    for point in found:
        values = found.system.state_dict(point.state)
        state = "  ".join(f"{k} = {v:.10g}" for k, v in values.items())
        print(f"{point.stability:16s} {state}")
    write_json(found.to_json(), args.json)
    return 0


def command_bifurcation(args) -> int:
    from ..runtime.analyze import continuation

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
    write_json(data, args.json)

    def draw():  # the codimension-2 curves, if any, else the branches
        if not curves:
            return result.plot(args.var)
        from ..runtime.analyze._plot import axes

        ax = axes()
        for curve in curves:
            curve.plot(ax)
        return ax

    _save_plot(draw, args.plot)
    return 0


def _codim2(result, args) -> list:
    """With --param2: the curve of each fold and Hopf point in two parameters."""
    if not args.param2:
        return []
    from ..runtime.analyze import codim2_curve

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
    from ..runtime.analyze import slow_points

    found = slow_points(_analysed(args), count=args.count, noise=args.noise, steps=args.steps,
                        tol=args.tol, modes=args.modes, duration=args.duration)
    _warn(found.messages)
    for k, q in enumerate(found.speed):
        slowest = "" if found.eigenvalues is None else \
            f"  leading eigenvalue {found.eigenvalues[k][0].real:.4g}"
        print(f"q = {q:.4g}{slowest}")
    write_json(found.to_json(), args.json)
    return 0


def command_fast_slow(args) -> int:
    from ..runtime.analyze import fast_slow

    result = fast_slow(_analysed(args), args.slow, _interval(args.range, "--range"), args.var,
                       cycles=args.cycles, duration=args.duration)
    _warn(result.fast.messages)
    for point in result.fast.points:
        print(f"{point.type:7s} {args.slow} = {point.value:.12g}")
    write_json(result.to_json(), args.json)
    _save_plot(result.plot, args.plot)
    return 0


def command_phase_plane(args) -> int:
    from ..runtime.analyze import phase_plane

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
    write_json(plane.to_json(), args.json)
    _save_plot(plane.plot, args.plot)
    return 0


def add_parser(sub) -> None:
    analyze = sub.add_parser("analyze", help="fixed points, bifurcations and phase planes of a"
                                             " model's equations")
    kinds = analyze.add_subparsers(dest="analysis", required=True)

    def analysis(name: str, what: str, handler):
        """The parser of one analysis, with the arguments all of them take."""
        parser = kinds.add_parser(name, help=what)
        parser.add_argument("script")
        parser.add_argument("--set", action="append", metavar="P.NAME=VALUE",
                            help="set a parameter (internal units, or e.g. 50*pA)")
        parser.add_argument("--population", help="analyse this population alone")
        parser.add_argument("--json", help="write the results to this JSON file")
        parser.set_defaults(handler=handler)
        return parser

    fixed = analysis("fixed-points", "equilibria and their stability", command_fixed_points)
    fixed.add_argument("--seeds", type=int, default=256, help="starting points for Newton")
    bifurcation = analysis("bifurcation", "continuation of equilibria in one parameter: folds,"
                           " Hopf and branch points", command_bifurcation)
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
    slow = analysis("slow-points", "minima of |f|^2/2 from points of a trajectory (Sussillo &"
                    " Barak)", command_slow_points)
    slow.add_argument("--count", type=int, default=128, help="candidates along the trajectory")
    slow.add_argument("--noise", type=float, default=0.0, help="added to each candidate")
    slow.add_argument("--steps", type=int, default=1000, help="Adam steps")
    slow.add_argument("--tol", type=float, default=1e-8, help="largest q kept")
    slow.add_argument("--modes", type=int, default=None,
                      help="only the K leading eigenvalues of each point (Arnoldi)")
    slow.add_argument("--duration", type=float, default=200.0,
                      help="of the trajectory, in ms")
    dissect = analysis("fast-slow", "the fast subsystem's equilibria against a frozen slow"
                       " variable, with a trajectory", command_fast_slow)
    dissect.add_argument("--slow", required=True, help="the slow variable, e.g. z")
    dissect.add_argument("--range", required=True, metavar="LO:HI", help="of the slow variable")
    dissect.add_argument("--var", help="the fast variable shown (default: the first other)")
    dissect.add_argument("--cycles", action="store_true",
                         help="continue the fast oscillations born at Hopf points too")
    dissect.add_argument("--duration", type=float, default=1000.0,
                         help="of the trajectory, in ms")
    dissect.add_argument("--plot", help="write the diagram to this image")
    plane = analysis("phase-plane", "nullclines, fixed points and trajectories of two state"
                     " variables", command_phase_plane)
    plane.add_argument("--vars", help="the two variables, e.g. v,w (default: the first two)")
    plane.add_argument("--xlim", metavar="LO:HI")
    plane.add_argument("--ylim", metavar="LO:HI")
    plane.add_argument("--duration", type=float, default=200.0,
                       help="of the trajectory from the initial state, in ms")
    plane.add_argument("--plot", help="write the phase plane to this image")
