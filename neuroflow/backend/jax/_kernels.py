"""Projection kernels: how the spikes of a pre population become input to the post population.

Each kernel has two halves: `build` (numpy, at initialisation: connectivity arrays from the rule,
the weights and a seed) and `propagate` (inside the jitted step: the summed weight each post neuron
receives).  Connectivity is passed to the step as arrays, never baked in as constants.
Plastic synapses, whose variables are state, have a kernel of their own in `_plastic`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...ir import POST, PRE, Connection, Distribution, Expr, Kernel, Projection
from . import _native, _native_kernels
from ._device import to_device
from ._expr import evaluate
from ._gradients import with_gradient_of
from ._procedural import Procedural
from ._spikes import bucketed, busiest_count, each_spike, spiking_rows


def per_synapse(value, count: int, rng: np.random.Generator, what: str) -> np.ndarray:
    """One value per synapse from a number, a distribution or an explicit array."""
    if isinstance(value, Distribution):
        return value.sample((count,), rng)
    if isinstance(value, tuple):
        array = np.asarray(value, dtype=float)
        if array.shape != (count,):
            raise ValueError(f"{what}: {len(array)} values for {count} synapses; give one per"
                             " synapse of the drawn connectivity")
        return array
    # one value repeated: a read-only view, no array of the synapses' size
    return np.broadcast_to(np.float64(value), (count,))


class SynapseNames:
    """The names of a value given per synapse, for `evaluate`: the synapse's indices `i` and `j`
    in the pre and post slices, the slices' sizes, the neurons' values (`x_pre`, `y_post`, from
    `values(population, name)`) and fresh random numbers per synapse."""

    dtype = jnp.float64

    def __init__(self, node, pre: np.ndarray, post: np.ndarray, values, rng: np.random.Generator):
        self.node, self.values, self.rng = node, values, rng
        self.index = {"i": pre, "j": post}
        self.sides = ((PRE, node.pre, pre), (POST, node.post, post))

    def lookup(self, name: str):
        if name in self.index:
            return jnp.asarray(self.index[name])
        if name in ("N_pre", "N_post"):
            return jnp.asarray((self.node.pre if name == "N_pre" else self.node.post).size)
        for suffix, view, index in self.sides:
            if name.endswith(suffix):
                value = np.asarray(self.values(view.population, name[:-len(suffix)]))
                value = value[view.start:view.stop] if value.ndim else np.full(view.size, value)
                return jnp.asarray(value[index])
        raise KeyError(f"no value per synapse for '{name}'")

    def random(self, kind: str):
        count = len(self.index["i"])
        return jnp.asarray(self.rng.random(count) if kind == "rand" else
                           self.rng.standard_normal(count))

    def delayed(self, name: str, time):
        raise KeyError(f"'{name}' in the past has no value per synapse")


def draw_synapses(node: Connection, rng: np.random.Generator,
                  values=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`(pre, post, weight)` per synapse, indices relative to the projection's slices; weights
    given as an expression read the neurons' values through `values(population, name)`."""
    pre, post = node.rule.draw(node.pre.size, node.post.size, rng)
    if len(node.weight_type.shape) == 2:  # a (pre, post) matrix: each synapse takes its entry
        weight = np.reshape(node.weight, node.weight_type.shape)[pre, post]
    elif isinstance(node.weight, Expr):
        names = SynapseNames(node, pre, post, values, rng)
        weight = np.broadcast_to(np.asarray(evaluate(node.weight, names), float), pre.shape)
    else:
        weight = per_synapse(node.weight, len(pre), rng, f"weights of projection '{node.name}'")
    return pre, post, weight


def gated(spikes, weights):
    """The weights of the synapses whose pre neuron spiked: `spikes` as booleans, or as numbers
    (0 or 1, or smooth) that carry gradients."""
    if spikes.dtype == jnp.bool_:
        return jnp.where(spikes, weights, jnp.zeros((), weights.dtype))
    return spikes.astype(weights.dtype) * weights


