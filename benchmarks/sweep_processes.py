"""A sweep of COBA 4k over 2 local processes (one CPU device each, one JAX job) against the same
sweep in 1 process on 1 device and on 2 forced host devices.

    python benchmarks/sweep_processes.py [--runs 8] [--duration 1000] [--repeats 3] [--rounds 2]

The worker is `sweep_devices.py`'s (COBA of `benchmarks/models/coba.py`, `--runs` values of `P.I`,
once to compile, then `--repeats` timed sweeps, the best kept) after `nf.distributed.initialize()`,
so that its sweep's default devices, `jax.devices()`, are those of every process of the job.  The
three set-ups alternate for `--rounds` rounds and the minimum of each is taken; the job's wall time
(start-up, compilation and gathering included) is reported too, with the 1-minute load average.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sweep_devices  # noqa: E402  (next to this file)

SETUPS = {"1 process, 1 device": (1, 1), "1 process, 2 devices": (1, 2),
          "2 processes, 1 device each": (2, 1)}


def worker(args: argparse.Namespace) -> None:
    import neuroflow as nf
    nf.distributed.initialize()  # from the environment `launch` set; alone: nothing
    sweep_devices.worker(args)


def run_job(processes: int, devices: int, args: argparse.Namespace) -> dict:
    import neuroflow as nf
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    command = [sys.executable, __file__, "--worker", "--runs", str(args.runs),
               "--duration", repr(args.duration), "--repeats", str(args.repeats)]
    start = time.perf_counter()
    finished = nf.distributed.launch(command, processes, env=env, timeout=3600)
    wall = time.perf_counter() - start
    results = [json.loads(line[len("RESULT "):]) for f in finished
               for line in f.stdout.splitlines() if line.startswith("RESULT ")]
    # the processes wait for each other in every chunk: the slowest is the sweep's time
    return {"processes": processes, "devices": results[0]["devices"], "wall_s": wall,
            "first_s": max(r["first_s"] for r in results),
            "best_s": max(r["best_s"] for r in results), "spikes": results[0]["spikes"],
            "same_everywhere": all(r["spikes"] == results[0]["spikes"] for r in results)}


def main() -> None:
    args = sweep_devices.arguments(__doc__.split("\n\n")[0], "jobs per set-up")
    if args.worker:
        worker(args)
        return
    load_before = os.getloadavg()[0]
    rows: dict[str, list[dict]] = {name: [] for name in SETUPS}
    for _ in range(args.rounds):
        for name, (processes, devices) in SETUPS.items():
            rows[name].append(run_job(processes, devices, args))
            print(name, json.dumps(rows[name][-1]), flush=True)
    load_after = os.getloadavg()[0]
    spikes = {json.dumps(r["spikes"]) for rs in rows.values() for r in rs}
    everywhere = all(r["same_everywhere"] for rs in rows.values() for r in rs)
    print(f"\nCOBA 4000 neurons, sweep of {args.runs} values of P.I, {args.duration:g} ms each,"
          f" float32; {os.cpu_count()} cores, load average {load_before:.2f} before,"
          f" {load_after:.2f} after; {time.strftime('%Y-%m-%d')}")
    print("| set-up | devices in the sweep | job wall (s) | first sweep (s) | best sweep (s) |")
    print("|---|---|---|---|---|")
    for name, rs in rows.items():
        print(f"| {name} | {rs[0]['devices']} | {min(r['wall_s'] for r in rs):.2f} |"
              f" {min(r['first_s'] for r in rs):.2f} | {min(r['best_s'] for r in rs):.2f} |")
    print(f"\nspike counts of every member equal in every set-up and process:"
          f" {len(spikes) == 1 and everywhere}")


if __name__ == "__main__":
    main()
