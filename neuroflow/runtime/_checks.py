"""What a run checks: the values it is given (a seed, times, new per-synapse delays), before
anything is drawn, and its state after each chunk (whether every variable stayed finite, and
where the first NaN or inf is)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import ir


def check_seed(seed) -> int:
    """A seed as an int, or a clear error: numpy and JAX take seeds of up to 63 bits."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed < 2**63:
        raise ir.ModelError(f"a seed must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    return int(seed)


def to_ms(value, what: str) -> float:
    q = ir.as_quantity(value)
    # plain numbers are ms, as in unitless models
    if not q.dim.is_dimensionless and q.dim != ir.TIME:
        raise ir.ModelError(f"{what} must be a time, got {value!r}")
    return float(q.internal())


def delay_value(value, key: str) -> ir.Value:
    if isinstance(value, ir.Random):
        dist, dim = value.to_ir()
    else:
        q = ir.as_quantity(value)
        raw = np.asarray(q.internal(), dtype=float)
        dist, dim = (float(raw) if raw.ndim == 0 else tuple(raw.ravel().tolist())), q.dim
    if dim != ir.TIME:
        raise ir.ModelError(f"'{key}' must be a time (or times), got {value!r}")
    return dist


def finite_flags(state: dict) -> dict:
    return {f"{p}.{v}": jnp.all(jnp.isfinite(a)) for p, vs in state["pops"].items()
            for v, a in vs.items() if jnp.issubdtype(a.dtype, jnp.floating)}


def first_nonfinite(state: dict):
    """`(population, variable, neuron, "NaN"/"+inf"/"-inf")` of a NaN/inf in the state, or None."""
    for key, ok in jax.device_get(finite_flags(state)).items():
        if not ok:
            pop, var = key.split(".", 1)
            values = np.atleast_1d(np.asarray(state["pops"][pop][var]))
            neuron = int(np.flatnonzero(~np.isfinite(values))[0])
            value = float(values[neuron])
            return pop, var, neuron, "NaN" if np.isnan(value) else ("+inf" if value > 0 else "-inf")
    return None
