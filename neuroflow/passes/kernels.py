"""`kernels`: choose how each projection propagates spikes, by a cost model.

Requires: projections with `kernel=auto` or a kernel forced by the user.
Guarantees: every projection names a concrete kernel, shown in the printed IR.
`dense` multiplies the spike vector by a weight matrix; `event` touches only the
synapses of the neurons that spiked; `one_to_one` and `all_to_all` (with one
weight) need no connectivity arrays; plastic projections always get
`event_plastic`.  For the rest, the model below predicts
each kernel's time per step from the sizes, the expected number of synapses,
the expected firing rate (option `rate`, Hz) and whether the native kernels
are available (option `native`), and the cheapest wins.  Its constants come
from `benchmarks/calibrate_kernels.py --fit` on the development machine
(2-core x86_64, XLA:CPU); the pass option `default` forces one kernel.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import AllToAll, Clock, Model, ModelError, OneToOne, Projection
from ._manager import register_pass

# µs per step: fixed cost, then per matrix entry (dense) or per post neuron and per
# synapse reached by a spike (event).  Measured with calibrate_kernels.py.
DENSE = (0.5, 3.5e-4)
EVENT_NATIVE = (0.3, 3.6e-3, 1.0e-3)
EVENT_JAX = (15.0, 3.6e-2, 1.1e-2)


@dataclass(frozen=True)
class KernelOptions:
    default: str = "auto"  # force one kernel for every projection left on auto
    rate: float = 10.0  # expected firing rate of pre neurons, Hz
    native: bool = True  # whether the native event kernel will run


def predicted_costs(node: Projection, options: KernelOptions, dt: float) -> dict[str, float]:
    """Predicted µs per step of `dense` and `event` for `node` with time step `dt` (ms)."""
    entries = node.pre.size * node.post.size
    synapses = node.rule.expected_synapses(node.pre.size, node.post.size)
    reached = synapses * options.rate * dt * 1e-3  # synapses of the neurons spiking in one step
    fixed, per_post, per_synapse = EVENT_NATIVE if options.native else EVENT_JAX
    return {"dense": DENSE[0] + DENSE[1] * entries,
            "event": fixed + per_post * node.post.size + per_synapse * reached}


def choose_kernel(node: Projection, options: KernelOptions, dt: float) -> str:
    if node.plasticity is not None:  # synapse state per synapse: only the plastic event kernel keeps it
        if node.kernel not in ("auto", "event_plastic"):
            raise ModelError(f"projection '{node.name}' is plastic, which only the 'event_plastic' kernel runs,"
                             f" but '{node.kernel}' was asked for", node.loc)
        return "event_plastic"
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
    costs = predicted_costs(node, options, dt)
    return min(costs, key=costs.get)


@register_pass("kernels", KernelOptions)
def kernels(model: Model, options: KernelOptions) -> Model:
    clock = model.get("clock")
    dt = clock.dt if isinstance(clock, Clock) else 0.1
    chosen = [p.replace(kernel=choose_kernel(p, options, dt),
                        costs=() if p.plasticity is not None else  # one kernel only: nothing to compare
                        tuple((k, round(v, 2)) for k, v in predicted_costs(p, options, dt).items()))
              for p in model.find(Projection)]
    return model.replace(*chosen) if chosen else model
