"""The `procedural` kernel: connectivity regenerated every step instead of stored.

The targets of pre neuron `i` are a pure function of `(seed, projection index, i)`, drawn
from a counter-based hash on unsigned 64-bit integers (the SplitMix64 finaliser):

    key          = mix(mix(seed + G) + (index + 1) * G2)              once per run, at `build`
    row_key(i)   = mix(key ^ (i * G))
    draw(i, j)   = mix(row_key(i) + (j + 1) * G2)                   the j-th number of row i

Only integer arithmetic decides which synapses exist, so the pure-JAX path, the C++ path
(`native/procedural.cc`) and the numpy reference (`synapses`) give the same target lists
bit for bit, on every device, and memory is O(N): a key, one shared weight, and for
`fixed_prob` a table of `n_post` integers.

- `fixed_prob(p)`: exact Bernoulli(p) on every (pre, post) pair by geometric skipping.
  Row `i` walks `position = -1 + gap_1 + gap_2 + ...` and every position below `n_post` is a
  target.  Gap `j` is drawn by inverse transform from `u = draw(i, j) >> 1`, a uniform
  63-bit integer: `gap = 1 + #{g : T[g] <= u}` with `T[g] = round(2**63 * (1 - (1 - p)**g))`
  for g = 1 .. n_post, a table built once in numpy and passed to the step as an array.
  So the gaps are Geometric(p) up to the 2**-53 rounding of the table, and the targets of
  a row are distinct and sorted.  The JAX path searches the table (`searchsorted`); the C++
  path reads the counts at the edges of u's bucket of its top bits from a guide table and
  scans the table between them (most buckets hold no threshold, so most draws read only the
  guide): integer comparisons only, so no `log` of any library decides a target.
- `fixed_fan_out(k)`: k distinct targets per row, uniform over the k-subsets, as the rule's
  own `draw`.  The row takes `target_j = floor(draw(i, j) * n_post / 2**64)` for j < k,
  sorts them, replaces the later copies of a repeated value (in sorted order) with the next
  draws of the row, and repeats until the row is distinct.  Which entries are redrawn
  depends only on which values are equal, so the result is a uniform k-subset.  It needs
  `2 k <= n_post` (otherwise rejection crawls; use a stored kernel).
- The synapses differ from those the stored kernels draw for the same seed (those come
  from numpy's generator): same rule, same distribution, other sample.
- Weights: one number for every synapse (`ge += 0.6`); random or per-synapse weights and
  per-synapse delays need a stored kernel (`event`).  A homogeneous delay works (the
  spikes are buffered before the kernel).

Propagation in JAX gathers the spiking rows into a buffer sized per step from a few buckets
(16, 64, 256, 1024 rows); more spikes than that are handled in blocks of 1024 rows by a
loop, so no spike is ever dropped and no temporary grows with the network.  A `fixed_prob`
row is generated in chunks of `bound` gaps (mean + 6 sd of the row length); a loop adds
chunks until every row in the buffer has left the row, so long rows are exact too.
"""
from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

from ...ir import FixedFanOut, FixedProb, Projection
from . import _native
from ._device import to_device
from ._hash import GAMMA, GOLDEN, MASK, draws, draws_np, mix_np
from ._spikes import bucketed, spiking_rows

BLOCK = 1024  # rows per block of the pure-JAX path, and its largest bucket

HANDLERS = {(rule, dtype, add): f"NeuroflowProcedural{name}{'Add' if add else ''}F{dtype[-2:]}"
            for rule, name in (("prob", "Prob"), ("fan_out", "FanOut"))
            for dtype in ("float32", "float64") for add in (False, True)}


def run_key(seed: int, index: int) -> np.ndarray:
    """The key of projection number `index` in a run with `seed` (a uint64 scalar)."""
    with np.errstate(over="ignore"):
        first = mix_np(np.array([(int(seed) + GOLDEN) & MASK], np.uint64))
        key = mix_np(first + np.uint64(((int(index) + 1) * GAMMA) & MASK))
    return key.reshape(())


def _below(draw, n: int):
    """`floor(draw * n / 2**64)`, exactly, for n < 2**31: a uniform integer in [0, n)."""
    n64 = jnp.uint64(n)
    high, low = draw >> 32, draw & jnp.uint64(0xFFFFFFFF)
    return ((high * n64 + ((low * n64) >> 32)) >> 32).astype(jnp.int64)


