"""Sweeps over several devices: the batch axis of a sweep split over a 1-D mesh of devices.

Each device runs its members of the batch with the same vmapped chunk that a sweep on one
device runs (`jax.shard_map`); the connectivity is replicated on every device.  Native
kernels (XLA custom calls) need no partitioning rule: inside `shard_map` each device calls
them on its own buffers, once per member as under `vmap`, so a sharded sweep runs the same
kernels as one run, and every member's numbers are those of its own run.

A batch that does not divide evenly over the devices is padded with copies of its last member,
whose results are dropped; a batch smaller than the mesh uses as many devices as it has members.

The devices may belong to several processes (after `distributed.initialize`, `jax.devices()` lists
those of every process): each process then holds and runs the members on its own devices, every
process passes the same whole batch in (`distributed.put`: each keeps its part), and
`distributed.gather` brings the outputs back whole to every process.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._distributed import mesh_devices
from ._distributed import put

BATCH = "batch"
"""The mesh axis the members of a sweep are split over."""


@dataclass(frozen=True)
class BatchLayout:
    """How a sweep of `runs` members is laid out: `padded` members (a multiple of the mesh's
    devices, the last member repeated) split evenly over `mesh`."""

    mesh: Mesh
    runs: int
    padded: int

    @property
    def devices(self) -> int:
        return self.mesh.devices.size

    @property
    def local_device(self):
        """The first of the mesh's devices that this process holds."""
        return next(d for d in self.mesh.devices.flat if d.process_index == jax.process_index())

    def describe(self) -> str:
        extra = self.padded - self.runs
        padding = f" (+{extra} padding run{'s' * (extra > 1)})" if extra else ""
        return (f"{self.runs} runs{padding} on {self.devices} device{'s' * (self.devices > 1)},"
                f" {self.padded // self.devices} per device")

    def split(self, tree):
        """`tree`, whose leaves have the padded batch axis first, split over the devices."""
        return self._put(tree, PartitionSpec(BATCH))

    def replicate(self, tree):
        """`tree` (the connectivity) whole on every device of the mesh."""
        return self._put(tree, PartitionSpec())

    def _put(self, tree, spec: PartitionSpec):
        return put(tree, NamedSharding(self.mesh, spec))

    def pad(self, members: list) -> list:
        """`members` (one entry per run) filled up to `padded` with copies of the last one."""
        return members + [members[-1]] * (self.padded - len(members))


def batch_layout(devices, runs: int) -> BatchLayout:
    """The layout of `runs` members over `devices` (a sequence of JAX devices; None: all)."""
    devices = mesh_devices(jax.devices() if devices is None else devices, "sweep")
    spans_processes = len({d.process_index for d in devices}) > 1
    # every process of a job runs the same program: each must hold a device of the mesh
    used = devices if spans_processes else devices[:min(len(devices), runs)]
    padded = -(-runs // len(used)) * len(used)
    return BatchLayout(Mesh(np.asarray(used), (BATCH,)), runs, padded)


def sharded(batched_chunk, mesh: Mesh, steps: int):
    """`batched_chunk(states, params, conn, derived, steps)` with the batch axis of the states,
    parameters, derived values and every output split over `mesh`, the connectivity whole."""
    split, whole = PartitionSpec(BATCH), PartitionSpec()

    def local(states, params, conn, derived):
        return batched_chunk(states, params, conn, derived, steps)

    # check_vma is off: custom calls (the native kernels) carry no varying-axes rule
    return jax.shard_map(local, mesh=mesh, in_specs=(split, split, whole, split),
                         out_specs=split, check_vma=False)