class EllLayout:
    """Synapses grouped by `rows` (pre neurons, or post neurons for an index), padded to one
    width: one padding row (index `n_rows`) and padded slots absorb what is unused.

    `slot[s]` is synapse s's place in its row (synapses keep their order within a row).  Rows
    that come sorted, as they do from the rules, fill the table in order through a mask of the
    used slots: no per-synapse index array is made unless `slot` is asked for.  Work on
    per-synapse arrays goes in pieces of `PIECE`, so that temporaries stay small."""

    PIECE = 1 << 18

    def __init__(self, rows: np.ndarray, n_rows: int):
        self.counts = np.zeros(n_rows, np.int64)
        self.sorted = True
        for begin in range(0, len(rows), self.PIECE):
            piece = rows[begin:begin + self.PIECE + 1]  # one more, to compare across pieces
            self.counts += np.bincount(piece[:self.PIECE], minlength=n_rows)  # copies to int64
            self.sorted = self.sorted and bool(np.all(piece[1:] >= piece[:-1]))
        # Rounded up so that other seeds of the same network usually keep the shape (no recompile).
        self.width = -(-max(int(self.counts.max(initial=0)), 1) // 16) * 16
        self.rows, self.n_rows = rows, n_rows
        self._slot = None

    @property
    def slot(self) -> np.ndarray:
        if self._slot is None:
            starts = np.cumsum(self.counts) - self.counts
            if self.sorted:
                self._slot = np.arange(len(self.rows)) - np.repeat(starts, self.counts)
            else:
                order = np.argsort(self.rows, kind="stable")
                self._slot = np.empty(len(self.rows), np.int64)
                self._slot[order] = np.arange(len(self.rows)) - np.repeat(starts, self.counts)
        return self._slot

    def __call__(self, values, fill, dtype) -> jax.Array:
        """The `[n_rows + 1, width]` table of `values`, `fill` where unused, on the device; filled
        in host memory aligned as XLA wants it, so that on the CPU it is that memory (no copy)."""
        table = self._aligned_empty((self.n_rows + 1, self.width), dtype)
        table[...] = fill
        if self.sorted:  # row-major order of the used slots is the order of the synapses
            values, ends = np.asarray(values), np.cumsum(self.counts)
            block = max(1, self.PIECE // self.width)  # rows at a time
            for first in range(0, self.n_rows, block):
                last = min(first + block, self.n_rows)
                used = np.arange(self.width) < self.counts[first:last, None]
                start = ends[first - 1] if first else 0
                table[first:last][used] = (values if values.ndim == 0
                                           else values[start:ends[last - 1]])
        else:
            table[self.rows, self.slot] = values
        return jax.device_put(table)

    @staticmethod
    def _aligned_empty(shape: tuple[int, int], dtype, alignment: int = 64) -> np.ndarray:
        """`np.empty` whose data starts at a multiple of `alignment` bytes."""
        dtype = np.dtype(dtype)
        size = shape[0] * shape[1] * dtype.itemsize
        raw = np.empty(size + alignment, np.uint8)
        start = -raw.ctypes.data % alignment
        return raw[start:start + size].view(dtype).reshape(shape)


class Dense:
    """`spikes @ W` with a dense weight matrix: best for small or dense projections."""

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        matrix = np.zeros((node.pre.size, node.post.size))
        np.add.at(matrix, (pre, post), weight)
        return {"matrix": to_device(matrix, dtype)}

    def propagate(self, arrays: dict, spikes, node: Projection, native: bool = False):
        return spikes.astype(arrays["matrix"].dtype) @ arrays["matrix"]


class Event:
    """Only the rows of neurons that spiked: synapses stored per pre neuron, padded to the
    largest fan-out (ELL layout).  A loop runs once per spiking neuron and adds its row of
    weights into the output (`each_spike`), so a quiet step costs little and no spike is
    ever dropped; a step with so many spikes that one masked pass over every synapse is
    cheaper (`dense_after`) takes that pass instead.  With one delay per synapse, each weight
    is added into the row of a ring buffer for the step it arrives at.  The loop's length
    depends on the data: reverse-mode differentiation goes through `csr`, `ell` or `dense`."""

    adds_packed = True  # `add_native` reads a partitioned step's exchanged bits as they are

    def build(self, node: Projection, pre, post, weight, dtype, delay_steps=None) -> dict:
        n_pre, n_post = node.pre.size, node.post.size
        layout = EllLayout(pre, n_pre)
        shared = len(weight) > 0 and np.all(weight == weight[0])
        # one weight for all synapses (the usual `ge += 0.6`) needs no table: half the memory
        weights = np.asarray(weight[0]) if shared else layout(weight, 0.0, float)
        arrays = {"targets": to_device(layout(post, n_post, np.int32)),
                  "weights": to_device(weights, dtype)}
        if delay_steps is not None:
            arrays["delays"] = to_device(layout(delay_steps, 0, np.int32))
        return arrays

    @staticmethod
    def buckets(n_pre: int) -> tuple[int, ...]:
        """Buffer sizes for the spiking rows (16, 64, 256, ... below n_pre / 4), for `bucketed`."""
        sizes, size = [], 16
        while size < n_pre // 4:
            sizes.append(size)
            size *= 4
        return tuple(sizes)

    @staticmethod
    def dense_after(n_pre: int, width: int) -> int:
        """Spike count above which one pass over every synapse beats a loop step per spike:
        a loop step costs about as much as 500 synapses of the masked pass (XLA:CPU)."""
        return max(n_pre * width // 500, 1)

    def propagate(self, arrays: dict, spikes, node: Projection, ring=None, step=None,
                  native: bool = False):
        """The summed weight per post neuron; with `ring` (a flat buffer of rows of n_post + 1
        slots, one row per future step) the weights go into the rows of their arrival steps
        and the updated ring is returned instead.  `native` uses the C++ kernel.  Spikes as
        numbers (0 or 1) take the same path, with the gradient of `masked`."""
        if spikes.dtype != jnp.bool_:
            return with_gradient_of(
                lambda a: self.propagate(a[0], a[1] > 0.5, node, a[2], a[3], native),
                lambda a: self.masked(a[0], a[1], node, a[2], a[3]))((arrays, spikes, ring, step))
        if native and ring is None:
            return _native_kernels.event_propagate(spikes, arrays["targets"], arrays["weights"],
                                                   node.post.size)
        return self._summed(arrays, spikes, node, ring, step)

    def _summed(self, arrays: dict, spikes, node: Projection, ring, step):
        """`propagate` for boolean spikes in pure JAX: a loop step per spike, or the masked pass."""
        n_pre, n_post = node.pre.size, node.post.size
        targets, weights = arrays["targets"], arrays["weights"]
        total = jnp.zeros(n_post + 1, weights.dtype) if ring is None else ring

        def add_row(row, acc):
            amount = weights if weights.ndim == 0 else weights[row]
            return acc.at[self._slots(arrays, node, row, ring, step)].add(amount)

        count = jnp.sum(spikes, dtype=jnp.int32)
        # under `vmap` the batch's busiest member decides, so that one branch runs for all; a
        # device's part of a partitioned table takes the choice of the whole table (the two ways
        # sum in different orders): its `dense_after`, where the partition gives it
        limit = arrays.get("dense_after", self.dense_after(n_pre, targets.shape[1]))
        few = busiest_count(spikes) <= limit
        summed = jax.lax.cond(few, lambda _: each_spike(spikes, count, add_row, total),
                              lambda _: self.masked(arrays, spikes, node, ring, step, cut=False),
                              None)
        return summed if ring is not None else summed[:n_post]

    @staticmethod
    def adds_natively(arrays: dict) -> bool:
        """Whether `add_native` can run (the core native kernels are built)."""
        return _native.available()

    @staticmethod
    def add_native(arrays: dict, spikes, pre_start: int, base, node: Projection, sign: float):
        """`base` (a variable of the whole post population) plus `sign` times the weights of the
        spiking rows, added in place by the C++ kernel (`_native_kernels.event_add`; spikes
        exchanged by a partitioned step, `_native_kernels.PackedSpikes`, read as they are)."""
        packed = isinstance(spikes, _native_kernels.PackedSpikes)
        add = _native_kernels.event_add_packed if packed else _native_kernels.event_add
        return add(spikes, arrays["targets"], arrays["weights"].astype(base.dtype), base,
                   pre_start, node.post.start, node.post.size, sign)

    def masked(self, arrays: dict, spikes, node: Projection, ring=None, step=None,
               native: bool = False, cut: bool = True):
        """One pass over every synapse, each weight gated by its pre neuron's spike (a boolean or
        a number): no data-dependent loop, so it can be differentiated (pure JAX: `native` is
        there to take `propagate`'s arguments)."""
        n_pre, n_post = node.pre.size, node.post.size
        targets, weights = arrays["targets"], arrays["weights"]
        total = jnp.zeros(n_post + 1, weights.dtype) if ring is None else ring
        active = gated(spikes[:, None], jnp.broadcast_to(weights, targets.shape)[:n_pre])
        slots = self._slots(arrays, node, jnp.arange(n_pre), ring, step)
        summed = total.at[slots.ravel()].add(active.ravel())
        return summed[:n_post] if ring is None and cut else summed

    @staticmethod
    def _slots(arrays: dict, node: Projection, rows, ring, step):
        """Where the synapses of `rows` add their weights: their targets, or with a ring, the
        targets in the rows of their arrival steps."""
        targets = arrays["targets"][rows]
        if ring is None:
            return targets
        n_post = node.post.size
        arrival = (step + arrays["delays"][rows]) % (ring.shape[0] // (n_post + 1))
        return arrival * (n_post + 1) + targets


class EventParallel(Event):
    """`event` without a loop over spikes, for GPUs and TPUs, where each step of a loop costs
    a kernel launch and a wait for the host.  The rows of the neurons that spiked are
    compacted into a buffer of a bucket's size (`spiking_rows`, the sizes of `Event.buckets`),
    their synapses gathered at once and scatter-added, row after row as `event` adds them (so
    the sums are the same, to the bit where additions run in order, as on CPUs); a step with
    more spikes than the largest bucket takes the masked pass over every synapse.  Same layout
    and gradient as `event`; never the native kernels."""

    def propagate(self, arrays: dict, spikes, node: Projection, ring=None, step=None,
                  native: bool = False):
        return super().propagate(arrays, spikes, node, ring, step, native=False)

    @staticmethod
    def adds_natively(arrays: dict) -> bool:
        return False

    def _summed(self, arrays: dict, spikes, node: Projection, ring, step):
        n_post, weights = node.post.size, arrays["weights"]
        total = jnp.zeros(n_post + 1, weights.dtype) if ring is None else ring

        def gathered(capacity: int):
            def run(total):
                rows = spiking_rows(spikes, capacity)  # padding row n_pre: weight 0, to n_post
                slots = self._slots(arrays, node, rows, ring, step)
                amounts = jnp.broadcast_to(weights if weights.ndim == 0 else weights[rows],
                                           slots.shape)
                return total.at[slots.ravel()].add(amounts.ravel())
            return run

        def every_synapse(total):
            return self.masked(arrays, spikes, node, ring, step, cut=False)

        buckets = self.buckets(node.pre.size)
        branches = [gathered(c) for c in buckets] + [every_synapse]
        summed = bucketed(spikes, branches, buckets, total)
        return summed if ring is not None else summed[:n_post]


class Csr:
    """Every synapse, every step: the list of synapses sorted by pre neuron (compressed sparse
    rows, with the row of each synapse spelled out), and `propagate` a scatter-add of
    `spikes[pre] * w` into the post neurons.  Its cost does not depend on the firing rate
    and it has no data-dependent control flow, so it suits high rates, accelerators and
    differentiation (the loop of `event` cannot be reverse-differentiated)."""

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        order = np.argsort(pre, kind="stable")  # the rules give them sorted already: a no-op then
        shared = len(weight) > 0 and np.all(weight == weight[0])
        weights = np.asarray(weight[0]) if shared else np.asarray(weight)[order]
        return {"pre": to_device(np.asarray(pre)[order], jnp.int32),
                "post": to_device(np.asarray(post)[order], jnp.int32),
                "weights": to_device(weights, dtype)}

    def propagate(self, arrays: dict, spikes, node: Projection, native: bool = False):
        weights = arrays["weights"]
        active = gated(spikes[arrays["pre"]], weights)
        return jnp.zeros(node.post.size, weights.dtype).at[arrays["post"]].add(active)


class Ell:
    """Fixed fan-in gather: the synapses of each post neuron in one row of a `[n_post, width]`
    table of pre indices, padded to the largest fan-in with an index of an extra, always
    silent pre neuron.  `propagate` gathers the spikes of every row and sums the weights of
    those that spiked: no scatter at all, every row independent (good for accelerators, and
    on CPU when fan-ins are even)."""

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        n_pre, n_post = node.pre.size, node.post.size
        layout = EllLayout(np.asarray(post), n_post)
        shared = len(weight) > 0 and np.all(weight == weight[0])
        weights = np.asarray(weight[0]) if shared else layout(weight, 0.0, float)[:n_post]
        return {"sources": to_device(layout(pre, n_pre, np.int32)[:n_post]),
                "weights": to_device(weights, dtype)}

    def propagate(self, arrays: dict, spikes, node: Projection, native: bool = False):
        weights = arrays["weights"]
        # n_pre: the silent padding neuron
        fired = jnp.append(spikes, jnp.zeros(1, spikes.dtype))[arrays["sources"]]
        if weights.ndim == 0:
            return jnp.sum(fired, axis=1, dtype=weights.dtype) * weights
        return jnp.sum(gated(fired, weights), axis=1)


class OneToOne:
    """Pre neuron i drives post neuron i only: an elementwise product, no indices at all."""

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        if not (node.pre.size == node.post.size and np.array_equal(pre, post)
                and len(pre) == node.pre.size):
            raise ValueError(f"projection '{node.name}': the one_to_one kernel needs one_to_one"
                             " connectivity")
        return {"weights": to_device(weight, dtype)}

    def propagate(self, arrays: dict, spikes, node: Projection, native: bool = False):
        return gated(spikes, arrays["weights"])


class AllToAll:
    """Every pre neuron drives every post neuron.  With one weight for all synapses this is the
    spike count times the weight (no matrix); otherwise it is the dense product."""

    adds_packed = False  # `add_native` counts boolean spikes

    def build(self, node: Projection, pre, post, weight, dtype) -> dict:
        if len(pre) != node.pre.size * node.post.size:
            raise ValueError(f"projection '{node.name}': the all_to_all kernel needs all_to_all"
                             " connectivity")
        if np.all(weight == weight[:1]):
            return {"weight": to_device(weight[0] if len(weight) else 0.0, dtype)}
        return Dense().build(node, pre, post, weight, dtype)

    def propagate(self, arrays: dict, spikes, node: Projection, native: bool = False):
        if "weight" in arrays:
            count = jnp.sum(spikes, dtype=arrays["weight"].dtype)
            return jnp.broadcast_to(count * arrays["weight"], (node.post.size,))
        return Dense().propagate(arrays, spikes, node)

    @staticmethod
    def adds_natively(arrays: dict) -> bool:
        """With one weight, the count and the addition are one C++ call (XLA's path is a
        conversion, a cascade of reductions and the addition: four or five kernels a step)."""
        return "weight" in arrays and _native.available()

    @staticmethod
    def add_native(arrays: dict, spikes, pre_start: int, base, node: Projection, sign: float):
        """`base` plus `sign` times the spike count times the weight, in place (to the bit what
        `propagate` and the addition give)."""
        return _native_kernels.count_add(spikes, arrays["weight"].astype(base.dtype), base,
                                         pre_start, node.pre.size, node.post.start, node.post.size,
                                         sign)


# not `auto`: the `kernels` pass replaces it
KERNELS = {Kernel.DENSE: Dense(), Kernel.EVENT: Event(), Kernel.EVENT_PARALLEL: EventParallel(),
           Kernel.CSR: Csr(), Kernel.ELL: Ell(), Kernel.ONE_TO_ONE: OneToOne(),
           Kernel.ALL_TO_ALL: AllToAll(), Kernel.PROCEDURAL: Procedural()}
