"""One network over several devices: what each device holds of a partitioned model.

The `partition` pass gives each device a block of `n` neurons of every population
(`ir.Partition`).  Here the whole model's initial values, parameters and synapses are drawn as on
one device (same seed, same numbers), then cut by owner: per-neuron arrays into blocks, the
synapses of each projection by post neuron into a table of the device's own (post indices local,
pre indices global), padded to the same shape on every device.  Each leaf gets a leading axis of
one entry per device, for `jax.shard_map` to split.  Every device runs `local_program`: the
same step on its block, with the whole population's spikes gathered where synapses read them
(`_step.all_spikes`), its random numbers keyed by global neuron index, and kernels (native ones
included) that see only local tables.
"""
from __future__ import annotations

import copy

import jax
import jax.numpy as jnp
import numpy as np

from ... import ir
from ._fused import native_blocks
from ._kernels import KERNELS, EllLayout, Event, draw_synapses
from ._linear import LinearSolver
from ._lower import LOWERINGS, Program
from ._rings import ring_source
from ._step import LocalPartition, StepContext, exchanged_row


def local_program(program: Program, node: ir.Partition, axis: str) -> Program:
    """The step each device runs: `program` with the populations cut to the owned blocks and
    each projection's post side the device's block (`[0, n)`), its synapses the local table."""
    local = copy.copy(program)
    local.partition = LocalPartition(axis, node.devices, node.exchange)
    local.sizes = dict(node.owned)
    local.total_sizes = dict(program.sizes)
    whole = (ir.SpikeMonitor, ir.RateMonitor) if node.exchange > 1 else ()
    # spike and rate monitors of an interval are run after its exchange (`exchange_interval`)
    local.operations = [_local_node(op, local.sizes) if isinstance(op, ir.Projection) else op
                        for op in program.operations if not isinstance(op, whole)]
    local.linear = {u.pop: LinearSolver(local, u) for u in program.model.find(ir.StateUpdate)
                    if u.pop in program.linear}
    local.native_blocks = native_blocks(local) if program.native_blocks else {}
    return local


def _local_node(node: ir.Projection, owned: dict) -> ir.Projection:
    pop = node.post.population
    return node.replace(post=ir.PopSlice(pop, 0, owned[pop]))


# -- cutting the drawn model by owner ------------------------------------------------------
def split_neurons(array, size: int, owned: int, devices: int, axis: int = 0) -> np.ndarray:
    """`array`, with `size` neurons along `axis`, as `[devices, ..., owned, ...]` blocks; the
    last block is padded with copies of the last neuron (padding that is never read)."""
    array = np.asarray(array)
    pad = [(0, 0)] * array.ndim
    pad[axis] = (0, owned * devices - size)
    blocks = np.pad(array, pad, mode="edge")
    shape = array.shape[:axis] + (devices, owned) + array.shape[axis + 1:]
    return np.moveaxis(blocks.reshape(shape), axis, 0)


def replicated(array, devices: int) -> np.ndarray:
    array = np.asarray(array)
    return np.array(np.broadcast_to(array, (devices,) + array.shape))


def split_state(local: Program, state: dict) -> dict:
    """A state drawn for the whole model as blocks per device (see the module docstring)."""
    devices = local.partition.devices
    pops = {}
    for pop, values in state["pops"].items():
        size, owned = local.total_sizes[pop], local.sizes[pop]
        pops[pop] = {var: split_neurons(value, size, owned, devices) if np.ndim(value)
                     else replicated(value, devices) for var, value in values.items()}
    buffers = {}
    for name, ring in state["buffers"].items():
        buffer = local.buffers[name]
        if buffer.kind == ir.BufferKind.HISTORY:  # rows of the population's values
            pop = name.split(".")[0]
            buffers[name] = split_neurons(ring, local.total_sizes[pop], local.sizes[pop],
                                          devices, axis=1)
        elif buffer.kind == ir.BufferKind.SPIKES:  # the exchanged bits, everywhere
            buffers[name] = replicated(packed_ring(local, name, ring), devices)
        else:  # input on its way to the device's own post neurons: empty at the start
            post = _local_node(local.model.get(name), local.sizes).post.size
            buffers[name] = np.zeros((devices, (buffer.steps + 1) * (post + 1)), ring.dtype)
    split = {key: replicated(value, devices) for key, value in state.items()
             if key not in ("pops", "buffers")}
    return dict(split, pops=pops, buffers=buffers)


def packed_ring(local: Program, name: str, ring) -> np.ndarray:
    """A spike ring of one device's program (rows of booleans, its neurons) as a partitioned
    step keeps it: each row the whole population's spikes in the devices' blocks of packed
    bits, as they are exchanged (`_rings`)."""
    view, devices = ring_source(local, name), local.partition.devices
    rows, owned = ring.shape[0], local.sizes[view.population]
    whole = np.zeros((rows, devices * owned), bool)
    whole[:, view.start:view.stop] = np.asarray(ring) != 0
    return np.packbits(whole.reshape(rows, devices, owned), axis=2).reshape(rows, -1)


def split_params(local: Program, params: dict) -> dict:
    devices, split = local.partition.devices, {}
    for pop, values in params.items():
        size, owned = local.total_sizes[pop], local.sizes[pop]
        split[pop] = {}
        for name, value in values.items():
            timed = local.inputs[pop].get(name)
            neuron_axis = (1 if timed.type.shape else None) if timed else (0 if np.ndim(value)
                                                                            else None)
            split[pop][name] = (replicated(value, devices) if neuron_axis is None else
                                split_neurons(value, size, owned, devices, neuron_axis))
    return split


