"""An echo-state network predicts the Lorenz system 5 steps ahead, its readout trained four ways:
ridge regression, FORCE (recursive least squares), BPTT through the reservoir, and gradient
descent on the readout alone.

    python examples/train/esn_lorenz.py                   # seeds 0-9 (~3 min)
    python examples/train/esn_lorenz.py --quick           # a smoke run of seconds
    python examples/train/esn_lorenz.py --json esn.json   # the metrics and timings

The model is examples/train/esn_lorenz.nfl (100 leaky tanh units whose input and recurrence
are summed variables); every seed gives it the reservoir matrices of
`tasks.reservoir_matrices(seed)` as `theta`, the ones ReservoirPy and BrainPy get in
benchmarks/esn_lorenz.py.  The protocol (issue 14): Lorenz from tasks.lorenz(), inputs data[t],
targets data[t + 5]; steps before 1000 are discarded, the readout is fitted on steps
1000-70 000 and scored on the rest (held out), MAE and MSE per seed.

- ridge: `nf.train.ridge` (alpha = 1e-6) on the states that `sim.function` records (float64).
- force: `nf.train.force`, one pass of recursive least squares, P0 = 0.1 I.
- bptt: the reservoir's input and recurrent weights and the readout trained together by
  `nf.train.bptt` (optax Adam) on windows of 100 steps cut from the training steps (each window
  starts from rest; its first 20 steps are not scored), targets standardized.
- readout_only: the same, with the same number of epochs, but the optimizer leaves the
  reservoir as it is (`optax.multi_transform` with `set_to_zero`).

The JSON holds {"ridge": {"mae": [per seed], "mse": [...]}, "force": ..., "bptt": ...,
"readout_only": ..., "seconds": {method: [per seed]}}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import neuroflow as nf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import tasks  # noqa: E402  (examples/train is not a package)

MODEL = HERE / "esn_lorenz.nfl"
RESERVOIR = ("in_to_R.w", "rec.w")
READOUT = ("R_to_Out.w", "bias.w")
WINDOW, WINDOW_WARMUP = 100, 20


def make_function(dtype: str):
    """`f(theta, {"In.u": [T, 3]}) -> {"R.r": [T, 100], "Out.z": [T, 3]}` of every weight."""
    sim = nf.compile(nf.load(MODEL), dt=1.0, dtype=dtype)
    return sim.function(params=[*RESERVOIR, *READOUT], inputs=["In.u"], outputs=["R.r", "Out.z"])


def reservoir_theta(f, seed: int) -> dict:
    """theta with the seed's reservoir matrices (rows presynaptic: the synapse order of
    all_to_all) and a zero readout."""
    w_in, w = tasks.reservoir_matrices(seed)
    theta = {name: jnp.zeros_like(value) for name, value in f.init().items()}
    theta["in_to_R.w"] = jnp.asarray(w_in.reshape(-1), f.dtype)
    theta["rec.w"] = jnp.asarray(w.reshape(-1), f.dtype)
    return theta


def errors(prediction, target) -> tuple[float, float]:
    diff = np.asarray(prediction, np.float64) - target
    return float(np.abs(diff).mean()), float((diff ** 2).mean())


def readout_scores(f, theta, split, p0=0.1, forgetting=1.0) -> dict:
    """Held-out (MAE, MSE) and seconds of the ridge and FORCE readouts of the reservoir."""
    start = time.perf_counter()
    states = np.asarray(jax.jit(f)(theta, {"In.u": jnp.asarray(split.inputs, f.dtype)})["R.r"])
    reservoir_s = time.perf_counter() - start
    train, test = split.train, split.test
    found = {}
    start = time.perf_counter()
    readout = nf.train.ridge(states[train], split.targets[train], alpha=1e-6)
    found["ridge"] = (*errors(readout.predict(states[test]), split.targets[test]),
                      reservoir_s + time.perf_counter() - start)
    start = time.perf_counter()
    readout = nf.train.force(states[train], split.targets[train], p0=p0, forgetting=forgetting)
    found["force"] = (*errors(readout.predict(states[test]), split.targets[test]),
                      reservoir_s + time.perf_counter() - start)
    return found


def windows(split, mean, std):
    """Training windows ([S, 100, 3] inputs, standardized targets), overlapping by the 20
    steps that each window spends leaving rest."""
    starts = np.arange(split.warmup, split.train_end - WINDOW + 1, WINDOW - WINDOW_WARMUP)
    x = np.stack([split.inputs[s:s + WINDOW] for s in starts])
    z = np.stack([(split.targets[s:s + WINDOW] - mean) / std for s in starts])
    return x, z


def window_loss(outputs, z):
    """Out.z at step t + 1 reads the reservoir of step t, which predicts target t."""
    predicted = outputs["Out.z"][:, WINDOW_WARMUP + 1:]
    return jnp.mean((predicted - z[:, WINDOW_WARMUP:-1]) ** 2)


def gradient_scores(f, theta, split, *, epochs: int, learning_rate: float, seed: int,
                    through_reservoir: bool) -> tuple[float, float, float]:
    """Held-out (MAE, MSE) and seconds of a readout trained by gradient descent, through the
    reservoir or not."""
    mean = split.targets[split.train].mean(axis=0)
    std = split.targets[split.train].std(axis=0)
    x, z = windows(split, mean, std)
    adam = optax.adam(learning_rate)
    if through_reservoir:
        optimizer = adam
    else:
        labels = {name: "readout" if name in READOUT else "reservoir" for name in theta}
        optimizer = optax.multi_transform({"readout": adam, "reservoir": optax.set_to_zero()},
                                          labels)
    start = time.perf_counter()
    trained = nf.train.bptt(f, window_loss, ({"In.u": x}, z), optimizer=optimizer, epochs=epochs,
                            batch_size=64, theta=theta, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    # the whole sequence from rest, one step more so that the last state is read out
    inputs = np.concatenate([split.inputs, split.inputs[-1:]])
    out = jax.jit(f)(trained.theta, {"In.u": jnp.asarray(inputs, f.dtype)})["Out.z"]
    prediction = np.asarray(out[1:], np.float64) * std + mean
    return (*errors(prediction[split.test], split.targets[split.test]), seconds)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--epochs", type=int, default=30, help="of bptt and readout_only")
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--quick", action="store_true",
                        help="seed 0, 20 000 samples (train on 1000-14 000), 2 epochs")
    parser.add_argument("--json", default=None, help="write the metrics here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs = [0], 2
        split = tasks.esn_split(tasks.lorenz(samples=20_000), train_end=14_000)
    else:
        split = tasks.esn_split(tasks.lorenz())
    exact = make_function("float64")        # ridge and FORCE read float64 states
    fast = make_function("float32")         # gradient training
    methods = ("ridge", "force", "bptt", "readout_only")
    found = {m: {"mae": [], "mse": []} for m in methods}
    seconds = {m: [] for m in methods}

    def record(method, mae, mse, s):
        found[method]["mae"].append(mae)
        found[method]["mse"].append(mse)
        seconds[method].append(s)

    for seed in args.seeds:
        with jax.enable_x64(True):  # float64 arrays in this code too (neuroflow sets no default)
            scores = readout_scores(exact, reservoir_theta(exact, seed), split)
        for method, values in scores.items():
            record(method, *values)
        for method, through in (("bptt", True), ("readout_only", False)):
            record(method, *gradient_scores(fast, reservoir_theta(fast, seed), split,
                                            epochs=args.epochs, learning_rate=args.learning_rate,
                                            seed=seed, through_reservoir=through))
        print(f"seed {seed}: held-out MAE " + ", ".join(f"{m} {found[m]['mae'][-1]:.4g}"
                                                         for m in methods), flush=True)
    for method in methods:
        mae = found[method]["mae"]
        print(f"{method:>12}: median MAE {np.median(mae):.4g} ({min(mae):.4g}-{max(mae):.4g}),"
              f" median MSE {np.median(found[method]['mse']):.3g}")
    result = {**found, "seconds": seconds}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
