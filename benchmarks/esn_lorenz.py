"""The Lorenz echo-state network side by side (issue 14's protocol): held-out errors of a ridge
and an RLS (FORCE) readout on the same reservoir matrices in neuroflow, ReservoirPy 0.4.2,
BrainPy 2.9 and a plain-numpy reference.

    python benchmarks/esn_lorenz.py                     # seeds 0-9, RLS sweep (~8 min)
    python benchmarks/esn_lorenz.py --quick             # seeds 0-1, no sweep
    python benchmarks/esn_lorenz.py --only numpy reservoirpy --no-sweep
    python benchmarks/esn_lorenz.py --only-setup        # make the peers' venvs and stop

The protocol is written out in benchmarks/peers/_esn.py; data and matrices come from
examples/train/tasks.py, so every tool gets the same Lorenz trajectory and, per seed, the same
reservoir.  One process per tool (all seeds in it), one at a time:

  numpy         the reference: the reservoir as a float64 loop, closed-form ridge, textbook
                RLS with the bias inside P (its own worker, this interpreter)
  reservoirpy   Reservoir + Ridge(1e-6) + RLS(P0 = 0.1 I, one partial_fit pass), float64
  brainpy       bp.dyn.Reservoir + bp.algorithms.RidgeRegression (ridge only), float32 (its
                default) and float64
  neuroflow     examples/train/esn_lorenz.py's reservoir (a summed variable) with
                nf.train.ridge and nf.train.force, float64 (neuroflow-float32: the reservoir in
                float32; the readouts are solved in float64 either way)

`--sweep` (the default; --no-sweep) adds RLS with P0 = 1, 10, 100, 1000 (times I) and with
forgetting factors 0.99999 and 0.9999, for the numpy reference and ReservoirPy: what a
better-conditioned P0 or forgetting buys.  Columns: MAE and MSE on the 29 995 held-out steps,
median over seeds (min–max); `s/seed` the median seconds of one seed (reservoir run and fit).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import train_peers  # noqa: E402  (benchmarks is not a package)
from compare import log, machine_description, wait_until_quiet  # noqa: E402

RUNS = {   # label: (venv, worker arguments)
    "neuroflow": (None, ["esn_neuroflow.py"]),
    "neuroflow-float32": (None, ["esn_neuroflow.py", "--dtype", "float32"]),
    "numpy": (None, ["esn_numpy.py"]),
    "reservoirpy": ("reservoirpy", ["esn_reservoirpy.py"]),
    "brainpy-float32": ("brainpy", ["esn_brainpy.py"]),
    "brainpy-float64": ("brainpy", ["esn_brainpy.py", "--x64"]),
}


def spread(values: list[float], form: str) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return format(med, form)
    return f"{format(med, form)} ({format(min(values), form)}–{format(max(values), form)})"


def table(results: dict, notes: dict) -> str:
    lines = ["| tool | method | MAE | MSE | s/seed | notes |", "|---|---|---|---|---:|---|"]
    for label, result in results.items():
        if result is None:
            lines.append(f"| {label} | – | – | – | – | {notes.get(label, '')} |")
            continue
        for method, scores in result["methods"].items():
            lines.append(f"| {label} | {method} | {spread(scores['mae'], '.4g')} |"
                         f" {spread(scores['mse'], '.3g')} |"
                         f" {statistics.median(scores['seconds']):.1f} | {notes.get(label, '')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--no-sweep", action="store_true", help="RLS with P0 = 0.1 I only")
    parser.add_argument("--quick", action="store_true", help="seeds 0 and 1, no sweep")
    parser.add_argument("--only", nargs="+", default=None, choices=list(RUNS))
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per process")
    parser.add_argument("--wait-idle", type=float, default=10.0)
    parser.add_argument("--json", default=None, help="write every result here")
    train_peers.add_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.no_sweep = [0, 1], True
    labels = args.only or list(RUNS)
    venvs = train_peers.prepare_all(sorted({RUNS[label][0] for label in labels
                                            if RUNS[label][0]}), args)
    if args.only_setup:
        return 0
    results, notes = {}, {}
    common = ["--seeds", *map(str, args.seeds)]
    for label in labels:
        venv, argv = RUNS[label]
        python = sys.executable if venv is None else venvs[venv].python
        if python is None:
            results[label], notes[label] = None, venvs[venv].problem
            continue
        sweep = [] if args.no_sweep or label.startswith("brainpy") else ["--sweep"]
        wait_until_quiet(args.wait_idle, 0.3)
        log(label)
        start = time.perf_counter()
        result, error = train_peers.run_worker(python, argv + common + sweep, args.timeout)
        results[label], notes[label] = result, error or train_peers.version_text(
            result["versions"]) + f"; {result.get('dtype', '')}"
        log(f"  {'done' if result else error} ({time.perf_counter() - start:.0f} s)")
    print(table(results, notes))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine_description(None),
                                               "args": vars(args), "results": results,
                                               "notes": notes}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