def split_connectivity(local: Program, seed: int, state: dict, params: dict,
                       delays: dict) -> dict:
    """Each projection's synapses drawn as on one device, then one table per device of the
    synapses onto its neurons, padded to a common shape and stacked."""
    def values(pop: str, name: str) -> np.ndarray:  # for weights computed from the neurons
        return np.asarray(params[pop][name] if name in params[pop] else state["pops"][pop][name])

    conn = {}
    for proj in local.model.find(ir.Projection):
        rng = local._synapse_rng(proj, seed)  # the generator, and its order, of one device's draw
        pre, post, weight = draw_synapses(proj, rng, values)
        delay_steps = None
        if proj.heterogeneous_delay:
            value = delays.get(proj.name, proj.delay)
            delay_steps = local.synapse_delays(proj, value, len(pre), rng)
        node = _local_node(proj, local.sizes)
        owned = node.post.size
        post = post + proj.post.start  # the index in the population decides the owner
        owner = post // owned
        tables = []
        for device in range(local.partition.devices):
            mine = owner == device
            extra = {} if delay_steps is None else {"delay_steps": delay_steps[mine]}
            arrays = KERNELS[proj.kernel].build(node, pre[mine], post[mine] - device * owned,
                                                weight[mine], local.dtype, **extra)
            tables.append({key: np.asarray(value) for key, value in arrays.items()})
        conn[proj.name] = {key: _stack_padded([t[key] for t in tables],
                                              _fill(key, proj.pre.size, owned))
                           for key in tables[0]}
        if proj.kernel == ir.Kernel.EVENT:  # choose between loop and full pass as one device
            width = EllLayout(pre, proj.pre.size).width
            conn[proj.name]["dense_after"] = replicated(
                np.int32(Event.dense_after(proj.pre.size, width)), local.partition.devices)
    return conn


def _fill(key: str, n_pre: int, n_post: int) -> int:
    """What pads a kernel's array: indices of the padding target or source, else nothing."""
    return {"targets": n_post, "post": n_post, "sources": n_pre}.get(key, 0)


def _stack_padded(arrays: list[np.ndarray], fill) -> np.ndarray:
    """`arrays` (one per device) stacked, each padded with `fill` to the largest shape; a
    shared weight (a number) where another device has a table becomes a table of it."""
    rank = max(a.ndim for a in arrays)
    shapes = [a.shape for a in arrays if a.ndim == rank]
    shape = tuple(max(s[k] for s in shapes) for k in range(rank))
    stacked = np.full((len(arrays),) + shape, fill, arrays[0].dtype)
    for k, a in enumerate(arrays):
        if a.ndim < rank:
            stacked[k] = a
        else:
            stacked[(k,) + tuple(slice(0, n) for n in a.shape)] = a
    return stacked


# -- exchanging the spikes of an interval ------------------------------------------------------
def exchange_interval(local: Program, state: dict, outputs: dict, first_step,
                      length: int) -> tuple[dict, dict]:
    """After the `length` local steps from `first_step` of an interval (their `outputs`: each
    device's own spikes, packed, and traced values): the whole populations' spikes, exchanged
    at once, written into the spike rings of the projections as they came (no projection
    reads them within the interval: each delays them at least as many steps), and the
    monitors' outputs of the interval."""
    outputs = dict(outputs)
    rows = {pop: _gathered_rows(local, own) for pop, own in outputs.pop("local_spikes").items()}
    buffers = dict(state["buffers"])
    for name, buffer in local.buffers.items():
        if buffer.kind == ir.BufferKind.SPIKES:  # rows as `_rings` writes them, one per step
            exchanged = rows[ring_source(local, name).population]

            # row by row, each in place: XLA:CPU's scatter of the rows at once is a loop over
            # every element
            def write(k, ring, exchanged=exchanged, count=buffer.steps + 1):
                row = jax.lax.rem(first_step + k, jnp.asarray(count, first_step.dtype))
                return jax.lax.dynamic_update_index_in_dim(ring, exchanged[k], row, 0)

            buffers[name] = jax.lax.fori_loop(0, length, write, buffers[name])
    monitors = local.model.find(ir.SpikeMonitor) + local.model.find(ir.RateMonitor)

    def monitor(step_rows: dict) -> dict:  # a spike monitor of a whole population, whose
        # blocks fall on bytes, records the exchanged bits as they are
        ctx = StepContext(local, {}, {}, {}, {}, None, None, {}, {}, {}, {}, gathered_bits={
            pop: exchanged_row(local, pop, bits) for pop, bits in step_rows.items()})
        for node in monitors:
            LOWERINGS[type(node)](node, ctx)
        return ctx.outputs

    found = jax.vmap(monitor)(rows) if monitors else {}
    traces = {}
    for node in local.model.find(ir.StateMonitor):
        key = f"{node.pop}.{node.var}"
        whole = jax.lax.all_gather(outputs["trace"][key], local.partition.axis, axis=1, tiled=True)
        traces[key] = whole[:, jnp.asarray(node.indices)]
    if traces:
        found["trace"] = traces
    return dict(state, buffers=buffers), found


def _gathered_rows(local: Program, own) -> jax.Array:
    """`[steps, devices * bytes]`: every device's `[steps, bytes]` packed spikes of a
    population, each step's blocks one after the other (a row as `exchanged_row` reads it)."""
    blocks = jax.lax.all_gather(own, local.partition.axis)  # [devices, steps, bytes]
    return jnp.moveaxis(blocks, 0, 1).reshape(own.shape[0], -1)
