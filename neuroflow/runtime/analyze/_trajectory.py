"""Trajectories of the vector field by the classic fourth-order Runge–Kutta method, many at
once (`vmap` over starting points, `lax.scan` over steps)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...backend.jax import jit
from ._system import AnalysisError, System


def rk4_step(f, x, dt):
    """One step of the classic fourth-order Runge–Kutta method of dx/dt = f(x)."""
    k1 = f(x)
    k2 = f(x + dt / 2 * k1)
    k3 = f(x + dt / 2 * k2)
    k4 = f(x + dt * k3)
    return x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def trajectories(system: System, starts, duration: float, dt: float) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """`(t, x)`: times (ms) and states of shape [starts, steps + 1, n] from each row of
    `starts`, over `duration` ms in steps of `dt` ms."""
    if not (duration > 0 and dt > 0):
        raise AnalysisError(f"a trajectory needs a positive duration and dt, got {duration}"
                            f" and {dt} ms")
    steps = max(1, int(round(duration / dt)))

    def build():
        def one(x0, params):
            def body(x, _):
                x = rk4_step(lambda y: system.field(y, params), x, dt)
                return x, x
            return jnp.concatenate([x0[None], jax.lax.scan(body, x0, None, length=steps)[1]])
        return jit(jax.vmap(one, in_axes=(0, None)))

    run = system.compiled(("trajectory", steps, float(dt)), build)
    starts = np.atleast_2d(np.asarray(starts, float))
    return np.arange(steps + 1) * dt, np.asarray(run(starts, system.params))
