"""One network over several devices: a partitioned model's chunks under `jax.shard_map`.

The mesh is 1-D (axis `neurons`) and made of any JAX devices, local or not: arrays are placed
by `distributed.put`, so a mesh over the devices of several processes (`jax.distributed`)
takes the same path.  Each device runs the scan of the local step
(`backend.jax._partition`); the monitors' outputs are whole-population values that every device
computes alike (from the gathered spikes), so they come back once, unsplit, and a run's `Results`
are those of one device.
"""
from __future__ import annotations

import hashlib

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import ir
from ..backend.jax import jit
from ..backend.jax._partition import (exchange_interval, local_program, split_connectivity,
                                      split_params, split_state)
from ._checks import finite_flags
from ._distributed import mesh_devices, put

NEURONS = "neurons"
"""The mesh axis the neurons of every population are split over."""


def partition_devices(devices) -> list:
    """`devices` as a list of distinct JAX devices: a count takes the first of
    `jax.devices()`."""
    if isinstance(devices, int) and not isinstance(devices, bool):
        if not 1 <= devices <= len(jax.devices()):
            raise ir.ModelError(f"compile(devices={devices}): JAX sees {len(jax.devices())}"
                                " device(s)", hint="set XLA_FLAGS=--xla_force_host_platform_"
                                "device_count=N before JAX starts for N devices on the CPU")
        return jax.devices()[:devices]
    return mesh_devices(devices, "compile")


class PartitionedRun:
    """How a `Simulator` runs a partitioned model: draw and split, then chunks on the mesh."""

    def __init__(self, program, node: ir.Partition, devices: list):
        if len(devices) != node.devices:
            raise ir.ModelError(f"the model is partitioned over {node.devices} devices, but"
                                f" {len(devices)} were given", hint="give as many devices as"
                                " the partition pass was told (its option devices=)")
        self.program, self.node = program, node
        self.mesh = Mesh(np.asarray(devices), (NEURONS,))
        self.local = local_program(program, node, NEURONS)
        self.chunk = jit(self._chunk, static_argnums=(4,), donate_argnums=(0,))
        self._drawn_key, self._drawn = None, None  # the last tables placed; (seed, parameters)

    def describe(self) -> str:
        owned = ", ".join(f"{pop} {n}" for pop, n in self.node.owned)
        return f"{self.node.devices} devices, each with {owned} neurons"

    def place(self, tree):
        """Leaves with one entry per device along their first axis, entry d on device d (a
        checkpoint's arrays, gathered from the processes of a job, go back this way too)."""
        return put(tree, NamedSharding(self.mesh, PartitionSpec(NEURONS)))

    def initial(self, seed: int, delays: dict) -> tuple[dict, dict, dict]:
        """`(state, params, conn)`: the state and connectivity split over the devices (the same
        numbers as `program.initial(seed, delays)` draws), the parameters whole."""
        state, params, _ = self.program.initial(seed, delays, connect=False)
        host_state, host_params = jax.device_get((state, params))
        # drawing and cutting 5M synapses takes ~0.35 s: a run with the seed and the parameters
        # (weights may be computed from them) of the last one reuses its tables, as one device does
        key = None if delays else (seed, _digest(host_params))
        if key is None or key != self._drawn_key:
            self._drawn_key, self._drawn = key, self.place(
                split_connectivity(self.local, seed, host_state, host_params, delays))
        return self.place(split_state(self.local, host_state)), params, self._drawn

    def split_params(self, params: dict) -> dict:
        return self.place(split_params(self.local, jax.device_get(params)))

    @staticmethod
    def _intervals(interval, state, steps: int, exchange: int):
        """`steps` steps in intervals of `exchange` (the last one shorter where they do not
        divide), with their outputs one entry per step."""
        full, rest = divmod(steps, exchange)
        parts = []
        if full:
            state, outputs = jax.lax.scan(lambda s, _: interval(s, exchange), state, None,
                                          length=full)
            parts.append(jax.tree_util.tree_map(
                lambda leaf: leaf.reshape((full * exchange,) + leaf.shape[2:]), outputs))
        if rest:
            state, outputs = interval(state, rest)
            parts.append(outputs)
        return state, jax.tree_util.tree_map(lambda *leaves: jnp.concatenate(leaves), *parts)

    def _chunk(self, state, params, conn, derived, steps: int):
        """`steps` steps of every device's block in one scan (`derived` is computed on each
        device from its parameters)."""
        local, exchange = self.local, self.node.exchange

        def run(state, params, conn):
            state, params, conn = jax.tree_util.tree_map(lambda leaf: leaf[0],
                                                         (state, params, conn))
            derived = local._propagators(params) if local.linear else {}

            def body(carry, _):
                return local.step(carry, params, conn, derived)

            def interval(state, length: int):
                first = state["step"]
                state, outputs = jax.lax.scan(body, state, None, length=length)
                return exchange_interval(local, state, outputs, first, length)

            if exchange == 1:  # the spikes are exchanged inside every step
                state, outputs = jax.lax.scan(body, state, None, length=steps)
            else:
                state, outputs = self._intervals(interval, state, steps, exchange)
            finite = {key: jax.lax.pmin(flag.astype(jnp.int32), NEURONS) > 0
                      for key, flag in finite_flags(state).items()}
            return jax.tree_util.tree_map(lambda leaf: leaf[None], state), outputs, finite

        split, whole = PartitionSpec(NEURONS), PartitionSpec()
        # check_vma is off: custom calls (the native kernels) carry no varying-axes rule
        return jax.shard_map(run, mesh=self.mesh, in_specs=(split, split, split),
                             out_specs=(split, whole, whole), check_vma=False)(state, params, conn)


def _digest(tree) -> str:
    digest = hashlib.sha1()
    for leaf in jax.tree_util.tree_leaves(tree):
        digest.update(np.ascontiguousarray(leaf).tobytes())
    return digest.hexdigest()
