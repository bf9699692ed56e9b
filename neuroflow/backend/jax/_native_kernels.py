"""The Python side of the native FFI kernels: each function here builds the `jax.ffi` call of
one C++ handler, a core one (`_native.HANDLERS`, registered by `_native.available`) or one of an
extension library that it builds and registers through `_native.extension` before its first call;
`spike_indices` calls the spike decoder through ctypes instead.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import jax
import numpy as np

from . import _native


def event_propagate(spikes, targets, weights, n_post: int):
    """Summed weights per post neuron from the spiking rows (see `Event` in `_kernels.py`);
    `weights` is a table like `targets`, or one number shared by every synapse."""
    name = _native.TARGETS[(str(weights.dtype), weights.ndim == 0)]
    result = jax.ShapeDtypeStruct((n_post,), weights.dtype)
    # under vmap (parameter sweeps) the kernel runs once per member of the batch
    return jax.ffi.ffi_call(name, result, vmap_method="sequential")(spikes, targets, weights)


def event_add(spikes, targets, weights, base, pre_start: int, post_start: int, n_post: int,
              sign: float):
    """`base` (a variable of the whole post population) plus the weights of the spiking rows,
    added in place: the projection's pre neurons start at `pre_start` in `spikes` and its post
    neurons at `post_start` in `base`; `sign` is -1 for `-=`."""
    name = _native.ADD_TARGETS[(str(weights.dtype), weights.ndim == 0)]
    result = jax.ShapeDtypeStruct(base.shape, base.dtype)
    call = jax.ffi.ffi_call(name, result, vmap_method="sequential", input_output_aliases={3: 0})
    return call(spikes, targets, weights, base, pre_start=np.int64(pre_start),
                post_start=np.int64(post_start), n_post=np.int64(n_post), sign=np.float64(sign))


@dataclass(frozen=True)
class PackedSpikes:
    """A partitioned step's spikes of a whole population as the devices exchanged them: `bits`
    (packed as `jnp.packbits` packs), the block of each device's `owned` neurons from bit
    `device * stride`."""

    bits: jax.Array
    owned: int
    stride: int


def pack_bits(spikes):
    """`jnp.packbits(spikes)` of a boolean vector, in one C++ pass (`native/event_add.cc`)."""
    result = jax.ShapeDtypeStruct((-(-spikes.shape[0] // 8),), np.uint8)
    return jax.ffi.ffi_call("NeuroflowPackBits", result, vmap_method="sequential")(spikes)


def event_add_packed(spikes: PackedSpikes, targets, weights, base, pre_start: int,
                     post_start: int, n_post: int, sign: float):
    """`event_add` reading the exchanged bits as they are (no unpacking); a partition's tables
    (padded after their synapses)."""
    name = _native.PACKED_ADD_TARGETS[(str(weights.dtype), weights.ndim == 0)]
    result = jax.ShapeDtypeStruct(base.shape, base.dtype)
    call = jax.ffi.ffi_call(name, result, vmap_method="sequential", input_output_aliases={3: 0})
    return call(spikes.bits, targets, weights, base, pre_start=np.int64(pre_start),
                post_start=np.int64(post_start), n_post=np.int64(n_post),
                sign=np.float64(sign), owned=np.int64(spikes.owned),
                stride=np.int64(spikes.stride))


def count(spikes):
    """The number of spikes in a boolean vector, as an int32 scalar."""
    result = jax.ShapeDtypeStruct((), np.int32)
    return jax.ffi.ffi_call("NeuroflowCount", result, vmap_method="sequential")(spikes)


def count_add(spikes, weight, base, pre_start: int, n_pre: int, post_start: int, n_post: int,
              sign: float):
    """`base` plus `sign` times the number of spikes among `n_pre` neurons from `pre_start` times
    `weight`, added in place to the `n_post` neurons from `post_start` (all to all, one weight)."""
    name = _native.COUNT_ADD_TARGETS[str(base.dtype)]
    result = jax.ShapeDtypeStruct(base.shape, base.dtype)
    call = jax.ffi.ffi_call(name, result, vmap_method="sequential", input_output_aliases={2: 0})
    return call(spikes, weight, base, pre_start=np.int64(pre_start), n_pre=np.int64(n_pre),
                post_start=np.int64(post_start), n_post=np.int64(n_post), sign=np.float64(sign))


def spike_indices(packed: np.ndarray, vectors: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """`(step, neuron)` int32 of every spike in a chunk's `[steps, ceil(n / 8)]` packed bits
    (`jnp.packbits` of the spikes), in the order of `np.nonzero` on the unpacked array, decoded
    by `native/decode.cc` (`vectors=False`: without the CPU's vector instructions, for tests);
    None where the native kernels are not loaded."""
    if not _native.available():
        return None
    library = _native.core_library()
    packed = np.ascontiguousarray(packed, np.uint8)
    capacity = packed.size // 8 + 1024  # one spike per 64 neuron-steps: a second pass is rare
    while True:
        steps, neurons = _decoded_scratch(capacity)
        found = library.NeuroflowSpikeIndices(
            _pointer(packed), ctypes.c_int64(packed.shape[0]), ctypes.c_int64(packed.shape[1]),
            _pointer(steps), _pointer(neurons), ctypes.c_int64(capacity), ctypes.c_int32(vectors))
        if found <= capacity:
            return steps[:found].copy(), neurons[:found].copy()
        capacity = found


_SCRATCH_LIMIT = 1 << 19  # spikes: the scratch of a chunk of 4000 neurons is 1/8 of this
_scratch = threading.local()


def _decoded_scratch(capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Two int32 arrays of at least `capacity` for the decoder to write into; reused by the
    thread's later chunks up to `_SCRATCH_LIMIT` (new arrays for every chunk were pages
    faulted in again and again), new ones above it (no large buffer is held after a run)."""
    if capacity > _SCRATCH_LIMIT:
        return np.empty(capacity, np.int32), np.empty(capacity, np.int32)
    held = getattr(_scratch, "arrays", None)
    if held is None or len(held[0]) < capacity:
        held = _scratch.arrays = (np.empty(capacity, np.int32), np.empty(capacity, np.int32))
    return held


def _pointer(array: np.ndarray) -> ctypes.c_void_p:
    return ctypes.c_void_p(array.ctypes.data)


CSR_SUM_TARGETS = {(dtype, shared): f"NeuroflowCsrSum{'Shared' if shared else ''}{suffix}"
                   for dtype, suffix in (("float32", "F32"), ("float64", "F64"))
                   for shared in (False, True)}
DENSE_SUM_TARGETS = {"float32": "NeuroflowDenseSumF32", "float64": "NeuroflowDenseSumF64"}
COUPLING_HANDLERS = tuple(sorted({*CSR_SUM_TARGETS.values(), *DENSE_SUM_TARGETS.values()}))


def csr_sum(vectors, indptr, pre, weights):
    """The sums of a coupling's rows (`native/coupling.cc`): for each vector of `vectors`
    ([columns, n_pre]) and post neuron j, the weights of j's synapses (`indptr[j]` to
    `indptr[j + 1]` in `pre` and `weights`; `weights` one number: shared) times the vector at
    their pre neurons; [columns, n_post].  None where the kernel cannot be built."""
    if not _native.extension("coupling.cc", COUPLING_HANDLERS):
        return None
    name = CSR_SUM_TARGETS[(str(weights.dtype), weights.ndim == 0)]
    result = jax.ShapeDtypeStruct((vectors.shape[0], indptr.shape[0] - 1), vectors.dtype)
    return jax.ffi.ffi_call(name, result, vmap_method="sequential")(vectors, indptr, pre,
                                                                     weights)


def dense_sum(vectors, matrix):
    """`vectors @ matrix.T` by `native/coupling.cc`: for each vector ([columns, n_pre]) its dot
    product with every row of `matrix` ([n_post, n_pre], a dense coupling's weights transposed),
    the rows split over the native threads (the same sums, bit for bit, on any number of them);
    [columns, n_post].  None where the kernel cannot be built."""
    if not _native.extension("coupling.cc", COUPLING_HANDLERS):
        return None
    result = jax.ShapeDtypeStruct((vectors.shape[0], matrix.shape[0]), vectors.dtype)
    return jax.ffi.ffi_call(DENSE_SUM_TARGETS[str(matrix.dtype)], result,
                            vmap_method="sequential")(vectors, matrix)


POISSON_TARGETS = {"float32": "NeuroflowPoissonCountF32", "float64": "NeuroflowPoissonCountF64"}


def poisson_count(key, first, table, sources: int, size: int, dtype):
    """Per neuron, the count of a binomial of `sources` trials drawn by inverting `table`
    (P(count <= k), float64) with neuron i's uniform number from `_hash.uniform(key, first + i)`
    (`native/poisson.cc`; the JAX path's counts bit for bit); [size] of `dtype`.  None where the
    kernel cannot be built."""
    if not _native.extension("poisson.cc", tuple(sorted(POISSON_TARGETS.values()))):
        return None
    result = jax.ShapeDtypeStruct((size,), dtype)
    call = jax.ffi.ffi_call(POISSON_TARGETS[str(np.dtype(dtype))], result,
                            vmap_method="sequential")
    return call(key, first, table, sources=np.int64(sources))
