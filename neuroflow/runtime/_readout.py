"""Linear readouts of recorded states: in closed form (`ridge`) and online by recursive least
squares (`force`, the rule of FORCE learning, Sussillo & Abbott 2009).  Plain arrays in and
out; the states come from `sim.function` or a simulation's traces."""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .. import ir
from ..backend.jax import jax_scope, jit


@dataclass(frozen=True)
class Readout:
    """A linear readout `y = states @ weights + bias` (`bias` zero when fitted without)."""

    weights: np.ndarray
    bias: np.ndarray
    alpha: float | None = None
    scores: dict | None = None  # validation error per alpha, when several were tried

    def predict(self, states) -> np.ndarray:
        return np.asarray(states) @ self.weights + self.bias


def _design(states, warmup: int, what: str) -> np.ndarray:
    array = np.asarray(states, dtype=np.float64)
    if array.ndim == 3:  # several sequences: each loses its warm-up
        return np.concatenate([_design(s, warmup, what) for s in array])
    if array.ndim != 2:
        raise ir.ModelError(f"{what} must be [T, n] or [S, T, n], got shape {array.shape}")
    if not 0 <= warmup < array.shape[0]:
        raise ir.ModelError(f"warmup={warmup} leaves none of the {array.shape[0]} steps")
    return array[warmup:]


def _pairs(states, targets, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """States and targets of the steps after the warm-up, as [steps, columns] in float64."""
    x = _design(states, warmup, "states")
    y = _design(np.asarray(targets)[..., None] if np.ndim(targets) == np.ndim(states) - 1
                else targets, warmup, "targets")
    if x.shape[0] != y.shape[0]:
        raise ir.ModelError(f"states have {x.shape[0]} steps after the warm-up, targets"
                            f" {y.shape[0]}")
    return x, y


def ridge(states, targets, *, alpha=1e-6, warmup: int = 0, bias: bool = True,
          validation: float = 0.2) -> Readout:
    """The readout minimizing |states @ W + b - targets|² + alpha |W|², in closed form.

    `states` `[T, n]` (or `[S, T, n]`) are recorded values, e.g. `f(theta, inputs)["R.x"]`;
    `targets` the same shape with m columns; the first `warmup` steps of each sequence are left
    out.  Several `alpha` values are a sweep: each is fitted on the first 1 - `validation` of
    the steps and scored (mean squared error) on the rest, and the best is refitted on all."""
    x, y = _pairs(states, targets, warmup)
    alphas = [float(a) for a in np.atleast_1d(alpha)]
    if any(not a >= 0 for a in alphas):
        raise ir.ModelError(f"alpha must be >= 0, got {alpha!r}")
    scores = None
    if len(alphas) > 1:
        cut = int(round(x.shape[0] * (1 - validation)))
        if not 0 < cut < x.shape[0]:
            raise ir.ModelError(f"validation={validation} leaves no steps to fit or to score")
        scores = {}
        for a in alphas:
            w, b = _solve(x[:cut], y[:cut], a, bias)
            scores[a] = float(np.mean((x[cut:] @ w + b - y[cut:]) ** 2))
        alphas = [min(scores, key=scores.get)]
    w, b = _solve(x, y, alphas[0], bias)
    return Readout(w, b, alphas[0], scores)


def _solve(x: np.ndarray, y: np.ndarray, alpha: float, bias: bool):
    import scipy.linalg  # here: a readout is the only user

    if bias:  # centred: the bias is not regularized
        mx, my = x.mean(axis=0), y.mean(axis=0)
        w, _ = _solve(x - mx, y - my, alpha, False)
        return w, my - mx @ w
    gram = x.T @ x + alpha * np.eye(x.shape[1])
    try:
        w = scipy.linalg.solve(gram, x.T @ y, assume_a="pos")
    except np.linalg.LinAlgError:
        raise ir.ModelError("the states are linearly dependent and alpha is 0: the readout is"
                            " not unique", hint="give alpha > 0") from None
    return w, np.zeros(y.shape[1])


@jax_scope()
def force(states, targets, *, p0: float = 1.0, forgetting: float = 1.0, warmup: int = 0,
          bias: bool = True, dtype: str = "float64") -> Readout:
    """A readout fitted online by recursive least squares (FORCE's rule), one pass in order.

    At each step the readout's error before the update `e = W r - y` corrects `W` along the
    gain `P r / (forgetting + rᵀ P r)`, and `P` (at first `p0`·I) tracks the inverse of the
    states' correlation; `forgetting` < 1 weighs recent steps more.  Runs in one jitted
    `lax.scan`."""
    x, y = _pairs(states, targets, warmup)
    if not p0 > 0 or not 0 < forgetting <= 1:
        raise ir.ModelError(f"force() needs p0 > 0 and 0 < forgetting <= 1, got p0={p0},"
                            f" forgetting={forgetting}")
    if bias:
        x = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    w = _recursive_least_squares(jnp.asarray(x, dtype), jnp.asarray(y, dtype), p0, forgetting)
    w = np.asarray(w, np.float64)
    if not np.all(np.isfinite(w)):
        raise ir.ModelError("recursive least squares diverged (non-finite weights)",
                            hint="use a forgetting factor closer to 1 or a smaller p0")
    return Readout(w[:-1], w[-1], None) if bias else Readout(w, np.zeros(y.shape[1]), None)


@jit(static_argnums=(2, 3))
def _recursive_least_squares(x, y, p0: float, forgetting: float):
    n, m = x.shape[1], y.shape[1]

    def step(carry, row):
        w, p = carry
        r, target = row
        pr = p @ r
        gain = pr / (forgetting + r @ pr)
        error = r @ w - target
        w = w - jnp.outer(gain, error)
        p = (p - jnp.outer(gain, pr)) / forgetting
        return (w, p), None

    start = (jnp.zeros((n, m), x.dtype), p0 * jnp.eye(n, dtype=x.dtype))
    (w, _), _ = jax.lax.scan(step, start, (x, y))
    return w
