"""The `event_plastic` kernel: plastic synapses, whose variables are state that the spikes of
both sides change (Brian2's event-driven synapses), kept in the ELL layout of the `event` kernel
and updated only in the rows of the neurons that spiked."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ...ir import FUNCTIONS, POST, PRE, Const, Expr, Projection, Statement, decompose
from ._device import to_device
from ._expr import array_library, evaluate
from ._kernels import EllLayout, Event, per_synapse
from ._spikes import bucketed, spiking_rows


LASTUPDATE = "_lastupdate"


def decay_coefficients(rhs: Expr, var: str) -> tuple[Expr, Expr]:
    """`(a, b)` with `rhs == a*var + b` for an event-driven equation `d var/dt = rhs`."""
    linear = decompose(rhs, {var})
    if linear is None or set(linear[0]) - {var}:
        raise ValueError(f"the event-driven equation d{var}/dt = ... is not linear in {var}")
    return linear[0].get(var, Const(0.0)), linear[1]


class SynapseEnv:
    """Name resolution inside the synapses of a plastic projection, for `evaluate`: synapse
    variables and parameters, and the neurons' names (`v_post`, `x_pre`) from `neurons(suffix,
    name)`, a value per neuron of the slice and one for the padding, taken at `index[suffix]`."""

    def __init__(self, values: dict, params: dict, t, dt: float, dtype, neurons=None,
                 index: dict | None = None):
        self.values, self.params, self.t, self.dt, self.dtype = values, params, t, dt, dtype
        self.neurons, self.index = neurons, index or {}

    def lookup(self, name: str):
        if name in self.values:
            return self.values[name]
        if name in self.params:
            return self.params[name]
        for suffix, index in self.index.items():
            if name.endswith(suffix) and self.neurons is not None:
                return self.neurons(suffix, name[:-len(suffix)])[index]
        if name == "t":
            return self.t
        if name == "dt":
            return jnp.asarray(self.dt, self.dtype)
        raise ValueError(f"name '{name}' has no value in the synapses")

    def random(self, kind: str):
        raise ValueError("rand() and randn() are not available in synapse statements")

    def delayed(self, name: str, time):
        raise ValueError("synapse statements cannot read variables in the past")


class EventPlastic:
    """Plastic synapses, as Brian2 runs them.  Every synapse variable is a table in the ELL
    layout of `Event` (`[n_pre + 1, width]`, a padding row and padded slots that target
    `n_post`), kept in the step's state because it changes, with the time of each synapse's
    last update.  A second index lists, for each post neuron, the flat positions
    (row * width + slot) of its synapses, padded with the padding row.  When a pre neuron
    spikes its row is gathered, its event-driven variables decay exactly over the time since
    the last update, `on_pre` runs in order (post effects are summed with a scatter-add) and
    the row is written back; then the same for the synapses of each spiking post neuron with
    `on_post`.  Rows are gathered in buckets as in `Event`, so a quiet step costs little."""

    def build(self, node: Projection, pre, post, rng: np.random.Generator,
              dtype) -> tuple[dict, dict]:
        """`(connectivity, synapse state)` for drawn synapses `pre -> post`."""
        n_pre, n_post = node.pre.size, node.post.size
        layout = EllLayout(pre, n_pre)
        # for each post neuron, the flat positions (row * width + slot) of its synapses
        by_post = EllLayout(post, n_post)
        incoming = by_post(pre * layout.width + layout.slot, n_pre * layout.width, np.int32)
        conn = {"targets": to_device(layout(post, n_post, np.int32)),
                "incoming": to_device(incoming)}
        tables = {}
        for var in node.plasticity.variables:
            init = per_synapse(var.init, len(pre), rng,
                               f"initial values of '{var.name}' in projection '{node.name}'")
            tables[var.name] = to_device(layout(init, 0.0, float), dtype)
        tables[LASTUPDATE] = to_device(np.zeros((n_pre + 1, layout.width)), dtype)
        return conn, tables

    def step(self, node: Projection, arrays: dict, tables: dict, params: dict, pre_spikes,
             post_spikes, t, dt: float, neurons=None) -> tuple[dict, dict]:
        """Both pathways for one step: `(new tables, {post variable: summed input [n_post]})`.
        `neurons(suffix, name)` gives the neurons' values that statements read as `v_post`:
        as they are when the pathway starts (effects on them are summed and added after)."""
        plasticity = node.plasticity
        n_pre, n_post = node.pre.size, node.post.size
        width = arrays["targets"].shape[1]
        targets = {s.target for s in plasticity.post_effects()}

        def pre_branch(capacity: int):
            def run(tables):
                rows = spiking_rows(pre_spikes, capacity)
                where = rows[:, None] * width + jnp.arange(width)
                return self._touch(node, plasticity.on_pre, where, arrays, tables, params, t, dt,
                                   neurons)
            return run

        def post_branch(capacity: int):
            def run(tables):
                rows = spiking_rows(post_spikes, capacity)
                tables, _ = self._touch(node, plasticity.on_post, arrays["incoming"][rows], arrays,
                                        tables, params, t, dt, neurons)
                return tables
            return run

        pre_buckets, post_buckets = Event.buckets(n_pre), Event.buckets(n_post)
        tables, summed = bucketed(pre_spikes, [pre_branch(c) for c in pre_buckets + (n_pre,)],
                                   pre_buckets, tables)
        if plasticity.on_post and post_spikes is not None:
            tables = bucketed(post_spikes, [post_branch(c) for c in post_buckets + (n_post,)],
                               post_buckets, tables)
        return tables, {name: summed[name][:n_post] for name in targets}

    def _touch(self, node: Projection, body: tuple[Statement, ...], where, arrays: dict,
               tables: dict, params: dict, t, dt: float, neurons=None) -> tuple[dict, dict]:
        """Bring the synapses at flat positions `where` up to time `t`, run `body` on them and
        write them back; returns the tables and the summed post effects."""
        plasticity, n_post = node.plasticity, node.post.size
        flat = {name: table.reshape(-1) for name, table in tables.items()}
        dtype = flat[LASTUPDATE].dtype
        values = {var.name: flat[var.name][where] for var in plasticity.variables}
        elapsed = t - flat[LASTUPDATE][where]
        post = arrays["targets"].reshape(-1)[where]
        width = arrays["targets"].shape[1]
        env = SynapseEnv(values, params, t, dt, dtype, neurons, {PRE: where // width, POST: post})
        exprel, library = FUNCTIONS["exprel"], array_library(dtype)
        for var in plasticity.variables:
            if var.decay is not None:  # exact solution of dx/dt = a*x + b over `elapsed`
                slope, offset = decay_coefficients(var.decay, var.name)
                a, b = evaluate(slope, env), evaluate(offset, env)
                z = a * elapsed
                values[var.name] = (values[var.name] * jnp.exp(z)
                                    + b * elapsed * exprel.evaluate(library, z))
        summed: dict = {}
        for s in body:
            if s.target in values:
                value = evaluate(s.as_assignment(), env)
                values[s.target] = jnp.broadcast_to(value, where.shape).astype(dtype)
                continue
            amount = jnp.broadcast_to(evaluate(s.expr, env), where.shape).astype(dtype)
            total = summed.get(s.target, jnp.zeros(n_post + 1, dtype))
            summed[s.target] = total.at[post].add(amount if s.op == "+=" else -amount)
        new = dict(tables)
        for name, value in values.items():
            new[name] = flat[name].at[where].set(value).reshape(tables[name].shape)
        now = jnp.broadcast_to(t, where.shape).astype(dtype)
        new[LASTUPDATE] = flat[LASTUPDATE].at[where].set(now).reshape(tables[LASTUPDATE].shape)
        for target in {s.target for s in plasticity.post_effects()} - set(summed):
            summed[target] = jnp.zeros(n_post + 1, dtype)
        return new, summed


PLASTIC = EventPlastic()  # `event_plastic`, a step of its own: the synapses are state
