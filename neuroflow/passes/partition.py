"""`partition`: split every population's neurons over a 1-D mesh of devices.

Requires: a model whose kernels are chosen (`kernels`) and whose fused blocks are made (`fuse`).
Guarantees: with `devices` of 2 or more, one `Partition` node: device d owns the neurons
`d*n <= i < (d+1)*n` of each population (n = ceil(size / devices), `Partition.block`; the last
block is padded with neurons that never spike) and the synapses onto them (post-side ownership,
as NEST does), and the spikes of every population are exchanged between the devices (an
all-gather of their packed bits) every `exchange` steps: by default as many as the smallest
delay of a projection allows (its spikes wait in a ring at least that long), at most
`MAX_INTERVAL`; 1 where a projection has no delay or one per synapse.  A larger `exchange`
than the delays allow is refused.  The step is the same on each device, on its own neurons;
what only holds for the whole population is refused here with a located error: summed
variables (couplings), plastic synapses, spike generators, and kernels whose connectivity is not
a table of synapses (`procedural`, `one_to_one`, `all_to_all`).  Fused blocks that read a
neuron's index `i` or the population size `N` run on XLA, where those are the global ones, and
no block adds projections in its call (`adds` is empty): each runs on its own.
With `devices` 1 (the default) the model is left as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import (BufferKind, Coupling, DelayBuffer, FusedUpdate, FusionBackend, Kernel, Model,
                  ModelError, Partition, Projection, SpikeGenerator, expressions, names)
from ._manager import register_pass

PARTITIONED_KERNELS = (Kernel.EVENT, Kernel.CSR, Kernel.ELL, Kernel.DENSE)
"""Kernels whose connectivity is a table of synapses, which is sliced by post neuron."""

EVERY_STEP = 1


AUTO = 0
MAX_INTERVAL = 100
"""The longest interval between exchanges chosen: the spikes of an interval are held until it
ends (one bit per neuron and step), and longer ones save little more."""


@dataclass(frozen=True)
class PartitionOptions:
    devices: int = 1  # devices of the mesh; `nf.compile(..., devices=...)` sets it
    exchange: int = AUTO  # steps between two exchanges of spikes; 0: as many as delays allow

    def __post_init__(self):
        if self.devices < 1:
            raise ModelError(f"partition{{devices={self.devices}}}: needs 1 or more devices")
        if self.exchange < 0:
            raise ModelError(f"partition{{exchange={self.exchange}}}: give a number of steps,"
                             " or 0 for the longest interval the delays allow")


def longest_interval(model: Model) -> tuple[int, str | None]:
    """How many steps the spikes can wait before they are exchanged, and the projection that
    bounds it (None: no projection): the smallest delay, in steps, of a projection whose
    spikes wait in a ring (`delays` pass); 1 where one has no delay or one per synapse."""
    delayed = {}  # projection -> the steps its spikes wait, in its own ring or a shared one
    for ring in model.find(DelayBuffer):
        if ring.kind == BufferKind.SPIKES:
            delayed.update(dict(ring.readers) if ring.readers else {ring.source: ring.steps})
    bound, by = MAX_INTERVAL, None
    for node in model.find(Projection):
        steps = delayed.get(node.name, EVERY_STEP)
        if steps < bound:
            bound, by = steps, node.name
    return bound, by


def _refuse_unpartitionable(model: Model) -> None:
    hint = ("run it on one device: leave out devices= (in `neuroflow run`, --processes), or"
            " split the model so that this part is not in it")
    for node in model.find(Coupling):
        raise ModelError(f"coupling '{node.name}' sums a variable over its pre neurons every step"
                         " (a summed, continuous coupling): it cannot be partitioned over"
                         " devices yet; spike projections can", node.loc, hint)
    for node in model.find(SpikeGenerator):
        raise ModelError(f"spike generator '{node.pop}' cannot be partitioned over devices yet",
                         node.loc, hint)
    tables = ", ".join(PARTITIONED_KERNELS)
    for node in model.find(Projection):
        if node.plasticity is not None:
            raise ModelError(f"projection '{node.name}' is plastic: plastic synapses cannot be"
                             " partitioned over devices yet", node.loc, hint)
        if node.kernel not in PARTITIONED_KERNELS:
            raise ModelError(f"projection '{node.name}' uses the '{node.kernel}' kernel, whose"
                             " connectivity cannot be split by post neuron", node.loc,
                             f"force a kernel with a table of synapses ({tables}): kernel='event'"
                             " in the projection, or the pipeline's 'kernels{default=event}'")


def _reads_index(model: Model, block: FusedUpdate) -> bool:
    """Whether a block reads `i` or `N`, which generated code takes from its own loop."""
    read = set()
    for op in block.ops:
        for expr in expressions(model.get(op)):
            read |= names(expr)
    for sub in model.scope(block.pop).values():
        for expr in expressions(sub):
            read |= names(expr)
    return bool(read & {"i", "N"})


@register_pass("partition", PartitionOptions)
def partition(model: Model, options: PartitionOptions) -> Model:
    model = model.remove("partition") if "partition" in model else model
    if options.devices == 1:
        return model
    _refuse_unpartitionable(model)
    for block in model.find(FusedUpdate):
        if block.backend == FusionBackend.NATIVE and _reads_index(model, block):
            block = block.replace(backend=FusionBackend.XLA)
        model = model.replace(block.replace(adds=()))
    longest, by = longest_interval(model)
    exchange = options.exchange or longest
    if exchange > longest:
        raise ModelError(f"partition{{exchange={exchange}}}: the spikes of projection '{by}' are"
                         f" needed {longest} step(s) after they happen, so they must be"
                         f" exchanged at least every {longest} step(s)",
                         model.get(by).loc if by else None,
                         f"exchange={longest}, or 0 to let the pass choose")
    owned = tuple((p.name, Partition.block(p.size, options.devices))
                  for p in model.populations)
    return model.add(Partition(options.devices, exchange, owned))
