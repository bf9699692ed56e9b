"""What the rate-network workers share: the two networks, their command line and the one JSON
line they print.

The network is a random rate RNN (Sompolinsky, Crisanti & Sommers 1988) integrated with Euler,
with the recurrent input as a summed variable (Brian2's `(summed)`):

    dx/dt = (-x + I_rec)/tau,   I_rec = W^T tanh(x),   tau = 10 ms,   x(0) ~ U(-1, 1)

W[pre, post] ~ N(0, g^2/(p N)) on the synapses that exist, g = 1.5 (the chaotic regime).
`sparse`: N = 4000, each (pre, post) pair a synapse with probability 0.1 (1.6 M synapses);
`dense`: N = 1000, all to all (1 M synapses).  Self-connections are allowed in both.
dt = 0.1 ms; `--duration` 1000 ms is 10 000 steps.

Every worker (`rate_rnn_neuroflow.py`, `rate_rnn_brainpy.py`, `rate_rnn_brian2.py`) runs one
implementation once in its own process and prints `RESULT {json}`; `benchmarks/rate_rnn.py`
starts them.  Standard library only: the workers run under different interpreters.  Times
are wall-clock seconds: `first_s` from after the import to the end of the first simulation
(building, compiling, drawing W, simulating), `runs_s` the same simulation again, compiled.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time

START = time.perf_counter()

NETWORKS = {"sparse": (4000, 0.1), "dense": (1000, 1.0)}
GAIN = 1.5
TAU_MS = 10.0
DT_MS = 0.1


def parse_args(extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--net", choices=sorted(NETWORKS), required=True)
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms")
    parser.add_argument("--repeats", type=int, default=3, help="runs after the first one")
    parser.add_argument("--seed", type=int, default=0)
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    args.n, args.p = NETWORKS[args.net]
    return args


def weight_sigma(n: int, p: float) -> float:
    """The standard deviation of a weight: the sum over one post neuron's ~p*n synapses has
    variance g^2."""
    return GAIN / math.sqrt(p * n)


def steps(args: argparse.Namespace) -> int:
    return int(round(args.duration / DT_MS))


def emit(args: argparse.Namespace, tool: str, *, first_s: float, runs_s: list[float],
         x_end, versions: dict, **extra) -> None:
    """Print the result as one `RESULT {json}` line; `x_end` (the state after the first run, a
    sequence of floats) is summarised as a sanity check: in the chaotic regime its spread is
    O(1) whatever the realisation of W."""
    values = [float(v) for v in x_end]
    mean = sum(values) / len(values)
    result = dict(tool=tool, net=args.net, n=args.n, p=args.p, duration_ms=args.duration,
                  seed=args.seed, first_s=first_s, runs_s=runs_s,
                  best_s=min(runs_s) if runs_s else None,
                  x_end_std=math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)),
                  x_end_finite=all(math.isfinite(v) for v in values),
                  total_s=time.perf_counter() - START, python=platform.python_version(),
                  versions=versions, **extra)
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)
