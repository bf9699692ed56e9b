"""Memory a run will take, estimated from the lowered model before anything is allocated.

`estimate(program, steps, batch)` adds up the arrays a run holds — state, parameters,
connectivity in each projection's kernel layout, delay buffers, monitor data on the device
and on the host — and the temporaries of drawing the connectivity, from sizes and rules
alone: nothing is drawn.  Stored layouts padded to the largest fan-out or fan-in (`event`,
`ell`) take the expected largest of the rows' random counts.  `ir.memory_limit()` and
`device_memory()` say what the machine and its accelerator have, so that a run that cannot
fit is refused first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax
import numpy as np

from ... import ir
from ._procedural import guide_bits

INT32, BOOL, UINT8, FLOAT64 = 4, 1, 1, 8
ROW_PAD = 16  # `EllLayout` rounds its width up to a multiple of this
SPIKE_BYTES = 20  # per recorded spike on the host: int32 step and neuron per chunk, then t and i
HELD, DRAWING = "held", "drawing"


@dataclass(frozen=True, slots=True)
class Part:
    """One entry of an estimate: what (`kind`: state, parameters, connectivity, delay buffers,
    monitors), whose (`name`), how it is laid out (`layout`) and its bytes.  `when` is `held`
    (during the run) or `drawing` (only while the connectivity is drawn); `on_host` is True
    for what lives in host memory whatever the device."""

    kind: str
    name: str
    layout: str
    bytes: int
    when: str = HELD
    on_host: bool = False


@dataclass(frozen=True)
class MemoryEstimate:
    """The parts of a run's memory.  Its `peak` is what it holds plus the larger of two things that
    never meet: the temporaries of drawing the connectivity (before the run starts; they are
    given back first) and the monitors' data (which the run fills)."""

    parts: tuple[Part, ...]
    steps: int
    batch: int
    spike_rate_hz: float
    notes: tuple[str, ...] = field(default=())
    devices: int = 1  # of a network partitioned over devices
    per_device: int | None = None  # what each of them holds while the run goes on

    @property
    def held(self) -> int:
        return sum(p.bytes for p in self.parts if p.when == HELD)

    @property
    def drawing(self) -> int:
        return max((p.bytes for p in self.parts if p.when == DRAWING), default=0)

    @property
    def peak(self) -> int:
        monitors = self.by_kind().get("monitors", 0)
        return self.held - monitors + max(monitors, self.drawing)

    def device_peak(self) -> int:
        """What lives in the device's memory (all of `peak` on a CPU)."""
        return sum(p.bytes for p in self.parts if p.when == HELD and not p.on_host)

    def by_kind(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for part in self.parts:
            if part.when == HELD:
                totals[part.kind] = totals.get(part.kind, 0) + part.bytes
        return totals

    def text(self) -> str:
        """A table of the parts, largest kinds first, and the totals."""
        lines = [f"memory estimate: {self.steps} steps, batch {self.batch},"
                 f" spikes recorded at {self.spike_rate_hz:g} Hz assumed"]
        kinds = self.by_kind()
        width = max((len(p.name) for p in self.parts), default=0)
        for kind in sorted(kinds, key=kinds.get, reverse=True):
            lines.append(f"  {kind:<{width + 2}} {ir.size_text(kinds[kind]):>10}")
            for part in self.parts:
                if part.kind == kind and part.when == HELD:
                    lines.append(f"    {part.name:<{width}} {ir.size_text(part.bytes):>10}"
                                 f"  {part.layout}")
        if self.drawing:
            largest = max((p for p in self.parts if p.when == DRAWING), key=lambda p: p.bytes)
            lines.append(f"  {'drawing':<{width + 2}} {ir.size_text(self.drawing):>10}"
                         "  more while"
                         f" drawing '{largest.name}': {largest.layout}")
        lines.append(f"  {'peak':<{width + 2}} {ir.size_text(self.peak):>10}")
        if self.per_device is not None:
            lines.append(f"  {'per device':<{width + 2}} {ir.size_text(self.per_device):>10}"
                         f"  each of {self.devices}: its neurons' state and the synapses onto"
                         " them, spike rings and monitor chunks whole")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


# -- connectivity ------------------------------------------------------------------------------
def _expected_max(n: int, p: float, rows: int) -> float:
    """The expected largest of `rows` Binomial(n, p) counts (Gaussian extreme values)."""
    mean, sd = n * p, math.sqrt(max(n * p * (1 - p), 0.0))
    if rows < 2 or sd == 0.0:
        return mean
    z = math.sqrt(2 * math.log(rows))
    z -= (math.log(math.log(rows)) + math.log(4 * math.pi)) / (2 * z)
    return min(float(n), mean + max(z, 0.0) * sd)


def row_width(rule: ir.ConnectivityRule, n_pre: int, n_post: int, by_pre: bool) -> int:
    """The padded width of an ELL table of `rule`'s synapses grouped by pre neuron (fan-out) or by
    post neuron (fan-in), as `EllLayout` rounds it."""
    rows, others = (n_pre, n_post) if by_pre else (n_post, n_pre)
    if isinstance(rule, ir.FixedProb):
        largest = _expected_max(others, rule.p, rows)
    elif isinstance(rule, ir.FixedFanIn):
        largest = rule.k if not by_pre else _expected_max(n_post, rule.k / max(n_pre, 1), rows)
    elif isinstance(rule, ir.FixedFanOut):
        largest = rule.k if by_pre else _expected_max(n_pre, rule.k / max(n_post, 1), rows)
    elif isinstance(rule, ir.OneToOne):
        largest = 1
    else:  # all to all, or a rule without a model of its rows: the densest
        largest = others
    return -(-max(math.ceil(largest), 1) // ROW_PAD) * ROW_PAD


def _shared_weight(node: ir.Connection) -> bool:
    """Whether every synapse gets one number (a scalar instead of a table)."""
    return isinstance(node.weight, (int, float)) and not isinstance(node.weight, bool)


def connectivity_layout(node: ir.Connection, itemsize: int) -> tuple[str, int]:
    """`(layout, bytes)` of the arrays `node`'s kernel builds."""
    n_pre, n_post = node.pre.size, node.post.size
    synapses = node.rule.expected_synapses(n_pre, n_post)
    kernel = node.kernel
    shared = _shared_weight(node)
    weights = "one shared weight" if shared else f"weights {itemsize}-byte"
    scalar = itemsize if shared else 0  # the one weight
    if kernel == ir.Kernel.DENSE or (kernel == ir.Kernel.ALL_TO_ALL and not shared):
        return f"dense [{n_pre} x {n_post}]", n_pre * n_post * itemsize
    if kernel == ir.Kernel.ALL_TO_ALL:
        return "all_to_all, one shared weight", itemsize
    if kernel == ir.Kernel.ONE_TO_ONE:
        return f"one_to_one [{n_post}]", n_post * itemsize
    if kernel == ir.Kernel.PROCEDURAL:  # the key, the weight, fixed_prob's gap table and guide
        if not isinstance(node.rule, ir.FixedProb):
            return "procedural, regenerated each step", FLOAT64 + itemsize
        guide = 2 ** guide_bits(n_post) + 1
        return (f"procedural, regenerated each step: gap table [{n_post}] uint64, guide"
                f" [{guide}] int32", n_post * FLOAT64 + guide * INT32 + FLOAT64 + itemsize)
    if kernel == ir.Kernel.CSR:
        per = 2 * INT32 + (0 if shared else itemsize)
        return f"csr {synapses:.0f} synapses, pre and post int32, {weights}", \
            int(synapses * per) + scalar
    if kernel == ir.Kernel.ELL:
        width = row_width(node.rule, n_pre, n_post, by_pre=False)
        if isinstance(node, ir.Coupling):  # sources, weights and counts tables
            per = INT32 + 2 * itemsize
        else:
            per = INT32 + (0 if shared else itemsize)
        return f"ell [{n_post} x {width}] by post, {weights}", n_post * width * per + scalar
    width = row_width(node.rule, n_pre, n_post, by_pre=True)
    if kernel == ir.Kernel.EVENT_PLASTIC:  # targets by pre, and the synapses of each post neuron
        incoming = (n_post + 1) * row_width(node.rule, n_pre, n_post, by_pre=False)
        return (f"event_plastic [{n_pre + 1} x {width}] by pre, an index by post",
                ((n_pre + 1) * width + incoming) * INT32)
    # event: rows of pre neurons, one padding row
    cells = (n_pre + 1) * width
    per = INT32 + (0 if shared else itemsize)
    if getattr(node, "heterogeneous_delay", False):
        per += INT32
    return f"{kernel} [{n_pre + 1} x {width}] by pre, {weights}", cells * per + scalar


GAP_PIECE = 1 << 18  # gaps `ir.FixedProb.draw` draws at a time (its piece size)


def _rule_temporaries(rule: ir.ConnectivityRule, synapses: float) -> float:
    """Bytes a rule allocates for a moment while it draws `synapses`, beyond their indices."""
    if isinstance(rule, ir.FixedProb):
        # a piece of int64 gaps (cumulated in place), a mask, int64 rows and columns; from the
        # second piece on, the last piece's rows and columns are alive while the next ones form
        piece = min(synapses, GAP_PIECE)
        return (3 * FLOAT64 + BOOL) * piece + (2 * FLOAT64 * piece if synapses > piece else 0)
    if isinstance(rule, (ir.FixedFanIn, ir.FixedFanOut)):
        return (FLOAT64 + INT32) * synapses  # an int64 array of them, then cast to int32
    return 0.0


def drawing_bytes(node: ir.Connection, table: int) -> tuple[str, int]:
    """`(what, bytes)` of the host memory taken while `node`'s synapses are drawn and its kernel
    builds its `table` bytes: the pre and post indices (int32), the rule's temporaries, then a
    mask to test the weights for one shared value (and per-synapse weights in float64, with
    their float64 table).  Freed temporaries are taken again only by what fits in them: the
    allocator keeps them, so larger tables come on top."""
    if node.kernel == ir.Kernel.PROCEDURAL:
        return "nothing drawn", 0
    synapses = node.rule.expected_synapses(node.pre.size, node.post.size)
    indices = 2 * INT32 * synapses
    rule = _rule_temporaries(node.rule, synapses)
    build = BOOL * synapses + table
    if node.kernel == ir.Kernel.DENSE or (node.kernel == ir.Kernel.ALL_TO_ALL
                                          and not _shared_weight(node)):
        build += FLOAT64 * node.pre.size * node.post.size  # the matrix, summed in float64
    if not _shared_weight(node):
        build += FLOAT64 * synapses + 2 * table
    taken = rule if build <= rule else rule + build
    return (f"{synapses:.0f} synapses: indices {ir.size_text(indices)}, drawing"
            f" {ir.size_text(rule)}, building {ir.size_text(build)}", int(indices + taken))


# -- the estimate ------------------------------------------------------------------------------
def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def estimate(program, steps: int, batch: int = 1, chunk_steps: int = 1000,
             spike_rate_hz: float = 10.0, replicas: int = 1,
             propagators: bool = True) -> MemoryEstimate:
    """The memory of `batch` runs of `steps` steps of `program` (a lowered `Program`), the
    connectivity held `replicas` times (once per device of a sweep); recorded spikes are
    counted at `spike_rate_hz` per neuron.  `propagators=False` leaves out what exact
    integration computes from the parameters (small; finding its shapes traces `prepare`,
    a few hundred milliseconds that a run's check before it starts does not spend)."""
    model, itemsize = program.model, program.dtype.itemsize
    parts: list[Part] = []
    for pop, size in program.sizes.items():
        variables = model.find(ir.StateVar, pop)
        count = sum(_size(v.type.shape) for v in variables)
        state = count * itemsize + (size * INT32 if pop in program.refractory else 0)
        names = ", ".join(v.name for v in variables)
        if state:
            parts.append(Part("state", pop, f"{names} ({itemsize}-byte)", state * batch))
        params = sum(_size(p.type.shape) for p in model.find(ir.Parameter, pop))
        params += sum(t.bins * _size(t.type.shape) for t in model.find(ir.TimedInput, pop))
        if params:
            parts.append(Part("parameters", pop, f"{params} values", params * itemsize * batch))
    derived_bytes = 0
    if propagators and program.linear:  # what `prepare` computes, by shape only
        derived = jax.eval_shape(program.prepare, program.parameters(0))
        derived_bytes = sum(leaf.size * leaf.dtype.itemsize
                            for leaf in jax.tree_util.tree_leaves(derived))
    if derived_bytes:
        parts.append(Part("parameters", "propagators", "exact integration", derived_bytes * batch))
    connections = [*model.find(ir.Projection), *model.find(ir.Coupling)]
    stored = [connectivity_layout(node, itemsize)[1] for node in connections]
    before, total = 0, sum(stored)  # connectivity is drawn one projection at a time
    for node, table in zip(connections, stored):
        what, drawn = drawing_bytes(node, table)
        extra = before + drawn - total  # beyond what the run holds anyway
        if extra > 0:
            parts.append(Part("connectivity", node.name, what, extra, DRAWING, on_host=True))
        before += table
    for node in connections:
        layout, size = connectivity_layout(node, itemsize)
        if getattr(node, "plasticity", None) is not None:  # synapse tables are state, per run
            width = row_width(node.rule, node.pre.size, node.post.size, by_pre=True)
            tables = (len(node.plasticity.variables) + 1) * (node.pre.size + 1) * width
            parts.append(Part("state", node.name, f"{tables} synapse values", tables * itemsize
                              * batch))
        if replicas > 1:
            layout, size = f"{layout}, on {replicas} devices", size * replicas
        parts.append(Part("connectivity", node.name, layout, size))
    for name, buffer in program.buffers.items():
        if buffer.kind == ir.BufferKind.HISTORY:
            pop = name.split(".")[0]
            size, layout = (buffer.steps + 1) * program.sizes[pop] * itemsize, "history"
        elif buffer.kind == ir.BufferKind.SPIKES:
            pre = model.get(name).pre if not buffer.readers else None
            partition = model.get("partition")
            if partition is not None:  # the whole population's exchanged bits (`_rings`)
                owned = partition.neurons(name if pre is None else pre.population)
                row = partition.devices * -(-owned // 8) * UINT8
            else:
                row = (program.sizes[name] if pre is None else pre.size) * BOOL
            size = (buffer.steps + 1) * row  # the row being written is one more
            layout = f"spikes of {buffer.steps} steps"
        else:
            size = (buffer.steps + 1) * (model.get(name).post.size + 1) * itemsize
            layout = f"input of {buffer.steps} steps"
        parts.append(Part("delay buffers", name, layout, size * batch))
    parts.extend(_monitors(program, steps, batch, min(chunk_steps, steps), spike_rate_hz))
    partition = model.get("partition")
    if partition is None:
        return MemoryEstimate(tuple(parts), steps, batch, spike_rate_hz)
    return MemoryEstimate(tuple(parts), steps, batch, spike_rate_hz, devices=partition.devices,
                          per_device=_per_device(parts, program, partition))


def _per_device(parts: list[Part], program, partition: ir.Partition) -> int:
    """What each device of a partitioned network holds during the run: a block of every
    population's state and per-neuron values and of the input rings, about a share of the
    synapses (post-side), and whole what every device computes alike (spike rings, whose rows
    are the exchanged spikes; the monitors' chunks).  A device's table of a projection is laid
    out for its own block of the post neurons (padded alike on every device: the largest block)."""
    share = {pop: partition.neurons(pop) / size for pop, size in program.sizes.items()}
    held = 0.0
    for part in parts:
        if part.when != HELD or part.on_host:
            continue
        buffer = program.buffers.get(part.name)
        if part.kind in ("state", "parameters") and part.name in share:
            held += part.bytes * share[part.name]
        elif part.kind == "connectivity":  # the device's table: its block of the post neurons
            node = program.model.get(part.name)
            block = min(node.post.size, partition.neurons(node.post.population))
            post = ir.PopSlice(node.post.population, node.post.start, node.post.start + block)
            held += connectivity_layout(node.replace(post=post), program.dtype.itemsize)[1]
        elif buffer is not None and buffer.kind == ir.BufferKind.HISTORY:
            held += part.bytes * share[part.name.split(".")[0]]
        elif buffer is not None and buffer.kind == ir.BufferKind.INPUT:
            held += part.bytes * share[program.model.get(part.name).post.population]
        else:  # spike rings, monitors' chunks, propagators, plastic synapse tables: whole
            held += part.bytes
    return int(held)


def _monitors(program, steps: int, batch: int, chunk: int, rate_hz: float) -> list[Part]:
    """Each monitor's data: two chunks of it on the device (one being recorded while the last one
    is copied out) and the whole run on the host (traces and counts held twice at the end, as
    chunks and joined)."""
    model, itemsize = program.model, program.dtype.itemsize
    seconds = steps * program.dt / 1000.0
    parts = []
    for mon in model.find(ir.SpikeMonitor):
        neurons = (mon.neurons[1] - mon.neurons[0]) if mon.neurons else program.sizes[mon.pop]
        device = 2 * chunk * -(-neurons // 8) * UINT8
        spikes = rate_hz * neurons * seconds
        parts.append(Part("monitors", mon.id, f"{-(-neurons // 8)} bytes per step",
                          device * batch))
        parts.append(Part("monitors", f"{mon.id} (host)", f"{spikes:.0f} spikes",
                          int(spikes * SPIKE_BYTES) * batch, on_host=True))
    for mon in model.find(ir.RateMonitor):
        segments = max(len(mon.bounds) - 1, 1)
        parts.append(Part("monitors", mon.id, f"{segments} counts per step",
                          2 * chunk * segments * INT32 * batch))
        parts.append(Part("monitors", f"{mon.id} (host)", "counts and times",
                          steps * (segments * (2 * INT32 + FLOAT64) + FLOAT64) * batch,
                          on_host=True))
    for mon in model.find(ir.StateMonitor):
        values = len(mon.indices)
        parts.append(Part("monitors", mon.id, f"{values} values per step",
                          2 * chunk * values * itemsize * batch))
        parts.append(Part("monitors", f"{mon.id} (host)", "values and times",
                          steps * (2 * values * itemsize + FLOAT64) * batch, on_host=True))
    return parts


# -- what the machine has ----------------------------------------------------------------------
def device_memory(device) -> int | None:
    """The bytes an accelerator may allocate (its `memory_stats()`), or None (CPUs have none)."""
    try:
        stats = device.memory_stats()
    except Exception:  # noqa: BLE001 -- a backend without memory statistics
        stats = None
    return (stats or {}).get("bytes_limit")


class InsufficientMemory(ir.NeuroflowError, MemoryError):
    """A run refused before it allocated anything: its estimate does not fit the machine."""

    def __init__(self, message: str, hint: str, estimate: MemoryEstimate):
        self.estimate = estimate
        super().__init__(message, None, hint)


def refuse_unless_it_fits(estimate: MemoryEstimate, device, limit: int | None = None) -> None:
    """Raise `InsufficientMemory` with the estimate and advice if it cannot fit: `limit` bytes,
    else the device's memory (accelerators) and the machine's (what is on the host)."""
    on_accelerator = device is not None and device.platform != "cpu"
    checks = []
    if on_accelerator:
        checks.append((estimate.device_peak(), limit or device_memory(device),
                       "the memory limit" if limit else str(device)))
        host = estimate.peak - estimate.device_peak()
    else:
        host = estimate.peak
    checks.append((host, limit or ir.memory_limit(),
                   "the memory limit" if limit else "this machine"))
    for need, have, where in checks:
        if have is not None and need > have:
            raise InsufficientMemory(
                f"the run needs about {ir.size_text(need)} but {where} has"
                f" {ir.size_text(have)};"
                f" nothing was allocated\n{estimate.text()}", _advice(estimate), estimate)


def _advice(estimate: MemoryEstimate) -> str:
    """What would shrink the parts of `estimate` that weigh (a quarter of the peak or more)."""
    kinds, weighty = estimate.by_kind(), estimate.peak / 4
    advice = []
    if kinds.get("connectivity", 0) + estimate.drawing >= weighty:
        advice.append("procedural connectivity (kernel='procedural': fixed_prob or fixed_fan_out"
                      " with one shared weight) regenerates synapses instead of storing them")
    if kinds.get("monitors", 0) >= weighty:
        advice.append("fewer monitors, or monitors of fewer neurons (a rate monitor instead of"
                      " spikes), shorter chunks (chunk_steps=...) or a shorter run resumed in"
                      " parts (resume=results.final)")
    if estimate.batch > 1:
        advice.append("a smaller sweep, or its runs split over more devices")
    else:
        advice.append("fewer neurons per device: sharding over several devices")
    return "; ".join(advice)
