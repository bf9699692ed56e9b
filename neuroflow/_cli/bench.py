"""`neuroflow bench FILE`: where the time of compiling and running a model goes, and its memory.

Times, in the order they happen:

  parse and build   reading the model file: parsing a .nfl file, or running a script
  passes            the pass pipeline (each pass also on a row of its own), verification included
  lowering          lowering the IR to the JAX program (and waiting for native kernels to build)
  XLA compilation   during the first run: JAX tracing the chunk function, lowering it to HLO, and
                    XLA compiling it (from JAX's own compilation events)
  first run         the first run of --duration, XLA compilation and drawing the connectivity
                    included
  run               the --repeats runs after it, everything compiled: the best and the median

Memory: the process's peak resident set (RSS), and the bytes of the final state, of the
connectivity and of what the monitors recorded.  The tables are Markdown, in the format of
benchmarks/compare.py (`neuroflow.tables`).
"""
from __future__ import annotations

import argparse
import math
import resource
import statistics
import sys
import time

import jax

from .. import ir, tables
from ..passes import DEFAULT_PIPELINE, PassReport
from ..runtime import compile
from ..runtime._checks import check_seed
from ..runtime._host import tree_nbytes
from .common import (CLIError, add_run_settings, check_output, counted, load_model,
                     run_settings, write_json)

# JAX's events for the stages of compiling a jitted function (jax._src.dispatch names them)
_XLA_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
               "/jax/core/compile/jaxpr_to_mlir_module_duration",
               "/jax/core/compile/backend_compile_duration")
_CACHE_HIT = "/jax/compilation_cache/cache_hits"
_MEMORY_ROWS = (("peak_rss", "peak RSS"), ("state", "state"), ("connectivity", "connectivity"),
                ("monitors", "monitors"))


def add_parser(sub) -> None:
    bench = sub.add_parser("bench", help="time parsing, passes, compilation and runs of a model,"
                                         " and measure its memory")
    add_run_settings(bench)
    bench.add_argument("--repeats", type=int, default=3,
                       help="runs after the first, everything compiled (default 3)")
    bench.add_argument("--native", action=argparse.BooleanOptionalAction, default=True,
                       help="use the native C++ kernels where they apply (default: yes)")
    bench.add_argument("--pipeline", default=DEFAULT_PIPELINE)
    bench.add_argument("--json", help="write the measurements to this JSON file")
    bench.set_defaults(handler=command_bench)


def command_bench(args) -> int:
    check_output(args.json, "--json")
    if args.repeats < 1:
        raise CLIError(f"--repeats must be at least 1, got {args.repeats}")
    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CLIError(f"--duration must be a positive time in ms, got {args.duration:g}")
    measured = measure(args)
    print(_heading(measured))
    print(tables.table(["stage", "time (s)"], _time_rows(measured)))
    print()
    print(tables.table(["memory", "size"], [[name, ir.size_text(measured["memory_bytes"][key])]
                                            for key, name in _MEMORY_ROWS]))
    write_json(measured, args.json)
    return 0


def measure(args) -> dict:
    """Compile and run the model of `args.script` as `args` says; the times (s) and sizes
    (bytes)."""
    start = time.perf_counter()
    namespace = load_model(args.script)
    parse_build = time.perf_counter() - start
    dt, duration, dtype = run_settings(args, namespace)
    seed = check_seed(args.seed if args.seed is not None else namespace.get("seed", 0))
    report = PassReport()
    start = time.perf_counter()
    sim = compile(namespace["model"], dt=dt, dtype=dtype, pipeline=args.pipeline,
                  native=args.native, report=report)
    compiled = time.perf_counter() - start
    passes = sum(seconds for _, seconds in report.timings)
    with _CompileEvents() as xla:
        start = time.perf_counter()
        results = sim.run(duration, seed=seed, progress=False)
        first = time.perf_counter() - start
    runs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        results = sim.run(duration, seed=seed, progress=False)
        runs.append(time.perf_counter() - start)
    final = results.final
    return {
        "file": args.script, "model": sim.model.name, "dt_ms": dt,
        "duration_ms": results.duration_ms, "dtype": dtype, "seed": seed,
        "native": bool(sim.program.native), "repeats": args.repeats,
        "jax": jax.__version__, "backend": jax.default_backend(),
        "seconds": {"parse_build": parse_build, "passes": passes, "lowering": compiled - passes,
                    "xla_compile": xla.seconds, "first_run": first, "run_best": min(runs),
                    "run_median": statistics.median(runs), "runs": runs},
        "xla_programs": xla.programs, "xla_from_cache": xla.cached,
        "passes": [[name, seconds] for name, seconds in report.timings],
        "memory_bytes": {"peak_rss": _peak_rss_bytes(), "state": tree_nbytes(final.state),
                         "connectivity": tree_nbytes(final.conn), "monitors": results.nbytes},
    }


class _CompileEvents:
    """Seconds JAX spent compiling (tracing, lowering to HLO, XLA) while the block ran, the
    programs XLA compiled and how many of them came from JAX's persistent cache."""

    def __init__(self):
        self.seconds, self.programs, self.cached = 0.0, 0, 0

    def _timed(self, event: str, duration: float, **_) -> None:
        if event in _XLA_EVENTS:
            self.seconds += duration
        self.programs += event == _XLA_EVENTS[-1]

    def _counted(self, event: str, **_) -> None:
        self.cached += event == _CACHE_HIT

    def __enter__(self):
        jax.monitoring.register_event_duration_secs_listener(self._timed)
        jax.monitoring.register_event_listener(self._counted)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._timed)
        jax.monitoring.unregister_event_listener(self._counted)


def _heading(m: dict) -> str:
    return (f"{m['file']}: model {m['model']}, {m['duration_ms']:g} ms simulated with dt ="
            f" {m['dt_ms']:g} ms ({m['dtype']}), seed {m['seed']}, native kernels"
            f" {'on' if m['native'] else 'off'}; jax {m['jax']} on {m['backend']}")


def _time_rows(m: dict) -> list[list[str]]:
    s, n = m["seconds"], m["repeats"]
    rows = [["parse and build", tables.number(s["parse_build"])],
            [f"passes ({len(m['passes'])})", tables.number(s["passes"])]]
    rows += [[f"↳ {name}", tables.number(seconds)] for name, seconds in m["passes"]]
    rows += [["lowering", tables.number(s["lowering"])],
             [f"XLA compilation (first run: {counted(m['xla_programs'], 'program')},"
              f" {m['xla_from_cache']} from JAX's cache)", tables.number(s["xla_compile"])],
             ["first run", tables.number(s["first_run"])],
             [f"run, best of {n}", tables.number(s["run_best"])],
             [f"run, median of {n}", tables.spread(s["runs"])[1]]]
    return rows


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS says bytes, Linux KiB