def _below_np(draw: np.ndarray, n: int) -> np.ndarray:
    n64 = np.uint64(n)
    high, low = draw >> np.uint64(32), draw & np.uint64(0xFFFFFFFF)
    return ((high * n64 + ((low * n64) >> np.uint64(32))) >> np.uint64(32)).astype(np.int64)


def gap_thresholds(p: float, n_post: int) -> np.ndarray:
    """`T[g - 1] = round(2**63 * P(gap <= g))` for g = 1 .. n_post (uint64, non-decreasing)."""
    g = np.arange(1, n_post + 1, dtype=float)
    cdf = -np.expm1(g * np.log1p(-p)) if p < 1.0 else np.ones(n_post)
    # float64 -> uint64 is exact below 2**63 + a margin; 2**63 itself means "always"
    scaled = np.minimum(np.ldexp(np.clip(cdf, 0.0, 1.0), 63), 2.0 ** 63)
    table = scaled.astype(np.uint64)
    return np.maximum.accumulate(table) if len(table) else table


def guide_bits(n_post: int) -> int:
    """Bits of u that index the guide: 2**bits about n_post, 18 at most (a 1 MiB guide)."""
    return int(np.clip(np.ceil(np.log2(max(n_post, 1))), 4, 18))


def gap_guide(table: np.ndarray) -> np.ndarray:
    """`#{g : T[g] <= b * 2**(63 - bits)}` for b = 0 .. 2**bits - 1, the buckets of the top `bits`
    bits of u (`guide_bits`), then `#{g : T[g] < 2**63}`: the counts at the edges of each bucket,
    between which the native kernel scans T (not at all where they agree)."""
    bits = guide_bits(len(table))
    edges = np.arange(2 ** bits + 1, dtype=np.uint64) << np.uint64(63 - bits)
    edges[-1] = np.uint64(2 ** 63 - 1)  # u stays below 2**63
    return np.searchsorted(table, edges, side="right").astype(np.int32)


