"""A sweep of COBA 4k over 2 forced host devices against the same sweep on 1 device.

    python benchmarks/sweep_devices.py [--runs 8] [--duration 1000] [--repeats 3] [--rounds 2]

Each worker is a fresh process with `XLA_FLAGS=--xla_force_host_platform_device_count=D` (the
flag must be set before JAX starts); it sweeps `--runs` values of the drive `P.I` of the COBA
network of `benchmarks/models/coba.py` (fixed_prob 0.02, spike monitor), once to compile, then
`--repeats` times, and reports the best time.  Workers for 1 and 2 devices alternate for
`--rounds` rounds and the minimum of each is taken, so that load on a shared machine hits both
alike.  The 1-minute load average is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(args: argparse.Namespace) -> None:
    import jax

    import neuroflow as nf
    from neuroflow.units import mV, ms

    sys.path.insert(0, str(HERE))
    from models import coba

    sim = nf.compile(coba.build()[0], dt=0.1 * ms, dtype="float32")
    currents = [(18 + 8 * k / max(args.runs - 1, 1)) * mV for k in range(args.runs)]
    start = time.perf_counter()
    swept = sim.sweep(args.duration * ms, {"P.I": currents}, seed=0, progress=False)
    first_s = time.perf_counter() - start
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        swept = sim.sweep(args.duration * ms, {"P.I": currents}, seed=0, progress=False)
        times.append(time.perf_counter() - start)
    result = {"devices": len(jax.devices()), "first_s": first_s, "best_s": min(times),
              "times_s": times, "native": bool(sim.program.native),
              "spikes": [int(len(r.spikes("P")[0])) for r in swept]}
    print("RESULT " + json.dumps(result), flush=True)


def run_worker(devices: int, args: argparse.Namespace) -> dict:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    command = [sys.executable, __file__, "--worker", "--runs", str(args.runs),
               "--duration", repr(args.duration), "--repeats", str(args.repeats)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"the {devices}-device worker failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def arguments(description: str, rounds: str) -> argparse.Namespace:
    """The options of this benchmark and of `sweep_processes.py`, which runs its worker."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=8, help="parameter sets in the sweep")
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=3, help="timed sweeps per worker")
    parser.add_argument("--rounds", type=int, default=2, help=rounds)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], "workers per device count")
    if args.worker:
        worker(args)
        return
    load_before = os.getloadavg()[0]
    rows: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for devices in (1, 2):
            rows[devices].append(run_worker(devices, args))
            print(json.dumps(rows[devices][-1]), flush=True)
    load_after = os.getloadavg()[0]
    best = {d: min(r["best_s"] for r in rs) for d, rs in rows.items()}
    same = rows[1][0]["spikes"] == rows[2][0]["spikes"]
    print(f"\nCOBA 4000 neurons, sweep of {args.runs} values of P.I, {args.duration:g} ms each,"
          f" float32, native kernels: {rows[1][0]['native']}; {os.cpu_count()} cores,"
          f" load average {load_before:.2f} before, {load_after:.2f} after;"
          f" {time.strftime('%Y-%m-%d')}")
    print("| devices | first sweep (s) | best sweep (s) |")
    print("|---|---|---|")
    for devices, rs in rows.items():
        print(f"| {devices} | {min(r['first_s'] for r in rs):.2f} | {best[devices]:.2f} |")
    print(f"\n2 devices / 1 device: {best[2] / best[1]:.2f}x"
          f" (spike counts of every member equal: {same})")


if __name__ == "__main__":
    main()
