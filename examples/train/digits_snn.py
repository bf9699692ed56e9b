"""A spiking network learns scikit-learn's 8x8 digits, given as spike trains: the model of
examples/train/digits_snn.nfl, trained through `sim.function` and `nf.train.bptt`.

    python examples/train/digits_snn.py                   # 3 seeds x 30 epochs (~1 min)
    python examples/train/digits_snn.py --quick           # a smoke run of seconds
    python examples/train/digits_snn.py --json digits.json

The protocol (issue 14): a stratified 80/20 split (seed 0) of the 1797 digits; each pixel spikes
at each of 50 steps of 1 ms with probability intensity/16 (tasks.digits_spikes); 64 inputs ->
128 LIF (tau_mem 10 ms, tau_syn 5 ms, threshold 1, reset by subtraction, fast-sigmoid
surrogate of slope 25) -> 10 leaky readouts; Adam 1e-3, batches of 128, 30 epochs; the loss is
the cross-entropy of the readouts' means over time, and the class is the largest mean (as in
benchmarks/train_digits.py, where the same network is trained in other tools).
Each seed draws other spike trains and other initial weights (`f.init(seed)`).

The JSON holds {"test_accuracy": [per seed], "epoch_seconds": the median time of an epoch,
first epochs (with compilation) left out}.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import neuroflow as nf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import tasks  # noqa: E402  (examples/train is not a package)


def make_function():
    sim = nf.compile(nf.load(HERE / "digits_snn.nfl"), dt=1.0, dtype="float32")
    return sim.function(params=["in_to_H.w", "H_to_Out.w"], inputs=["In.s"], outputs=["Out.v"])


def loss(outputs, labels):
    """Cross-entropy of the readouts' means over time ([batch, 50, 10] -> [batch, 10])."""
    logits = outputs["Out.v"].mean(axis=1)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def accuracy(f, theta, spikes, labels) -> float:
    batched = jax.jit(jax.vmap(lambda x: f(theta, {"In.s": x})["Out.v"].mean(axis=0)))
    predicted = np.asarray(batched(jnp.asarray(spikes))).argmax(axis=1)
    return float(np.mean(predicted == labels))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="seed 0, 2 epochs, 256 images")
    parser.add_argument("--json", default=None, help="write the metrics here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs = [0], 2
    f = make_function()
    accuracies, epoch_seconds = [], []
    for seed in args.seeds:
        x_train, y_train, x_test, y_test = tasks.digits_spikes(seed)
        if args.quick:
            x_train, y_train = x_train[:256], y_train[:256]
        trained = nf.train.bptt(f, loss, ({"In.s": x_train}, y_train),
                                optimizer=optax.adam(1e-3), epochs=args.epochs, batch_size=128,
                                theta=f.init(seed), seed=seed, progress=False)
        accuracies.append(accuracy(f, trained.theta, x_test, y_test))
        epoch_seconds += trained.history["epoch_seconds"][1:]
        print(f"seed {seed}: test accuracy {100 * accuracies[-1]:.1f}%, final loss"
              f" {trained.history['loss'][-1]:.3f}", flush=True)
    median = float(np.median(epoch_seconds)) if epoch_seconds else float("nan")
    print(f"test accuracy {100 * np.mean(accuracies):.1f}% (mean of {len(accuracies)} seeds),"
          f" {median:.3f} s per epoch")
    result = {"test_accuracy": accuracies, "epoch_seconds": median}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
