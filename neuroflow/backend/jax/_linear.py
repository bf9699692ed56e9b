"""Exact steps of linear systems `dx/dt = A x + b` (the IR's `LinearSystem`).

Over one step `x(t+dt) = Phi x + Psi b` with `Phi = exp(A dt)` and `Psi = ∫_0^dt exp(A s) ds`, both
read off one matrix exponential of the block matrix `[[A, I], [0, 0]] dt`.  When A only uses shared
parameters the exponential is computed once per run (`prepare`), not once per step.
"""
from __future__ import annotations

import functools
import operator

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import expm

from ... import ir
from ._expr import evaluate


class _ParameterEnv:
    """Resolves the names a hoisted coefficient may use: shared parameters and dt."""

    def __init__(self, program, params: dict, pop: str):
        self.dtype, self._params, self._pop, self._dt = program.dtype, params, pop, program.dt

    def lookup(self, name: str):
        if name == "dt":
            return jnp.asarray(self._dt, self.dtype)
        return self._params[self._pop][name]

    def random(self, kind: str):
        raise AssertionError("coefficients of an exact system are never random")


def _propagators(matrix, dt: float, dtype):
    """`(Phi, Psi)` for A given as an [..., n, n] array."""
    n = matrix.shape[-1]
    block = jnp.zeros(matrix.shape[:-2] + (2 * n, 2 * n), dtype)
    block = block.at[..., :n, :n].set(matrix * dt)
    block = block.at[..., :n, n:].set(jnp.eye(n, dtype=dtype) * dt)
    exp = jax.vmap(expm)(block.reshape(-1, 2 * n, 2 * n)).reshape(block.shape)
    return exp[..., :n, :n], exp[..., :n, n:]


class LinearSolver:
    def __init__(self, program, update: ir.StateUpdate):
        self.program, self.pop = program, update.pop
        self.system = next(i for i in update.body if isinstance(i, ir.LinearSystem))
        shared = {p.name for p in program.model.find(ir.Parameter, self.pop) if p.type.is_scalar}
        used = set().union(*(ir.names(e) for row in self.system.matrix for e in row))
        self.hoisted = used <= shared | {"dt"}

    def _matrix(self, env, shape=()):
        rows = [[jnp.broadcast_to(jnp.asarray(evaluate(e, env), self.program.dtype), shape)
                 for e in row] for row in self.system.matrix]
        return jnp.stack([jnp.stack(r, axis=-1) for r in rows], axis=-2)

    def prepare(self, params: dict):
        if not self.hoisted:
            return None
        env = _ParameterEnv(self.program, params, self.pop)
        return _propagators(self._matrix(env), self.program.dt, self.program.dtype)

    def apply(self, system: ir.LinearSystem, env, derived) -> dict:
        size = self.program.sizes[self.pop]
        if derived is None:  # per-neuron coefficients: one exponential per neuron and step
            derived = _propagators(self._matrix(env, (size,)), self.program.dt, self.program.dtype)
        phi, psi = derived
        x = [jnp.broadcast_to(env.lookup(v), (size,)) for v in system.targets]
        # offsets that are 0 (no input term) add nothing: leave their products out of the step
        b = [None if isinstance(e, ir.Const) and e.value == 0 else
             jnp.broadcast_to(jnp.asarray(evaluate(e, env), self.program.dtype), (size,))
             for e in system.offset]
        new = {}
        for i, var in enumerate(system.targets):
            terms = [(phi[..., i, j], x[j]) for j in range(len(x))] + [
                (psi[..., i, j], b[j]) for j in range(len(x)) if b[j] is not None]
            products = [c * value for c, value in terms if not _zero(c)]
            new[var] = (functools.reduce(operator.add, products) if products
                        else jnp.zeros(size, self.program.dtype))
        return new


def _zero(coefficient) -> bool:
    """A propagator's entry known to be 0 while tracing (given as numbers, not traced: a
    product the step can leave out, forward and backward)."""
    return isinstance(coefficient, np.ndarray | np.generic) and not np.any(coefficient)
