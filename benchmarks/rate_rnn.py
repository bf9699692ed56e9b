"""Rate networks with summed variables: neuroflow against a hand-written `jax.lax.scan`, BrainPy
2.9 and Brian2 2.11 C++ standalone.

    python benchmarks/rate_rnn.py                      # both networks, every tool (~16 min)
    python benchmarks/rate_rnn.py --nets dense --repeats 5
    python benchmarks/rate_rnn.py --bcoo --json out.json

The network (benchmarks/peers/_rate.py): dx/dt = (-x + W^T tanh(x))/tau, Euler, dt = 0.1 ms,
1 s (10 000 steps); `sparse` is 4000 units with each pair coupled with probability 0.1,
`dense` 1000 units all to all.  Each measurement is one process (a worker in
benchmarks/peers/, one at a time):

  neuroflow        the builder's summed variable, the kernel the `kernels` pass chooses (auto),
                   and for `sparse` also forced dense and csr; float32
  jax-scan-FORM    one jitted lax.scan of the same update with the same W and x(0), W dense,
                   per synapse (`segsum`: gather + sorted segment_sum) or BCOO (--bcoo);
                   float32, nothing recorded: the limit for JAX
  brainpy          BrainPy 2.9 (its own venv): bp.DSRunner, dense matmul or bm.sparse.csrmv
  brian2           Brian2 2.11 C++ standalone (its own venv), float64, one thread: the
                   simulation loop as Brian2 times it, and the whole process (codegen, g++)

Before timing, each network is checked in float64: neuroflow (dense and csr kernels) and the
scan must give the same trajectory from the same W and x(0) (200 steps, ~1e-15).

Columns: `run` the best of --repeats runs with everything compiled (Brian2: its loop time);
`+compile` the first run in its process, compilation included (Brian2: the whole build,
g++ and first run of the binary); `nf/x` neuroflow (auto) divided by the row; `std x(T)` the
spread of x at the end of the first run (O(1) in the chaotic regime: a sanity check, since
BrainPy and Brian2 draw their own W); `cores` the CPU the worker itself used over its whole
process, compilation included (above 1: it ran threads); `other` the CPU cores that other
processes used meanwhile (a disturbance on a shared machine).  The peers' venvs are made by
`python benchmarks/compare.py --only-setup`; neuroflow runs under this script's interpreter.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
sys.path.insert(0, str(HERE))
from compare import (log, machine_description,  # noqa: E402  (benchmarks is not a package)
                     run_peer_worker)

NF_WORKER = "rate_rnn_neuroflow.py"


def plan(net: str, bcoo: bool) -> list[tuple[str, str, list[str]]]:
    """(label, python, worker arguments) of each measurement of `net`, in order."""
    rows = [("neuroflow (auto)", "nf", [NF_WORKER]),
            ("neuroflow (dense)", "nf", [NF_WORKER, "--kernel", "dense"]),
            ("neuroflow (csr)", "nf", [NF_WORKER, "--kernel", "csr"]),
            ("jax-scan-dense", "nf", [NF_WORKER, "--impl", "scan", "--form", "dense"]),
            ("jax-scan-segsum", "nf", [NF_WORKER, "--impl", "scan", "--form", "segsum"]),
            ("jax-scan-bcoo", "nf", [NF_WORKER, "--impl", "scan", "--form", "bcoo"]),
            ("brainpy", "brainpy", ["rate_rnn_brainpy.py"]),
            ("brian2-standalone", "brian2", ["rate_rnn_brian2.py"])]
    if net == "dense":   # all to all: csr and the sparse forms are not the question
        rows = [r for r in rows if not r[0].endswith(("(csr)", "(dense)", "segsum", "bcoo"))]
    return [r for r in rows if bcoo or not r[0].endswith("bcoo")]


def run_worker(python: str, argv: list[str], timeout: float) -> tuple[dict | None, str]:
    result, why, stdout = run_peer_worker(python, PEERS / argv[0], argv[1:], timeout)
    if result is not None and result["tag"] == "RESULT-CHECK":
        result["lines"] = [line for line in stdout.splitlines() if " vs scan " in line]
    return result, why


def run_time(result: dict) -> float | None:
    """Seconds for the simulation, compiled: Brian2's loop time, else the best run."""
    if result.get("tool") == "brian2-standalone":
        return min([result["loop_s"], *result.get("loop_s_repeats", [])])
    return result.get("best_s")


