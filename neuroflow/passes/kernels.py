"""`kernels`: choose how each projection propagates spikes.

Requires: projections with `kernel=auto` or a kernel forced by the user.
Guarantees: every projection names a concrete kernel, shown in the printed IR.
`dense` multiplies the spike vector by a weight matrix, which wins for small
or densely connected projections; `event` touches only the synapses of the
neurons that spiked; `one_to_one` and `all_to_all` (with one weight) need no
connectivity arrays at all.  The rule is a size/density threshold for now; the cost
model of the kernels issue replaces it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import AllToAll, Model, ModelError, OneToOne, Projection
from ._manager import register_pass


@dataclass(frozen=True)
class KernelOptions:
    default: str = "auto"  # force one kernel for every projection left on auto
    dense_max_entries: int = 1_000_000  # weight matrices up to this size may be dense
    dense_min_density: float = 0.1


def choose_kernel(node: Projection, options: KernelOptions) -> str:
    if node.heterogeneous_delay:  # only the event kernel schedules each synapse's input into the future
        if node.kernel not in ("auto", "event"):
            raise ModelError(f"projection '{node.name}' has one delay per synapse, which only the 'event' kernel"
                             f" supports, but '{node.kernel}' was asked for", node.loc)
        return "event"
    if node.kernel != "auto":
        return node.kernel
    if options.default != "auto":
        return options.default
    # rules with a fixed structure have kernels that need no indices
    if isinstance(node.rule, OneToOne) and not isinstance(node.weight, tuple):
        return "one_to_one"
    if isinstance(node.rule, AllToAll) and isinstance(node.weight, float):
        return "all_to_all"
    entries = node.pre.size * node.post.size
    density = node.rule.expected_synapses(node.pre.size, node.post.size) / entries
    if entries <= options.dense_max_entries and (density >= options.dense_min_density or entries <= 65_536):
        return "dense"
    return "event"


@register_pass("kernels", KernelOptions)
def kernels(model: Model, options: KernelOptions) -> Model:
    chosen = [p.replace(kernel=choose_kernel(p, options)) for p in model.find(Projection)]
    return model.replace(*chosen) if chosen else model
