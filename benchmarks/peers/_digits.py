"""The digits SNN protocol that every `digits_*.py` worker follows; numpy and the standard
library only, since the workers run under different interpreters.

The network (issue 14's protocol), in discrete time with dt = 1 ms, for a batch of spike
trains x[t] (64 channels, 50 steps):

    I[t]   = alpha * I[t-1] + x[t] @ W_in                      alpha = exp(-dt/tau_syn), 5 ms
    V[t]   = beta * V[t-1] + I[t] - theta * stop_grad(S[t-1])  beta = exp(-dt/tau_mem), 10 ms
    S[t]   = H(V[t] - theta)                                   theta = 1, 128 hidden LIF
    U[t]   = beta * U[t-1] + S[t] @ W_out                      10 non-spiking leaky readouts

all states 0 at t = 0, no biases. The spike's gradient is the fast sigmoid (SuperSpike) dS/dV =
1 / (1 + 25 |V - theta|)^2; the reset is detached from the gradient (snnTorch's default). Loss:
the mean over the batch of the softmax cross-entropy of the readouts' mean over time, mean_t
U[t]; the prediction is its argmax. (The maximum over time, the issue's other choice, leaves a
readout that never rises above 0 without a gradient and made some seeds stall on a plateau for
many epochs; the mean has no such dead point.) Adam (lr 1e-3, optax/torch defaults otherwise),
batches of 128, 30 epochs; each epoch visits the 1437 training images in the order
`epoch_order(seed, epoch)` and drops the last partial batch (11 batches of 128). The initial
weights are drawn here (`initial_weights(seed)`: uniform in +-1/sqrt(fan_in), torch's default
for a linear layer) and handed to every implementation, so they all start from the same point.

Times: `epoch_s` is the wall time of each epoch (the result on the host: block_until_ready /
a loss read back), `first_epoch_s` the first one, which includes compilation for the JAX
tools; `epoch_median_s` is the median of the others (compilation excluded).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time

START = time.perf_counter()

STEPS = 50
N_IN, N_HIDDEN, N_OUT = 64, 128, 10
TAU_MEM_MS, TAU_SYN_MS, DT_MS = 10.0, 5.0, 1.0
THRESHOLD = 1.0
SLOPE = 25.0
LEARNING_RATE = 1e-3
BATCH = 128
EPOCHS = 30
ALPHA = math.exp(-DT_MS / TAU_SYN_MS)
BETA = math.exp(-DT_MS / TAU_MEM_MS)


def parse_args(extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0, help="spike trains, weights, batches")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--data", default=None,
                        help="an .npz written by `save_data` (default: make it with tasks.py)")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def save_data(path: str, seed: int) -> None:
    """The spike trains of examples/train/tasks.py for `seed`, as an .npz the workers read."""
    import numpy as np
    tasks = _tasks()
    x_train, y_train, x_test, y_test = tasks.digits_spikes(seed)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def load_data(args: argparse.Namespace):
    """(x_train, y_train, x_test, y_test): x float32 [images, 50, 64], y int32."""
    import numpy as np
    if args.data is None:
        return _tasks().digits_spikes(args.seed)
    with np.load(args.data) as f:
        return f["x_train"], f["y_train"], f["x_test"], f["y_test"]


def _tasks():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "examples", "train"))
    import tasks
    return tasks


def initial_weights(seed: int):
    """(W_in [64, 128], W_out [128, 10]) float32, uniform in +-1/sqrt(fan_in)."""
    import numpy as np
    rng = np.random.default_rng([seed, 1])
    w_in = rng.uniform(-1.0, 1.0, (N_IN, N_HIDDEN)) / math.sqrt(N_IN)
    w_out = rng.uniform(-1.0, 1.0, (N_HIDDEN, N_OUT)) / math.sqrt(N_HIDDEN)
    return w_in.astype(np.float32), w_out.astype(np.float32)


def epoch_order(seed: int, epoch: int, images: int):
    """The images of each batch of `epoch`: [batches, 128] indices, the remainder dropped."""
    import numpy as np
    order = np.random.default_rng([seed, 2, epoch]).permutation(images)
    batches = images // BATCH
    return order[:batches * BATCH].reshape(batches, BATCH)


def summarize(epoch_s: list[float]) -> dict:
    rest = sorted(epoch_s[1:]) or epoch_s
    mid = len(rest) // 2
    median = rest[mid] if len(rest) % 2 else 0.5 * (rest[mid - 1] + rest[mid])
    return {"first_epoch_s": epoch_s[0], "epoch_median_s": median, "epoch_min_s": min(rest),
            "epoch_s": epoch_s}


def emit(args: argparse.Namespace, tool: str, *, epoch_s: list[float], losses: list[float],
         test_accuracy: float, versions: dict, **extra) -> None:
    """Print the worker's result as one `RESULT {json}` line on stdout."""
    result = dict(tool=tool, seed=args.seed, epochs=args.epochs, test_accuracy=test_accuracy,
                  losses=losses, total_s=time.perf_counter() - START,
                  python=platform.python_version(), versions=versions,
                  **summarize(epoch_s), **extra)
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)
