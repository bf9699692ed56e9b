"""A recurrent spiking network learns to count cues and remember the answer through a delay:
the evidence-accumulation task of examples/train/tasks.py (after Morcos & Harvey 2016 and
Bellec et al. 2020), with the model of examples/train/evidence.nfl trained by BPTT.

    python examples/train/evidence.py                    # 3 seeds (~10 min on 2 cores)
    python examples/train/evidence.py --quick            # a smoke run of seconds
    python examples/train/evidence.py --json evidence.json

A trial: 7 cues of 40 ms, each on the left or the right input channels, then 200 ms of delay,
then a recall cue of 50 ms during which the network must say which side had more cues (670
steps of 1 ms).  40 inputs -> 100 recurrent LIF neurons with adaptive thresholds -> 2 leaky
readouts; the answer is the readout with the larger mean over the recall steps, and the loss
is the cross-entropy of those means.  The memory is in the thresholds' adaptation (tau_a 1 s),
so the reset (which raises the adaptation) keeps its gradient: `detach_reset=False`.  Adam with
a learning rate from 1e-2 down to 0 along a cosine over the run and gradients clipped to a
global norm of 1, batches of 64, 30 epochs;
trained on 2048 trials of the task's seed 2*seed and tested on 512 trials of seed 2*seed + 1.

The JSON holds {"test_accuracy": [per seed]}.
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

TEST_TRIALS = 512


def make_function():
    sim = nf.compile(nf.load(HERE / "evidence.nfl"), dt=1.0, dtype="float32")
    return sim.function(params=["in_to_R.w", "rec.w", "R_to_Out.w"], inputs=["In.s"],
                        outputs=["Out.v"], detach_reset=False)


def make_loss(recall: slice):
    def loss(outputs, labels):
        logits = outputs["Out.v"][:, recall].mean(axis=1)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    return loss


def accuracy(f, theta, trials) -> float:
    def answer(x):
        return f(theta, {"In.s": x})["Out.v"][trials.recall].mean(axis=0)
    logits = jax.jit(jax.vmap(answer))(jnp.asarray(trials.spikes))
    return float(np.mean(np.asarray(logits).argmax(axis=1) == trials.labels))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--trials", type=int, default=2048, help="training trials")
    parser.add_argument("--learning-rate", type=float, default=1e-2, help="at the start")
    parser.add_argument("--quick", action="store_true", help="seed 0, 128 trials, 1 epoch")
    parser.add_argument("--json", default=None, help="write the metrics here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.trials = [0], 1, 128
    f = make_function()
    accuracies = []
    for seed in args.seeds:
        train = tasks.evidence_task(args.trials, seed=2 * seed)
        test = tasks.evidence_task(TEST_TRIALS, seed=2 * seed + 1)
        steps = args.epochs * -(-args.trials // 64)
        schedule = optax.cosine_decay_schedule(args.learning_rate, steps)
        trained = nf.train.bptt(f, make_loss(train.recall), ({"In.s": train.spikes},
                                                             train.labels),
                                optimizer=optax.chain(optax.clip_by_global_norm(1.0),
                                                      optax.adam(schedule)), epochs=args.epochs,
                                batch_size=64, theta=f.init(seed), seed=seed, progress=False)
        accuracies.append(accuracy(f, trained.theta, test))
        print(f"seed {seed}: test accuracy {100 * accuracies[-1]:.1f}%, final loss"
              f" {trained.history['loss'][-1]:.3f}, {sum(trained.history['epoch_seconds']):.0f} s",
              flush=True)
    print(f"test accuracy {100 * np.mean(accuracies):.1f}% (mean of {len(accuracies)} seeds)")
    result = {"test_accuracy": accuracies}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
