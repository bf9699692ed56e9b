"""Several processes: JAX's own distributed runtime (`jax.distributed`) started from arguments or
environment variables, and the values of arrays that span processes brought to every process.

Once `initialize` has run in every process of a job, `jax.devices()` lists the devices of all of
them and a mesh of those devices spans the processes; a sweep (or any `shard_map` over such a mesh)
then runs each process's part on its own devices.  Cross-process collectives on CPU go through
gloo (JAX's default `jax_cpu_collectives_implementation`); on GPUs through NCCL.

The same script runs alone, on N local processes (`neuroflow run --processes N`, or `launch`)
and on a cluster: only the environment changes (`COORDINATOR`, `PROCESSES`, `PROCESS_ID`).
"""
from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass

import jax
import numpy as np

from .. import ir

COORDINATOR = "NEUROFLOW_COORDINATOR"
"""Environment variable: `host:port` of the coordinator, which process 0 serves."""
PROCESSES = "NEUROFLOW_PROCESSES"
"""Environment variable: how many processes the job has."""
PROCESS_ID = "NEUROFLOW_PROCESS_ID"
"""Environment variable: this process's number, 0 to PROCESSES - 1."""

# How long a process that is done waits at exit for the others to be done too.  Long: processes
# that run without exchanging anything (a network each process simulates whole) may end far
# apart; a process that died is found by the heartbeat long before, and ends the others.
_SHUTDOWN_WAIT_S = 3600

_joined: list[str] = []  # the coordinator this process joined through `initialize`


class DistributedError(ir.NeuroflowError):
    """Processes that could not be started or joined, or one that failed."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message, None, hint)


@dataclass(frozen=True)
class Processes:
    """Where this process stands in its job: `index` of `count`, joined at `coordinator`
    (None when the job is this one process)."""

    count: int
    index: int
    coordinator: str | None = None


def initialize(coordinator: str | None = None, processes: int | None = None,
               process_id: int | None = None, *, timeout: float = 60.0,
               heartbeat: float = 20.0) -> Processes:
    """Join this process to its job (`jax.distributed.initialize`); call it first, before
    anything compiles or runs.  Each argument left out is read from the environment
    (`NEUROFLOW_COORDINATOR`, `NEUROFLOW_PROCESSES`, `NEUROFLOW_PROCESS_ID`); with none given
    anywhere the job is this one process and nothing is started, so a script that calls it runs
    alone unchanged.  Process 0 serves the coordinator at `coordinator` (`host:port`).

    A coordinator not reached within `timeout` seconds is an error; a process that stops
    answering for `heartbeat` seconds ends the others (JAX aborts them), so a job never hangs."""
    coordinator = coordinator or os.environ.get(COORDINATOR) or None
    processes = _whole(processes, PROCESSES)
    process_id = _whole(process_id, PROCESS_ID)
    if jax.distributed.is_initialized():
        return current()
    if coordinator is None and processes in (None, 1) and process_id in (None, 0):
        return Processes(1, 0)
    missing = [name for name, value in ((COORDINATOR, coordinator), (PROCESSES, processes),
                                        (PROCESS_ID, process_id)) if value is None]
    if missing:
        raise DistributedError(f"several processes need {', '.join(missing)} too",
                               hint="give coordinator ('host:port'), processes and process_id,"
                                    f" as arguments or as {COORDINATOR}, {PROCESSES} and"
                                    f" {PROCESS_ID}")
    if processes < 1 or not 0 <= process_id < processes:
        raise DistributedError(f"process {process_id} of {processes}: a process id runs from 0"
                               " to the number of processes - 1")
    host, _, port = coordinator.rpartition(":")
    if not host or not port.isdigit():
        raise DistributedError(f"the coordinator address {coordinator!r} is not 'host:port'",
                               hint="for example localhost:12355, or the first node's name")
    if process_id != 0:  # JAX aborts the process when the coordinator is not there: ask first
        _wait_for(host, int(port), timeout, process_id)
    try:
        jax.distributed.initialize(coordinator, processes, process_id,
                                   initialization_timeout=math.ceil(timeout),
                                   heartbeat_timeout_seconds=math.ceil(heartbeat),
                                   shutdown_timeout_seconds=_SHUTDOWN_WAIT_S)
    except RuntimeError as error:  # JAX's backends were started: too late to join a job
        raise DistributedError(f"could not join the job: {error}",
                               hint="call neuroflow.distributed.initialize() first, before"
                                    " compiling or running anything") from None
    _joined.append(coordinator)
    return current()


def current() -> Processes:
    """This process's place in its job (one process when none was initialised)."""
    if not jax.distributed.is_initialized():
        return Processes(1, 0)
    return Processes(jax.process_count(), jax.process_index(), (_joined or [None])[-1])


