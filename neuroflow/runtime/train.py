"""Training: gradient descent through time (BPTT), and closed-form and online readouts.

`bptt` trains the values of a `sim.function` with an optax optimizer on batches of input
sequences (`jax.vmap` over the batch, one jitted update per batch).  `ridge` fits a linear
readout of recorded states in closed form; `force` fits it online by recursive least squares
(FORCE, Sussillo & Abbott 2009) in one `lax.scan`.  All three take and give plain arrays.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .. import ir
from ..backend.jax import jax_scope, jit
from ._readout import Readout, force, ridge
from .function import ModelFunction

__all__ = ["bptt", "force", "ridge", "Readout", "Trained", "TrainingError"]


class TrainingError(ir.NeuroflowError):
    """Training that had to stop; `theta` is the last good one, `history` what was recorded."""

    def __init__(self, message: str, hint: str | None = None, theta=None, history=None):
        self.theta, self.history = theta, history
        super().__init__(message, None, hint)


@dataclass
class Trained:
    """What `bptt` gives: the trained values, the optimizer's state and per-epoch history
    (`loss`: mean over the epoch's batches, `epoch_seconds`, and each metric; `memory_bytes`:
    what one update of a full batch needs, by XLA's account)."""

    theta: dict
    opt_state: object
    history: dict = field(default_factory=dict)


@jax_scope()
def bptt(f: ModelFunction, loss, data, *, optimizer=None, epochs: int = 1, batch_size: int = 32,
         theta: dict | None = None, seed: int = 0, metrics: dict | None = None,
         drop_last: bool = False, progress: bool | None = None) -> Trained:
    """Train `theta` (default `f.init()`) by backpropagation through time.

    `data` is `(inputs, targets)`: `inputs` maps each of `f`'s inputs to an array `[S, T, n]`
    (S sequences), `targets` is any array (or pytree of arrays) with S rows.  `loss(outputs,
    targets) -> scalar` gets `f`'s outputs for a batch (`[B, T, n]` each) and that batch's
    targets.  `optimizer` is an optax optimizer (`optax.adam(1e-3)` by default); `metrics`
    maps names to functions like `loss`, averaged over each epoch.  Batches are drawn without
    replacement, shuffled each epoch by `seed`; the full batches of an epoch run in one jitted
    scan, the rest in one more batch (`drop_last` leaves it out).  A loss or gradient that is
    not finite stops training with a `TrainingError` that names the epoch, batch and values,
    and keeps the last good `theta`."""
    import optax  # here: only training needs it

    if not isinstance(f, ModelFunction):
        raise ir.ModelError(f"bptt() trains a function made by sim.function(...), got"
                            f" {type(f).__name__}")
    inputs, targets = _split_data(data, f)
    count = next(iter(jax.tree_util.tree_leaves(inputs) or [np.zeros(0)])).shape[0]
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ir.ModelError(f"batch_size must be a positive whole number, got {batch_size!r}")
    optimizer = optimizer or optax.adam(1e-3)
    theta = f.init() if theta is None else theta
    opt_state = optimizer.init(theta)
    batched = jax.vmap(f, in_axes=(None, 0, 0))
    metrics = dict(metrics or {})

    def objective(theta, x, y, keys):
        outputs = batched(theta, x, keys)
        value = loss(outputs, y)
        return value, {name: fn(outputs, y) for name, fn in metrics.items()}

    probe = np.arange(min(batch_size, count))  # the loss's shape, on a first batch
    _check_loss(objective, theta, _take(inputs, probe), _take(targets, probe),
                jax.random.split(jax.random.key(seed), len(probe)))

    def update(carry, data, rows, key, offset):
        """One optimizer step on the sequences `rows` of `data` (on the device already),
        unless a loss or gradient before it was not finite: then the values stay where they
        were (the last good ones) and the failure is remembered, so that nothing needs to be
        read back until the end of the epoch."""
        theta, opt_state, failure, batch = carry
        x, y = jax.tree_util.tree_map(lambda leaf: jnp.take(leaf, rows, axis=0), data)
        keys = jax.random.split(jax.random.fold_in(key, offset), rows.shape[0])
        (value, measured), grads = jax.value_and_grad(objective, has_aux=True)(theta, x, y, keys)
        updates, new_state = optimizer.update(grads, opt_state, theta)
        finite = jnp.stack([jnp.isfinite(value)] + [jnp.all(jnp.isfinite(g))
                                                    for g in jax.tree_util.tree_leaves(grads)])
        failed = jnp.logical_not(jnp.all(finite))
        first = (failure[0] < 0) & failed  # the first batch that failed, and what failed in it
        failure = jnp.where(first, jnp.concatenate([batch[None], finite.astype(batch.dtype)]),
                            failure)
        keep = failure[0] >= 0
        theta, opt_state = jax.tree_util.tree_map(
            lambda old, new: jnp.where(keep, old, new), (theta, opt_state),
            (optax.apply_updates(theta, updates), new_state))
        totals = {"loss": value, **measured}
        return (theta, opt_state, failure, batch + 1), totals

    def full_batches(carry, data, rows, key, offsets):
        """The epoch's full batches in one scan: one call, no dispatch per batch."""
        return jax.lax.scan(lambda c, batch: update(c, data, batch[0], key, batch[1]), carry,
                            (rows, offsets))

    # in the order of the flags: the loss, then the gradients as JAX flattens a dict (sorted)
    names = ["the loss"] + [f"the gradient of {name}" for name in sorted(theta)]
    history = {"loss": [], "epoch_seconds": [], **{name: [] for name in metrics}}
    rng, key = np.random.default_rng(seed), jax.random.key(seed)
    data = jax.device_put(jax.tree_util.tree_map(np.asarray, (inputs, targets)))
    whole = count // batch_size  # full batches; the rest, unless dropped, is one more
    rest = 0 if drop_last else count - whole * batch_size
    if whole == 0 and rest == 0:
        raise ir.ModelError(f"drop_last leaves no batch: {count} sequences, batch_size"
                            f" {batch_size}")
    compiled: dict = {}
    bar = _progress(epochs, progress)
    for epoch in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(count)
        failure = jnp.full(1 + len(names), -1, jnp.int32)
        carry, parts = (theta, opt_state, failure, jnp.int32(0)), []
        if whole:
            rows = order[:whole * batch_size].reshape(whole, batch_size)
            offsets = epoch * count + np.arange(whole) * batch_size
            if "epoch" not in compiled:  # compiled ahead, to read its memory
                compiled["epoch"] = jit(full_batches).lower(carry, data, rows, key,
                                                                offsets).compile()
            carry, totals = compiled["epoch"](carry, data, rows, key, offsets)
            parts.append(totals)
        if rest:
            if "rest" not in compiled:
                compiled["rest"] = jit(update)
            carry, totals = compiled["rest"](carry, data, order[whole * batch_size:], key,
                                             epoch * count + whole * batch_size)
            parts.append(jax.tree_util.tree_map(lambda v: v[None], totals))
        theta, opt_state, failure, _ = carry
        failure = np.asarray(failure)
        if failure[0] >= 0:
            broken = [name for name, ok in zip(names, failure[1:]) if not ok]
            raise TrainingError(
                f"{' and '.join(broken)} became non-finite in epoch {epoch + 1}, batch"
                f" {failure[0] + 1}",
                "lower the learning rate, clip gradients (optax.clip_by_global_norm) or check"
                " the loss; .theta holds the values before that batch", theta, history)
        means = jax.device_get(jax.tree_util.tree_map(
            lambda *v: jnp.mean(jnp.concatenate(v)), *parts))
        history["epoch_seconds"].append(time.perf_counter() - start)
        for name, value in means.items():
            history[name].append(float(value))
        if bar is not None:
            bar.set_postfix(loss=f"{history['loss'][-1]:.4g}")
            bar.update(1)
    if bar is not None:
        bar.close()
    if "epoch" in compiled:
        history["memory_bytes"] = _memory(compiled["epoch"])
    return Trained(theta, opt_state, history)


def _memory(compiled) -> int | None:
    """XLA's account of the memory one update needs: its arguments, outputs and temporaries
    (the values the backward pass keeps are temporaries); None where it gives none."""
    analysis = compiled.memory_analysis()
    if analysis is None:
        return None
    return int(analysis.argument_size_in_bytes + analysis.output_size_in_bytes
               + analysis.temp_size_in_bytes - analysis.alias_size_in_bytes)


def _split_data(data, f: ModelFunction):
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], dict)):
        raise ir.ModelError("data must be (inputs, targets), inputs a dict of arrays [S, T, n]",
                            hint=f"inputs: {', '.join(i.name for i in f.inputs) or 'none'}")
    inputs, targets = data
    names = {i.name for i in f.inputs}
    if set(inputs) != names:
        raise ir.ModelError(f"data's inputs are {sorted(inputs)}, the function's {sorted(names)}")
    counts = {}
    for item in f.inputs:
        array = np.asarray(inputs[item.name])
        if array.ndim != 3 or array.shape[2] != item.neurons.size:
            raise ir.ModelError(f"data for input '{item.name}' has shape {array.shape}, expected"
                                f" [S, T, {item.neurons.size}] (S sequences of T steps)")
        counts[item.name] = array.shape[0]
    rows = {np.shape(leaf)[0] if np.ndim(leaf) else None
            for leaf in jax.tree_util.tree_leaves(targets)}
    if len(set(counts.values()) | rows) != 1 or None in rows:
        raise ir.ModelError(f"inputs and targets must have one number of sequences (rows), got"
                            f" {sorted(set(counts.values()))} and {sorted(rows, key=str)}")
    return inputs, targets


def _check_loss(objective, theta, x, y, keys) -> None:
    try:
        shape = jax.eval_shape(objective, theta, x, y, keys)[0].shape
    except ir.NeuroflowError:
        raise
    except Exception as err:  # the user's loss, traced on a batch
        raise ir.ModelError(f"the loss could not be computed on a batch: {err}",
                            hint="loss(outputs, targets) gets a dict of arrays [B, T, n]") from None
    if shape != ():
        raise ir.ModelError(f"the loss must be one number, got an array of shape {shape}",
                            hint="reduce it, e.g. with jnp.mean")


def _take(tree, rows):
    return jax.tree_util.tree_map(lambda leaf: jnp.asarray(np.asarray(leaf)[rows]), tree)


def _progress(total: int, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="epoch", desc="training", leave=False)