def table(net: str, rows: dict, notes: dict) -> str:
    nf = rows.get("neuroflow (auto)")
    nf_s = run_time(nf) if nf else None
    lines = [f"| {net} | tool | run (s) | +compile (s) | nf/x | std x(T) | cores | other |"
             " notes |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for label, result in rows.items():
        if result is None:
            lines.append(f"| {net} | {label} | – | – | – | – | – | – |"
                         f" {notes.get(label, '')} |")
            continue
        seconds = run_time(result)
        ratio = f"{nf_s / seconds:.2f}" if nf_s and seconds else "–"
        lines.append(f"| {net} | {label} | {seconds:.3f} | {result['first_s']:.2f} | {ratio} |"
                     f" {result['x_end_std']:.2f} | {result.get('own_cores', 0):.1f} |"
                     f" {result.get('other_cores', 0):.1f} |"
                     f" {notes.get(label, '')} |")
    return "\n".join(lines)


def describe(label: str, result: dict) -> str:
    if label.startswith("neuroflow"):
        costs = ", ".join(f"{k} {v:g}" for k, v in result.get("costs", {}).items())
        return f"kernel {result['kernel']} (predicted µs/step: {costs})"
    if label == "brainpy":
        return result["coupling"]
    if label.startswith("brian2"):
        runs = ", ".join(f"{s:.1f}" for s in result["runs_s"])
        return (f"float64, {result['synapses']} synapses; binary wall {runs} s" if runs
                else f"float64, {result['synapses']} synapses")
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=["sparse", "dense"],
                        choices=["sparse", "dense"])
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=3, help="compiled runs per measurement")
    parser.add_argument("--brian2-repeats", type=int, default=0,
                        help="further runs of Brian2's binary (the first run is always timed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bcoo", action="store_true", help="also the scan with a BCOO matrix")
    parser.add_argument("--only", nargs="+", default=None, help="labels to run (substrings)")
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/neuroflow-bench"))
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    parser.add_argument("--json", default=None, help="write every result here")
    args = parser.parse_args()

    cache = Path(args.cache_dir)
    pythons = {"nf": sys.executable,
               "brainpy": str(cache / "brainpy-py3.13" / "bin" / "python"),
               "brian2": str(cache / "brian2-py3.13" / "bin" / "python")}
    common = ["--duration", repr(args.duration), "--seed", str(args.seed)]
    everything: dict = {"machine": machine_description("g++"), "args": vars(args), "nets": {}}
    tables = []
    for net in args.nets:
        found: dict = {"check": None, "rows": {}}
        everything["nets"][net] = found
        if not args.no_check:
            log(f"{net}: float64 agreement of neuroflow and the scan")
            check, error = run_worker(pythons["nf"], [NF_WORKER, "--net", net, "--check"],
                                      args.timeout)
            found["check"] = check or error
            for line in (check or {}).get("lines", [error]):
                log("  " + line)
        rows, notes = found["rows"], {}
        for label, python, argv in plan(net, args.bcoo):
            if args.only and not any(s in label for s in args.only):
                continue
            auto = rows.get("neuroflow (auto)")
            if auto and label == f"neuroflow ({auto['kernel']})":
                rows[label], notes[label] = auto, "the same as auto"
                continue
            if not Path(pythons[python]).exists():
                rows[label], notes[label] = None, f"no {pythons[python]}"
                continue
            repeats = args.brian2_repeats if python == "brian2" else args.repeats
            log(f"{net}: {label}")
            start = time.perf_counter()
            result, error = run_worker(pythons[python], argv + ["--net", net, "--repeats",
                                                                str(repeats), *common],
                                       args.timeout)
            rows[label] = result
            notes[label] = error or describe(label, result)
            shown = f"{run_time(result):.3f} s" if result else error
            log(f"  {shown} (process {time.perf_counter() - start:.0f} s)")
        found["notes"] = notes
        tables.append(table(net, rows, notes))
    print("\n\n".join(tables))
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
