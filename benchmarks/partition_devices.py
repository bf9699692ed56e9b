"""COBA partitioned over forced host devices against the same network on one device.

    python benchmarks/partition_devices.py [--neurons 64000] [--fan-in 80] [--duration 1000]
                                           [--devices 2] [--repeats 3] [--delay 0] [--alone]

One process with `XLA_FLAGS=--xla_force_host_platform_device_count=D` (set here, before JAX
starts) compiles the COBA network of `benchmarks/models/coba.py` at `--neurons` with
p = fan-in / N (as `compare.py --scaling`), once on one device and once partitioned over
`--devices` devices (`nf.compile(..., devices=D)`; with `--delay`, both projections delayed
that long, so that the spikes are exchanged once per delay instead of every step), runs each
once to compile, then alternates them `--repeats` times and takes the minimum of each, so that
load on a shared machine hits both alike.  It checks that both give the same spikes (same seed)
and prints the times, their ratio, the partition line of the IR, the peak memory of the process,
the 1-minute load average and the cores' worth of throughput the process could get before and
after (`cores_available`).  `--alone` runs only the partitioned network
(for sizes whose one-device run is not wanted, such as 256k with stored connectivity).  Without
`--delay` it also times the exchange alone (`exchange_alone`): the all-gather of every step with
no model around it, the floor of the partitioned run on this machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _work(rounds: int = 3_000_000) -> float:
    """Seconds for a fixed amount of arithmetic (one thread)."""
    start, x = time.perf_counter(), 0
    for k in range(rounds):
        x = (x + k * k) % 1_000_003
    return time.perf_counter() - start


def cores_available() -> float:
    """How many cores' worth of throughput this process can get now: the same work done by one
    child and then by two children side by side, 2 x (time alone) / (time side by side).  On a
    shared machine the load average does not say it (other sessions may hold a core whatever
    this process's priority), nor does CPU time (two threads on one core both count theirs);
    two devices cannot run side by side without a second core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawned, not forked: a fork of a process that runs JAX's threads may deadlock
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        alone = pool.submit(_work).result()
        pair = max(f.result() for f in [pool.submit(_work), pool.submit(_work)])
    return 2 * alone / pair


def exchange_alone(devices: int, neurons: int, steps: int, repeats: int) -> float:
    """Seconds for `steps` steps that do nothing but what a partitioned step must do every
    step, whatever its model: all-gather each device's packed spikes (`neurons / devices` bits)
    inside `shard_map`, through the collectives of XLA:CPU.  The floor of a run that exchanges
    every step, on this machine."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, PartitionSpec

    mesh = Mesh(np.asarray(jax.devices()[:devices]), ("d",))

    def run(bits):
        def step(own, _):  # the next step's bits depend on the gathered ones: no step is skipped
            gathered = jax.lax.all_gather(own, "d")
            return own ^ gathered[(jax.lax.axis_index("d") + 1) % devices], None
        return jax.lax.scan(step, bits[0], None, length=steps)[0][None]

    exchange = jax.jit(jax.shard_map(run, mesh=mesh, in_specs=PartitionSpec("d"),
                                     out_specs=PartitionSpec("d"), check_vma=False))
    bits = jnp.zeros((devices, -(-neurons // devices // 8)), jnp.uint8)
    exchange(bits).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        exchange(bits).block_until_ready()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=64000)
    parser.add_argument("--fan-in", type=float, default=80.0)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alone", action="store_true", help="only the partitioned network")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="ms: a delay on both projections (COBA has none), so that spikes"
                             " are exchanged once per delay")
    args = parser.parse_args()
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={args.devices}")
    import numpy as np

    import neuroflow as nf
    from neuroflow.units import ms

    sys.path.insert(0, str(HERE))
    from models import coba

    load_before, cores_before = os.getloadavg()[0], cores_available()
    model = coba.build(args.neurons, min(1.0, args.fan_in / args.neurons))[0]
    if args.delay:
        model = model.replace(*(p.replace(delay=args.delay) for p in model.find(nf.ir.Projection)))
    start = time.perf_counter()
    sims = {f"{args.devices} devices": nf.compile(model, dt=coba.dt, devices=args.devices)}
    if not args.alone:
        sims["1 device"] = nf.compile(model, dt=coba.dt)
    print(f"compiled in {time.perf_counter() - start:.1f} s;"
          f" {sims[f'{args.devices} devices'].ir.splitlines()[-1]}")
    duration = args.duration * ms
    spikes, times = {}, {name: [] for name in sims}
    for name, sim in sims.items():
        start = time.perf_counter()
        results = sim.run(duration, seed=args.seed, progress=False)
        print(f"{name}: first run (drawing, compiling) {time.perf_counter() - start:.2f} s")
        spikes[name] = results.spikes("P")
    for _ in range(args.repeats):
        for name, sim in sims.items():
            start = time.perf_counter()
            sim.run(duration, seed=args.seed, progress=False)
            times[name].append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    count = len(next(iter(spikes.values()))[0])
    delayed = f", delay {args.delay:g} ms" if args.delay else ""
    print(f"COBA {args.neurons} neurons, fan-in {args.fan_in:g}{delayed}, {args.duration:g} ms,"
          f" {count} spikes ({count / args.neurons / args.duration * 1e3:.1f} Hz)")
    for name, values in times.items():
        print(f"  {name:>10}: min {min(values):.3f} s  (runs: "
              f"{', '.join(f'{v:.3f}' for v in values)})")
    if not args.alone:
        one, many = spikes["1 device"], spikes[f"{args.devices} devices"]
        same = all(np.array_equal(a, b) for a, b in zip(one, many))
        speedup = min(times["1 device"]) / min(times[f"{args.devices} devices"])
        print(f"  identical spikes: {same}; speed-up {speedup:.2f}x")
    if not args.delay:
        steps = round(float(duration / coba.dt))
        alone = exchange_alone(args.devices, args.neurons, steps, args.repeats)
        print(f"  the exchange alone (an all-gather of the packed spikes in each of the {steps}"
              f" steps, nothing else): {alone:.3f} s")
    print(f"  peak memory of the process {peak_mib:.0f} MiB; load average (1 min)"
          f" {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs;"
          f" cores' worth of throughput this process could get: {cores_before:.2f} before,"
          f" {cores_available():.2f} after")


if __name__ == "__main__":
    main()