def shutdown() -> None:
    """Leave the job (every process calls it); nothing when none was initialised.  JAX does this
    by itself when the process exits."""
    if jax.distributed.is_initialized():
        jax.distributed.shutdown()


def mesh_devices(devices, call: str) -> list:
    """`devices` (a sequence of JAX devices) for a mesh that `call` (`"sweep"`, `"compile"`)
    runs on: not empty, each once, and some of every process of the job, since each process
    runs the same program on its own devices of the mesh."""
    devices = list(devices)
    if not devices or not all(isinstance(d, jax.Device) for d in devices):
        raise ir.ModelError(f"{call}(devices=...) needs a non-empty list of JAX devices",
                            hint="for example devices=jax.devices() or jax.devices()[:2]")
    if len({d.id for d in devices}) != len(devices):
        raise ir.ModelError(f"{call}(devices=...) names a device twice")
    holders = {d.process_index for d in devices}
    if len(holders) < jax.process_count():
        raise ir.ModelError(f"{call}(devices=...) names devices of {len(holders)} of the job's"
                            f" {jax.process_count()} processes: each process runs it, so each"
                            " must hold some of its devices",
                            hint="devices=jax.devices() (all of them) spans every process")
    return devices


def put(tree, sharding: jax.sharding.Sharding):
    """`tree` (host values, or arrays of this process) laid out as `sharding` says.  Over a mesh
    that spans processes every process must give the same whole values; each keeps the parts
    that its own devices hold."""
    if sharding.is_fully_addressable:
        return jax.device_put(tree, sharding)
    # `device_put` would first check across processes that the values agree, which sends every
    # array to every process; and it refuses an array already on a device of this process.
    return jax.tree_util.tree_map(
        lambda leaf: jax.make_array_from_callback(
            np.shape(leaf), sharding, lambda index, whole=np.asarray(leaf): whole[index]),
        tree)


def gather(tree):
    """`tree` with each array that spans processes replaced by its whole value (numpy), on
    every process; arrays a process holds whole stay as they are.  Every process must call it
    at the same point (it exchanges data), as they do when they run the same program."""
    leaves, structure = jax.tree_util.tree_flatten(tree)
    spread = [k for k, leaf in enumerate(leaves)
              if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable]
    if not spread:
        return tree
    from jax.experimental import multihost_utils
    whole = multihost_utils.process_allgather([leaves[k] for k in spread], tiled=True)
    for k, value in zip(spread, whole):
        leaves[k] = value
    return jax.tree_util.tree_unflatten(structure, leaves)


def _whole(value, variable: str) -> int | None:
    if value is None:
        text = os.environ.get(variable, "").strip()
        if not text:
            return None
        if not text.isdigit():
            raise DistributedError(f"{variable}={text!r} is not a whole number")
        return int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DistributedError(f"{variable.removeprefix('NEUROFLOW_').lower()} must be a whole"
                               f" number, got {value!r}")
    return value


def _wait_for(host: str, port: int, timeout: float, process_id: int) -> None:
    """Return once something listens at `host:port`; a clear error after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host.strip("[]"), port), timeout=1.0):
                return
        except OSError as error:
            if time.monotonic() >= deadline:
                raise DistributedError(
                    f"process {process_id} could not reach the coordinator at {host}:{port}"
                    f" within {timeout:g} s ({error.strerror or error})",
                    hint="process 0 serves it: start process 0 with the same"
                         f" {COORDINATOR}, and check that this host can reach it") from None
            time.sleep(0.2)