def _row_bound(p: float, n_post: int) -> int:
    """Gaps drawn per chunk of a fixed_prob row: mean + 6 sd + 16, at most n_post + 1."""
    mean = n_post * p
    bound = int(mean + 6.0 * np.sqrt(mean * (1.0 - p)) + 16)
    return max(1, min(-(-bound // 16) * 16, n_post + 1))


# -- the reference: every synapse, in numpy (small networks, tests) -------------------------
def synapses(node: Projection, seed: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """`(pre, post)` of every synapse the kernel generates for `node`, as projection number
    `index` in a run with `seed`: sorted by pre, then post.  A plain loop per row, written
    independently of the kernels' vectorised code, for tests and inspection."""
    n_pre, n_post = node.pre.size, node.post.size
    key = run_key(seed, index)
    rule = node.rule
    table = gap_thresholds(rule.p, n_post) if isinstance(rule, FixedProb) else None
    pre_list, post_list = [], []
    for i in range(n_pre):
        if isinstance(rule, FixedProb):  # n_post + 1 gaps always leave the row
            u = draws_np(key, i, np.arange(n_post + 1)) >> np.uint64(1)
            positions = np.cumsum(1 + np.searchsorted(table, u, side="right")) - 1
            row = list(positions[positions < n_post])
        else:
            k = rule.k
            row = np.sort(_below_np(draws_np(key, np.full(k, i), np.arange(k)), n_post))
            counter = k
            while k > 1:
                surplus = np.zeros(k, bool)
                surplus[1:] = row[1:] == row[:-1]
                count = int(surplus.sum())
                if count == 0:
                    break
                fresh = draws_np(key, np.full(count, i), counter + np.arange(count))
                row[surplus] = _below_np(fresh, n_post)
                counter += count
                row = np.sort(row)
            row = list(row)
        pre_list.extend([i] * len(row))
        post_list.extend(row)
    return np.asarray(pre_list, np.int32), np.asarray(post_list, np.int32)


# -- the kernel ------------------------------------------------------------------------------
class Procedural:
    """Connectivity regenerated from `(seed, projection, pre neuron)` each step: O(N) memory."""

    generates_synapses = True  # `Program.initial` draws nothing for it and passes the seed instead
    adds_packed = False  # `add_native` reads boolean spikes

    @staticmethod
    def check(node: Projection) -> None:
        """Reject what the kernel cannot run, with the projection's name and a way out."""
        where = f"projection '{node.name}' with the procedural kernel"
        if getattr(node, "heterogeneous_delay", False):
            raise ValueError(f"{where}: per-synapse delays need stored synapses;"
                             " use kernel='event'")
        if isinstance(node.weight, bool) or not isinstance(node.weight, numbers.Real):
            raise ValueError(f"{where}: the weight must be one number shared by every synapse, got"
                             f" {type(node.weight).__name__}; for random or per-synapse weights use"
                             f" a stored kernel ('event' or 'dense')")
        n_post = node.post.size
        if isinstance(node.rule, FixedFanOut):
            if 2 * node.rule.k > n_post:
                raise ValueError(f"{where}: fixed_fan_out({node.rule.k}) into {n_post} neurons is"
                                 " too dense to generate (needs 2 k <= n_post); use kernel='event'"
                                 " or 'dense'")
        elif not isinstance(node.rule, FixedProb):
            raise ValueError(f"{where}: the rule {node.rule.text()} is not generated procedurally"
                             " (fixed_prob and fixed_fan_out are); use kernel='event', 'dense',"
                             " 'one_to_one' or 'all_to_all'")

    def build(self, node: Projection, pre, post, weight, dtype, seed: int = 0,
              index: int = 0) -> dict:
        """The key, the shared weight and (fixed_prob) the gap table; `pre`, `post` and
        `weight` (drawn synapses) are ignored: nothing is drawn for this kernel."""
        self.check(node)
        arrays = {"key": to_device(run_key(seed, index)),
                  "weight": to_device(float(node.weight), dtype)}
        if isinstance(node.rule, FixedProb):
            table = gap_thresholds(node.rule.p, node.post.size)
            arrays["thresholds"], arrays["guide"] = to_device(table), to_device(gap_guide(table))
        return arrays

    def propagate(self, arrays: dict, spikes, node: Projection, native: bool = False):
        n_pre, n_post = node.pre.size, node.post.size
        weight = arrays["weight"]
        prob = isinstance(node.rule, FixedProb)
        if native and self.adds_natively(arrays):
            name = HANDLERS[("prob" if prob else "fan_out", str(weight.dtype), False)]
            call = jax.ffi.ffi_call(name, jax.ShapeDtypeStruct((n_post,), weight.dtype),
                                    vmap_method="sequential")
            return call(spikes, *self._rule_arrays(arrays, node), weight, **self._rule_attrs(node))
        add_rows = self._prob_rows if prob else self._fan_out_rows

        def gather(capacity: int):
            def run(total):
                rows = spiking_rows(spikes, capacity)
                return add_rows(arrays, node, rows, total)
            return run

        def blocks(total):  # any number of spikes: the spiking rows, BLOCK at a time
            rows = spiking_rows(spikes, n_pre)
            rows = jnp.concatenate([rows, jnp.full(BLOCK, n_pre, rows.dtype)])
            count = jnp.sum(spikes, dtype=jnp.int32)

            def body(b, total):
                block = jax.lax.dynamic_slice(rows, (b * BLOCK,), (BLOCK,))
                return add_rows(arrays, node, block, total)
            return jax.lax.fori_loop(0, (count + BLOCK - 1) // BLOCK, body, total)

        buckets = tuple(c for c in (16, 64, 256, BLOCK) if c < n_pre)
        branches = [gather(c) for c in buckets]
        branches.append(blocks if n_pre > BLOCK else gather(max(n_pre, 1)))
        return bucketed(spikes, branches, buckets, jnp.zeros(n_post + 1, weight.dtype))[:n_post]

    @staticmethod
    def adds_natively(arrays: dict) -> bool:
        """Whether the C++ kernels are built (once; else one notice): `propagate(native=True)`
        and `add_native` use them."""
        return _native.extension("procedural.cc", tuple(sorted(HANDLERS.values())))

    @staticmethod
    def _rule_arrays(arrays: dict, node: Projection) -> tuple:
        if isinstance(node.rule, FixedProb):
            return arrays["key"], arrays["thresholds"], arrays["guide"]
        return (arrays["key"],)

    @staticmethod
    def _rule_attrs(node: Projection) -> dict:
        return {} if isinstance(node.rule, FixedProb) else {"k": np.int64(node.rule.k)}

    def add_native(self, arrays: dict, spikes, pre_start: int, base, node: Projection,
                   sign: float):
        """`base` (a variable of the whole post population) plus `sign` times the weights of the
        spiking rows, added in place by the C++ kernel: the projection's pre neurons start at
        `pre_start` in `spikes` (of its whole pre population), its post neurons at
        `node.post.start` (see `adds_natively`)."""
        rule = "prob" if isinstance(node.rule, FixedProb) else "fan_out"
        weight = arrays["weight"].astype(base.dtype)
        call = jax.ffi.ffi_call(HANDLERS[(rule, str(base.dtype), True)],
                                jax.ShapeDtypeStruct(base.shape, base.dtype),
                                vmap_method="sequential",
                                input_output_aliases={len(self._rule_arrays(arrays, node)) + 2: 0})
        return call(spikes, *self._rule_arrays(arrays, node), weight, base,
                    pre_start=np.int64(pre_start), n_pre=np.int64(node.pre.size),
                    post_start=np.int64(node.post.start), n_post=np.int64(node.post.size),
                    sign=np.float64(sign), **self._rule_attrs(node))

    def sum_rows(self, arrays: dict, node, values, weight):
        """`Σ_pre weight * values[pre]` at each post neuron, over every row (for couplings): the
        rows BLOCK at a time, each generated as for spikes."""
        n_pre, n_post = node.pre.size, node.post.size
        add_rows = self._prob_rows if isinstance(node.rule, FixedProb) else self._fan_out_rows
        padded = jnp.append(values * weight, jnp.zeros(1, values.dtype))  # row n_pre: padding

        def body(b, total):
            rows = jnp.minimum(b * BLOCK + jnp.arange(BLOCK), n_pre)
            return add_rows(arrays, node, rows, total, padded[rows])

        total = jnp.zeros(n_post + 1, values.dtype)
        return jax.lax.fori_loop(0, -(-n_pre // BLOCK), body, total)[:n_post]

    @staticmethod
    def _prob_rows(arrays: dict, node: Projection, rows, total, amount=None):
        """Add the weight (or `amount`, one per row) at the targets of `rows` (n_pre: padding)
        into `total` [n_post + 1]."""
        n_pre, n_post = node.pre.size, node.post.size
        bound = _row_bound(node.rule.p, n_post)
        table, key, weight = arrays["thresholds"], arrays["key"], arrays["weight"]
        # padding rows start past the end of the row, so they draw nothing
        start = jnp.where(rows < n_pre, -1, n_post).astype(jnp.int64)
        steps = jnp.arange(bound, dtype=jnp.int64)

        def chunk(carry):
            first, position, total = carry
            u = draws(key, rows[:, None], first + steps[None, :]) >> 1
            gaps = 1 + jnp.searchsorted(table, u, side="right").astype(jnp.int64)
            positions = position[:, None] + jnp.cumsum(gaps, axis=1)
            targets = jnp.where(positions < n_post, positions, n_post)
            added = weight if amount is None else amount[:, None]
            total = total.at[targets.ravel()].add(jnp.broadcast_to(added, targets.shape).ravel())
            # a row that left stays out: cap it so that long loops cannot overflow
            return first + bound, jnp.minimum(positions[:, -1], n_post), total

        def unfinished(carry):
            return jnp.any(carry[1] < n_post)

        return jax.lax.while_loop(unfinished, chunk, chunk((jnp.int64(0), start, total)))[2]

    @staticmethod
    def _fan_out_rows(arrays: dict, node: Projection, rows, total, amount=None):
        n_pre, n_post, k = node.pre.size, node.post.size, node.rule.k
        key, weight = arrays["key"], arrays["weight"]
        if k == 0:
            return total
        numbers = draws(key, rows[:, None], jnp.arange(k, dtype=jnp.int64)[None, :])
        first = jnp.sort(_below(numbers, n_post), axis=1)
        # padding rows get distinct dummy values, so they never keep the loop going
        first = jnp.where((rows < n_pre)[:, None], first, jnp.arange(k, dtype=jnp.int64)[None, :])

        def surplus_of(targets):  # later copies of a value, in a sorted row
            return jnp.concatenate([jnp.zeros_like(targets[:, :1], bool),
                                    targets[:, 1:] == targets[:, :-1]], axis=1)

        def redraw(carry):
            targets, counter = carry
            surplus = surplus_of(targets)
            rank = jnp.cumsum(surplus, axis=1) - 1
            fresh = _below(draws(key, rows[:, None], counter[:, None] + rank), n_post)
            targets = jnp.sort(jnp.where(surplus, fresh, targets), axis=1)
            return targets, counter + jnp.sum(surplus, axis=1)

        def repeated(carry):
            return jnp.any(surplus_of(carry[0]))

        counter = jnp.full(rows.shape, k, jnp.int64)
        targets, _ = jax.lax.while_loop(repeated, redraw, (first, counter))
        targets = jnp.where((rows < n_pre)[:, None], targets, n_post)
        added = weight if amount is None else amount[:, None]
        return total.at[targets.ravel()].add(jnp.broadcast_to(added, targets.shape).ravel())
