"""The digits SNN trained side by side: neuroflow, a hand-written JAX loop, Spyx, snnTorch and
BrainPy 2.9 (issue 14's protocol).

    python benchmarks/train_digits.py                   # 3 seeds x 30 epochs, every tool (~5 min)
    python benchmarks/train_digits.py --quick           # 1 seed, 2 epochs: a smoke run
    python benchmarks/train_digits.py --only jax snntorch --seeds 0
    python benchmarks/train_digits.py --only-setup      # make the peers' venvs and stop

The network, loss, optimizer, batches and initial weights are fixed in
benchmarks/peers/_digits.py; the spike trains come from examples/train/tasks.py (written once
per seed by this script to an .npz that every worker reads).  Each (tool, seed) is one
process, one at a time:

  neuroflow     examples/train/digits_snn.nfl through `sim.function` and `nf.train.bptt`
                (its own shuffling, 11 batches of 128 with drop_last as the protocol; the
                shared initial weights)
  neuroflow-scan  the same model function `f` in jax-scan's loop (same batches, fused epoch):
                the model function alone against the hand-written one
  jax-scan      hand-written `lax.scan` + `jax.grad` + optax, a whole epoch in one jitted scan
                (the bar the issue sets: neuroflow within 1.2x of it)
  spyx          Spyx 1.0's CuBaLIF/LI layers, the same fused epoch (own venv)
  snntorch      snnTorch 1.0, eager PyTorch on one CPU thread (own venv; --torch-threads)
  brainpy       BrainPy 2.9's Linear/Expon/LifLTC/Leaky, `bm.for_loop` + `bm.grad` (own venv)

Columns: `epoch` the median over seeds of each run's median epoch time, compilation excluded
(the first epoch is left out; the JAX tools compile ahead of time anyway), with the range over
seeds; `best` the same of each run's fastest epoch, which other processes on the machine
disturb least; `first` the first epoch (BrainPy compiles in it); `nf/x` neuroflow's epoch
divided by the row's, from the medians and from the best epochs; `accuracy` the test accuracy,
mean over seeds and each seed; `other` the CPU cores other processes used meanwhile (marked `!`
above --disturbed).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
import _digits  # noqa: E402  (benchmarks is not a package)
import train_peers  # noqa: E402
from compare import log, machine_description, wait_until_quiet  # noqa: E402

TOOLS = {   # label: (venv, worker and its arguments)
    "neuroflow": (None, ["digits_neuroflow.py", "--loop", "bptt"]),
    "neuroflow-scan": (None, ["digits_neuroflow.py", "--loop", "scan"]),
    "jax-scan": (None, ["digits_jax.py"]),
    "spyx": ("spyx", ["digits_spyx.py"]),
    "snntorch": ("snntorch", ["digits_snntorch.py"]),
    "brainpy": ("brainpy", ["digits_brainpy.py"]),
}


def table(rows: dict, notes: dict, disturbed: float) -> str:
    def epoch(label, key="epoch_median_s"):
        runs = rows.get(label) or []
        return statistics.median(r[key] for r in runs) if runs else None

    def shown(label, key):
        spread = [r[key] for r in rows[label]]
        return f"{epoch(label, key):.3f}" + (f" ({min(spread):.3f}–{max(spread):.3f})"
                                             if len(spread) > 1 else "")

    nf, nf_best = epoch("neuroflow"), epoch("neuroflow", "epoch_min_s")
    lines = ["| tool | epoch (s) | best (s) | first (s) | nf/x | accuracy (mean; per seed) |"
             " other | versions, notes |", "|---|---:|---:|---:|---:|---|---:|---|"]
    for label, runs in rows.items():
        if not runs:
            lines.append(f"| {label} | – | – | – | – | – | – | {notes.get(label, '')} |")
            continue
        med, best = epoch(label), epoch(label, "epoch_min_s")
        first = statistics.median(r["first_epoch_s"] for r in runs)
        acc = [r["test_accuracy"] for r in runs]
        acc_text = f"{100 * statistics.mean(acc):.1f}% ({', '.join(f'{100 * a:.1f}' for a in acc)})"
        other = max(r["other_cores"] for r in runs)
        mark = "!" if other > disturbed else ""
        ratio = f"{nf / med:.2f}, {nf_best / best:.2f}" if nf else "–"
        lines.append(f"| {label} | {shown(label, 'epoch_median_s')} |"
                     f" {shown(label, 'epoch_min_s')} | {first:.3f} | {ratio} | {acc_text} |"
                     f" {other:.1f}{mark} | {notes.get(label, '')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=_digits.EPOCHS)
    parser.add_argument("--quick", action="store_true", help="seed 0, 2 epochs")
    parser.add_argument("--only", nargs="+", default=None, choices=list(TOOLS))
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per process")
    parser.add_argument("--wait-idle", type=float, default=30.0,
                        help="wait up to this long before each process for a quiet machine")
    parser.add_argument("--disturbed", type=float, default=0.3)
    parser.add_argument("--json", default=None, help="write every result here")
    train_peers.add_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.epochs = [0], 2
    tools = args.only or list(TOOLS)

    venvs = train_peers.prepare_all([TOOLS[t][0] for t in tools if TOOLS[t][0]], args)
    if args.only_setup:
        return 0
    pythons, notes, rows = {}, {}, {t: [] for t in tools}
    for tool in tools:
        venv = TOOLS[tool][0]
        if venv is None:
            pythons[tool] = sys.executable
        elif venvs[venv].problem:
            notes[tool] = venvs[venv].problem
        else:
            pythons[tool] = venvs[venv].python
    everything = {"machine": machine_description(None), "args": vars(args), "results": rows,
                  "errors": {}}
    with tempfile.TemporaryDirectory(prefix="nf-digits-") as tmp:
        for seed in args.seeds:
            data = str(Path(tmp) / f"digits-{seed}.npz")
            _digits.save_data(data, seed)
            for tool in tools:
                if tool not in pythons:
                    continue
                wait_until_quiet(args.wait_idle, args.disturbed)
                log(f"seed {seed}: {tool}")
                argv = [*TOOLS[tool][1], "--seed", str(seed), "--epochs", str(args.epochs),
                        "--data", data]
                if tool == "snntorch":
                    argv += ["--threads", str(args.torch_threads)]
                start = time.perf_counter()
                result, error = train_peers.run_worker(pythons[tool], argv, args.timeout)
                if result is None:
                    notes[tool] = error
                    everything["errors"].setdefault(tool, []).append(error)
                    log(f"  {error}")
                    continue
                rows[tool].append(result)
                notes[tool] = train_peers.version_text(result["versions"])
                log(f"  epoch {result['epoch_median_s']:.3f} s, accuracy "
                    f"{100 * result['test_accuracy']:.1f}% "
                    f"(process {time.perf_counter() - start:.0f} s)")
    print(table(rows, notes, args.disturbed))
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
