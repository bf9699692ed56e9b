"""`vector_field(model) -> VectorField`: the ODEs *before* integration as `f(x, p) -> dx/dt`.

A second lowering, beside the discrete step, for the analysis runtime.  The state of every ODE of
the model is laid out in one flat vector `x` (see `VectorField.layout`); `p` maps parameter ids
(`"P.I"`) to values in internal units and replaces the model's own values where given.
Subexpressions are evaluated; thresholds, resets, projections of spikes and Poisson input are left
out (they are events, not flows); continuous couplings (summed variables) are computed from the
state, as the step computes them before its updates.  State variables without an equation that no
coupling sets (a current only synapses change, say) keep their initial values and can be set
through `p` like parameters.  White noise (`xi`) is left out: `f` is the drift.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from ... import ir
from ._coupling import COUPLING_KERNELS, coupling_sum
from ._expr import evaluate
from ._kernels import draw_synapses
from ._scope import jax_scope
from ._step import LoweringError

# Couplings with up to this many (pre, post) pairs are summed as a dense matrix, larger ones
# gather per synapse: a dense 2048 x 2048 matrix of float64 is 32 MiB.
DENSE_PAIRS = 1 << 22


@dataclass(frozen=True, slots=True)
class StateEntry:
    """`x[start:start + size]` holds variable `var` of population `pop` (one entry per neuron,
    or one for a shared variable), in internal units of dimension `dim`."""

    pop: str
    var: str
    start: int
    size: int
    dim: ir.Dimension
    shared: bool = False

    @property
    def name(self) -> str:
        return f"{self.pop}.{self.var}"

    @property
    def stop(self) -> int:
        return self.start + self.size


class VectorField:
    """`field(x, p)`: dx/dt of the flat state `x` under the parameters `p` (a dict of ids to
    values, merged over `field.params`).  Pure and traceable: jit, vmap and jacfwd apply."""

    @jax_scope()
    def __init__(self, model: ir.Model, seed: int = 0, dtype: str = "float64"):
        odes = model.find(ir.ODE)
        if model.find(ir.StateUpdate):
            raise LoweringError("the vector field needs the ODEs, but this model was integrated",
                                hint="build it from the model after 'resolve,canonicalize,"
                                     "factorize', before 'integrate'")
        if not odes:
            raise LoweringError(f"model '{model.name}' has no differential equations",
                                hint="a vector field needs at least one `dx/dt = ...`")
        self.model, self.dtype = model, jnp.dtype(dtype)
        self.sizes = {p.name: p.size for p in model.populations}
        variables = {v.id: v for v in model.find(ir.StateVar)}
        entries, start = [], 0
        for ode in odes:
            var = variables[f"{ode.pop}.{ode.var}"]
            shared = var.type.is_scalar
            size = 1 if shared else self.sizes[ode.pop]
            entries.append(StateEntry(ode.pop, ode.var, start, size, var.type.dim, shared))
            start += size
        self.layout: tuple[StateEntry, ...] = tuple(entries)
        self.size = start
        self.rhs = {(o.pop, o.var): o.rhs for o in odes}
        self.entries = {(e.pop, e.var): e for e in entries}
        self.subexpressions = {p: {s.name: s for s in model.find(ir.Subexpression, p)}
                               for p in self.sizes}
        self.couplings = model.find(ir.Coupling)
        self.summed = {f"{c.post.population}.{c.target}" for c in self.couplings}
        initial = self._initial_values(seed)
        self.x0 = np.concatenate([np.broadcast_to(initial[e.name], (e.size,)) for e in entries])
        self.params, self.dims = self._parameters(seed, initial)
        self.couplings, self.conn = self._connectivity(seed, initial)

    # -- values the model gives -----------------------------------------------------------
    @staticmethod
    def _value(value: ir.Value, shape, rng: np.random.Generator) -> np.ndarray:
        if isinstance(value, ir.Distribution):
            return np.asarray(value.sample(shape or (), rng), float)
        return np.array(np.broadcast_to(np.asarray(value, float), shape))

    def _initial_values(self, seed: int) -> dict[str, np.ndarray]:
        """Initial values drawn as the simulator draws them from `seed`."""
        rng = np.random.default_rng([seed, 0])
        return {v.id: self._value(v.init, v.type.shape, rng) for v in self.model.find(ir.StateVar)}

    def _parameters(self, seed: int, initial: dict) -> tuple[dict, dict]:
        rng = np.random.default_rng([seed, 2])
        values, dims = {}, {}
        for par in self.model.find(ir.Parameter):
            values[par.id] = self._value(par.value, par.type.shape, rng)
            dims[par.id] = par.type.dim
        for timed in self.model.find(ir.TimedInput):  # the value it starts with
            per_bin = timed.type.shape[0] if timed.type.shape else 1
            values[timed.id] = np.asarray(timed.values[:per_bin], float).reshape(timed.type.shape)
            dims[timed.id] = timed.type.dim
        for var in self.model.find(ir.StateVar):  # held: no equation and no coupling sets it
            if (var.pop, var.name) not in self.entries and var.id not in self.summed:
                values[var.id], dims[var.id] = initial[var.id], var.type.dim
        return {k: jnp.asarray(v, self.dtype) for k, v in values.items()}, dims

    def _connectivity(self, seed: int, initial: dict) -> tuple[list, dict]:
        """The couplings with the kernel that sums them here, and their synapses drawn from
        `seed` as the simulator draws them."""
        def values(pop: str, name: str) -> np.ndarray:
            key = f"{pop}.{name}"
            return np.asarray(self.params[key] if key in self.params else initial[key])

        couplings, conn = [], {}
        for k, node in enumerate(self.couplings):
            pairs = node.pre.size * node.post.size
            node = node.replace(kernel=ir.Kernel.DENSE if pairs <= DENSE_PAIRS else ir.Kernel.CSR)
            pre, post, weight = draw_synapses(node, np.random.default_rng([seed, 3, k]), values)
            conn[node.name] = COUPLING_KERNELS[node.kernel].build(node, pre, post, weight,
                                                                  self.dtype)
            couplings.append(node)
        return couplings, conn

    # -- the function -----------------------------------------------------------------------
    @jax_scope()
    def __call__(self, x, p: dict | None = None):
        values = dict(self.params)
        if p:
            unknown = set(p) - set(values)
            if unknown:
                name = sorted(unknown)[0]
                raise LoweringError(f"'{name}' is not a parameter of the vector field",
                                    hint=ir.did_you_mean(name, values))
            values.update(p)
        call = _Call(self, jnp.asarray(x, self.dtype), values)
        parts = []
        for entry in self.layout:
            rate = evaluate(self.rhs[entry.pop, entry.var], call.env(entry.pop))
            parts.append(jnp.broadcast_to(jnp.asarray(rate, self.dtype), (entry.size,)))
        return jnp.concatenate(parts)

    def unflatten(self, x) -> dict[str, np.ndarray]:
        """`{"P.v": values}` of a flat state (the last axis of `x`)."""
        x = np.asarray(x)
        return {e.name: x[..., e.start:e.stop] for e in self.layout}

    def describe(self) -> str:
        """The layout, one line per variable: `x[0:1] P.v (mV)`."""
        return "\n".join(f"x[{e.start}:{e.stop}] {e.name} ({e.dim})" for e in self.layout)


class _Call:
    """One evaluation of the field: the state, the parameters, and values computed once."""

    def __init__(self, field: VectorField, x, params: dict):
        self.field, self.x, self.params = field, x, params
        self.cache: dict = {}
        self.envs: dict = {}

    def env(self, pop: str) -> "_FieldEnv":
        if pop not in self.envs:
            self.envs[pop] = _FieldEnv(self, pop)
        return self.envs[pop]

    def summed(self, pop: str, var: str):
        """A summed variable: the sum of every coupling onto it, 0 where none reaches."""
        field = self.field
        total = jnp.zeros(field.sizes[pop], field.dtype)
        for node in field.couplings:
            if (node.post.population, node.target) != (pop, var):
                continue
            column = coupling_sum(node, field.conn[node.name], self.env(node.pre.population),
                                  self.env(pop))
            total = total.at[node.post.start:node.post.stop].add(column.astype(field.dtype))
        return total


class _FieldEnv:
    """Name resolution inside one population for `evaluate`."""

    def __init__(self, call: _Call, pop: str):
        self.call, self.pop = call, pop
        self.dtype = call.field.dtype

    def lookup(self, name: str):
        call, field, key = self.call, self.call.field, f"{self.pop}.{name}"
        entry = field.entries.get((self.pop, name))
        if entry is not None:
            values = call.x[entry.start:entry.stop]
            return values[0] if entry.shared else values
        if key in call.params:
            return call.params[key]
        if key in call.cache:
            return call.cache[key]
        sub = field.subexpressions[self.pop].get(name)
        if sub is not None:
            call.cache[key] = evaluate(sub.expr, self)
        elif key in field.summed:
            call.cache[key] = call.summed(self.pop, name)
        else:
            return self._builtin(name)
        return call.cache[key]

    def _builtin(self, name: str):
        size = self.call.field.sizes[self.pop]
        if name == "t":  # the field is autonomous: time-dependent terms are taken at t = 0
            return jnp.zeros((), self.dtype)
        if name == "i":
            return jnp.arange(size)
        if name == "N":
            return jnp.asarray(size)
        if name == "not_refractory":
            return jnp.ones(size, bool)
        if name in ("True", "False"):
            return jnp.asarray(name == "True")
        if ir.is_noise(name):  # the drift: white noise has mean zero
            return jnp.zeros((), self.dtype)
        raise LoweringError(f"'{name}' of population '{self.pop}' has no value in the vector"
                            " field", hint="run 'resolve,canonicalize' first; the field knows"
                                           " no `dt` or `lastspike`")

    def random(self, kind: str):
        raise LoweringError(f"{kind}() in the equations of '{self.pop}' has no value in the"
                            " vector field", hint="write noise as `xi` (white noise): the field"
                                                  " is the drift")

    def delayed(self, name: str, time):
        raise LoweringError(f"'{name}' is read in the past: delay equations have no vector field"
                            " on a finite state")


def vector_field(model: ir.Model, seed: int = 0, dtype: str = "float64") -> VectorField:
    """The ODEs of `model` (resolved, canonicalized and factorized, not integrated) as a pure
    function `f(x, p) -> dx/dt`; random initial values and weights are drawn from `seed` as
    the simulator draws them."""
    return VectorField(model, seed, dtype)
