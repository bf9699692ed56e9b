"""Damped Newton's method for `F(x) = 0`, one seed or many at once (`jax.vmap`).

Each iteration solves `J dx = -F` and takes the longest step among 1, 1/2, ..., 1/2^7 that
lowers |F| (all eight tried at once: no branching under `vmap`); a singular Jacobian gives a
non-finite step, which is refused, so that seed stops where it is and reports no convergence.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jit

# numpy, not jnp: an array made at import would start JAX's backends, after which
# `jax.distributed.initialize` (several processes) can no longer run
DAMPING = 0.5 ** np.arange(8)


def _iteration(F: Callable, x):
    value = F(x)
    step = jnp.linalg.solve(jax.jacfwd(F)(x), -value)
    step = jnp.where(jnp.all(jnp.isfinite(step)), step, jnp.zeros_like(step))
    damping = jnp.asarray(DAMPING)
    norms = jax.vmap(lambda a: jnp.linalg.norm(F(x + a * step)))(damping)
    norms = jnp.where(jnp.isfinite(norms), norms, jnp.inf)
    better = norms < jnp.linalg.norm(value)
    # the first (longest) step that helps; the shortest when none does
    choice = jnp.where(jnp.any(better), jnp.argmax(better), len(DAMPING) - 1)
    return x + damping[choice] * step


def newton(F: Callable, x, iterations: int = 40):
    """`(x, |F(x)|)` after `iterations` damped Newton steps from `x` (traceable)."""
    x = jax.lax.fori_loop(0, iterations, lambda _, y: _iteration(F, y), x)
    return x, jnp.linalg.norm(F(x))


def newton_many(f: Callable, iterations: int = 40):
    """`solve(seeds, p)`, jitted: Newton on `f(x, p) = 0` from each row of `seeds` at once,
    giving `(points, residuals)`."""
    def solve(seeds, p):
        return jax.vmap(lambda s: newton(lambda x: f(x, p), s, iterations))(seeds)
    return jit(solve)
