"""`kernels`: choose how each projection propagates spikes, by a cost model of the device.

Requires: projections with `kernel=auto` or a kernel forced by the user.
Guarantees: every projection names a concrete kernel, shown in the printed IR with the
predicted costs and the kind of device they were predicted for (`costs@gpu=[...]`).  `dense`
multiplies the spike vector by a weight matrix; `event` touches only the synapses of the
neurons that spiked (one loop step per spike in pure JAX, a C++ loop with the native kernels);
`event_parallel` touches the same synapses without a loop (the spiking rows compacted,
gathered and scatter-added at once); `csr` scatter-adds over every synapse each step; `ell`
gathers a fixed fan-in table per post neuron (no scatter); `one_to_one` and `all_to_all`
(with one weight) need no connectivity arrays; plastic projections always get
`event_plastic`; projections with one delay per synapse get the cheaper of `event` and
`event_parallel` (or the one forced).  A coupling (summed variables) sums every step with
`dense` (a matrix product) or `csr` (one gather per synapse and a segment sum; with the native
kernels, one C++ row sum per post neuron), `one_to_one` where it connects neuron i to neuron
i; its costs are printed too, and `native` after the kernel where C++ code will sum it (`csr`,
and `dense` from at least NATIVE_DENSE_PRE pre neurons: a dot product per post neuron on the
native threads).  For the rest, the model below predicts the time per step of
each kernel the device's table knows from the sizes, the expected number of synapses, the
expected firing rate (option `rate`, Hz) and whether the native kernels are available
(option `native`, CPU only), and the cheapest wins; with the option `training` (a
differentiable step on batches) the kernels with a data-dependent loop or branch (`event`,
`event_parallel`) are left out of the choice.  Kernels without cost terms (such as
`procedural`) are never picked automatically: the pass option `default` or a projection's
`kernel=` forces any registered kernel.

The option `device` (`cpu`, `gpu` or `tpu`; `compile` sets it from JAX's default backend, and
`kernels{device=gpu}` overrides it) selects the table.  The CPU constants come from
`benchmarks/calibrate_kernels.py --fit` on the development machine (2-core x86_64, XLA:CPU);
the CPU's table leaves `event_parallel` out (its event kernel is the loop or the C++ kernel).
The GPU and TPU constants are estimates, not fits (no accelerator was at hand): launches and
the wait for the host that each loop step or branch costs there (~10 µs), streaming at a few
TB/s, atomic scatters; `calibrate_kernels.py --fit` run on an accelerator prints fitted ones.
There a loop step per spike costs a launch and a wait, so `event` loses to the kernels
without loops: `event_parallel` for sparse activity, `ell` or `csr` for small or busy
networks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..ir import (AllToAll, Clock, Coupling, FixedFanIn, FixedFanOut, FixedProb, Kernel, Model,
                  ModelError, OneToOne, Projection)
from ._manager import register_pass

DEVICE_KINDS = ("cpu", "gpu", "tpu")

# µs per step, one constant per feature of `features` below (fixed cost first).  Fitted
# (non-negative least squares, relative errors) with `calibrate_kernels.py --fit`, with and
# without native kernels; dense, csr and ell are the mean of both runs.
DENSE = (0.0, 1.4e-4)  # 1, matrix entries
# 1, post neurons, spiking pre neurons, synapses they reach
EVENT_NATIVE = (0.15, 4.7e-4, 0.38, 1.2e-3)
EVENT_JAX = (1.6, 1.3e-3, 1.7, 6.2e-3)  # the same features, pure-JAX loop over spikes
CSR = (1.3, 0.0, 4.4e-3)  # 1, post neurons, synapses
ELL = (5.0, 1.3e-2, 3.6e-3)  # 1, post neurons, table slots (post neurons x padded fan-in)

# Estimates for accelerators (not fitted; see the module's docstring).  A GPU: ~4 µs of
# launches for a few fused kernels, ~12 µs more for each wait on the host (a loop step, a
# branch), 4 bytes streamed per 1e-6 µs, a gather with an atomic add per ~1.5e-5 µs.
GPU = {Kernel.DENSE: (4.0, 1.0e-6),
       Kernel.EVENT: (16.0, 1.0e-6, 12.0, 1.5e-5),
       # 1, pre neurons (the compaction), post neurons, synapses reached (gathered and added)
       Kernel.EVENT_PARALLEL: (16.0, 2.0e-6, 1.0e-6, 4.0e-5),
       Kernel.CSR: (4.0, 1.0e-6, 1.5e-5),
       Kernel.ELL: (4.0, 1.0e-6, 8.0e-6)}
# A TPU: matrix products are its strength, scatters (one update after another) its weakness.
TPU = {Kernel.DENSE: (4.0, 5.0e-7),
       Kernel.EVENT: (20.0, 1.0e-6, 15.0, 2.0e-4),
       Kernel.EVENT_PARALLEL: (20.0, 2.0e-6, 1.0e-6, 2.0e-4),
       Kernel.CSR: (4.0, 1.0e-6, 1.0e-4),
       Kernel.ELL: (4.0, 1.0e-6, 5.0e-6)}
# kernels whose work depends on the spikes (a loop, a branch per buffer size): their gradient
# is the masked pass over every synapse, which is what a differentiable step should run anyway
DATA_DEPENDENT = (Kernel.EVENT, Kernel.EVENT_PARALLEL)


@dataclass(frozen=True)
class KernelOptions:
    default: Kernel = Kernel.AUTO  # force one kernel for every projection left on auto
    rate: float = 10.0  # expected firing rate of pre neurons, Hz
    native: bool = True  # whether the native event kernel will run
    # for a differentiable step run on batches (`sim.function`): the event kernel's loop over
    # spikes cannot be reversed (its gradient is a pass over every synapse anyway), and under
    # `vmap` the loop runs as long as the busiest member of the batch, after both branches of
    # its choice between loop and full pass: it is never chosen automatically then
    training: bool = False
    device: str = "cpu"  # the kind of device the step runs on, one of DEVICE_KINDS

    def __post_init__(self):  # `kernels{default=csr}`: a ModelError for a name that is no kernel
        object.__setattr__(self, "default", Kernel(self.default))
        if self.device not in DEVICE_KINDS:
            raise ModelError(f"kernels{{device={self.device}}}: no cost model for devices of kind"
                             f" '{self.device}'", hint=f"kinds: {', '.join(DEVICE_KINDS)}")


def ell_width(node: Projection) -> float:
    """Expected padded fan-in of the `ell` table: exact for fixed fan-in rules, else the
    mean plus three standard deviations of a Poisson count (the largest of many rows)."""
    if isinstance(node.rule, FixedFanIn):
        return float(node.rule.k)
    if isinstance(node.rule, AllToAll):
        return float(node.pre.size)
    mean = node.rule.expected_synapses(node.pre.size, node.post.size) / max(node.post.size, 1)
    return mean + 3.0 * math.sqrt(mean)


def features(node: Projection, rate: float, dt: float) -> dict[Kernel, tuple[float, ...]]:
    """What each kernel's cost depends on, in its constants' order; `rate` in Hz, `dt` in ms."""
    n_pre, n_post = node.pre.size, node.post.size
    synapses = node.rule.expected_synapses(n_pre, n_post)
    spiking = n_pre * rate * dt * 1e-3  # pre neurons spiking in one step
    reached = synapses * rate * dt * 1e-3  # synapses of those neurons
    return {Kernel.DENSE: (1.0, float(n_pre * n_post)),
            Kernel.EVENT: (1.0, float(n_post), spiking, reached),
            Kernel.EVENT_PARALLEL: (1.0, float(n_pre), float(n_post), reached),
            Kernel.CSR: (1.0, float(n_post), synapses),
            Kernel.ELL: (1.0, float(n_post), n_post * ell_width(node))}


def constants(native: bool, device: str = "cpu") -> dict[Kernel, tuple[float, ...]]:
    """The constants of each kernel the cost model knows on `device`: native kernels run on
    CPUs only."""
    if device == "gpu":
        return GPU
    if device == "tpu":
        return TPU
    return {Kernel.DENSE: DENSE, Kernel.EVENT: EVENT_NATIVE if native else EVENT_JAX,
            Kernel.CSR: CSR, Kernel.ELL: ELL}


def predicted_costs(node: Projection, options: KernelOptions, dt: float) -> dict[Kernel, float]:
    """Predicted µs per step of each kernel the model knows for `node` with time step `dt` (ms)
    on the options' device."""
    measures = features(node, options.rate, dt)
    return {name: sum(c * x for c, x in zip(fitted, measures[name]))
            for name, fitted in constants(options.native, options.device).items()}


def choose_kernel(node: Projection, options: KernelOptions, dt: float) -> Kernel:
    # synapse state per synapse: only the plastic event kernel keeps it
    if node.plasticity is not None:
        if node.kernel not in (Kernel.AUTO, Kernel.EVENT_PLASTIC):
            raise ModelError(f"projection '{node.name}' is plastic, which only the 'event_plastic'"
                             f" kernel runs, but '{node.kernel}' was asked for", node.loc)
        return Kernel.EVENT_PLASTIC
    # only the event kernels schedule each synapse's input into the future
    if node.heterogeneous_delay:
        if node.kernel not in (Kernel.AUTO,) + DATA_DEPENDENT:
            raise ModelError(f"projection '{node.name}' has one delay per synapse, which only the"
                             f" 'event' and 'event_parallel' kernels support, but"
                             f" '{node.kernel}' was asked for", node.loc)
        if node.kernel != Kernel.AUTO:
            return node.kernel
        if options.default in DATA_DEPENDENT:
            return options.default
        costs = predicted_costs(node, options, dt)
        return min(DATA_DEPENDENT, key=lambda k: costs.get(k, math.inf))
    forced = node.kernel if node.kernel != Kernel.AUTO else options.default
    if forced != Kernel.AUTO:
        return forced
    # rules with a fixed structure have kernels that need no indices
    if isinstance(node.rule, OneToOne) and not isinstance(node.weight, tuple):
        return Kernel.ONE_TO_ONE
    if isinstance(node.rule, AllToAll) and isinstance(node.weight, float):
        return Kernel.ALL_TO_ALL
    costs = predicted_costs(node, options, dt)
    if options.training:
        costs = {k: v for k, v in costs.items() if k not in DATA_DEPENDENT}
    return min(costs, key=costs.get)


# Couplings sum every step: µs per step for 1 and per matrix entry (dense), synapse (csr) or
# table slot (ell), times the columns (a term's pre vector; a summand without terms costs as
# PER_SYNAPSE_COLUMNS).  Measured on the development machine (2-core x86_64, XLA:CPU, float32,
# a rate network of 4000 units at 10% and of 1000 at 100%): a dense product streams 16M entries
# in 2.3 ms, while XLA's gathers cost 5-6 ns per synapse, so dense wins down to ~3% density.
# The native csr kernel (a row sum per post neuron, no scatter; not for training) streams
# 1.6M synapses in about a third of the dense product's time: it wins up to ~30% density.
COUPLING_DENSE = (2.0, 1.4e-4)
COUPLING_CSR = (2.0, 5.0e-3)
COUPLING_CSR_NATIVE = (2.0, 4.5e-4)
COUPLING_ELL = (2.0, 5.5e-3)
PER_SYNAPSE_COLUMNS = 4
COUPLING_KERNELS = (Kernel.DENSE, Kernel.CSR, Kernel.ELL, Kernel.ONE_TO_ONE, Kernel.PROCEDURAL)


# The native dense kernel (a dot product per post neuron, rows split over the native threads)
# runs a matrix from at least this many pre neurons, onto any number of post neurons (XLA:CPU
# runs a product onto a few, such as the pools of a decision network, as a scalar loop that
# adds into memory: ~5 us for 1600 x 3); from fewer, XLA fuses the products with their readers.
NATIVE_DENSE_PRE = 16


def native_sums(node: Coupling, options: KernelOptions) -> bool:
    """Whether native kernels sum `node`'s factorized terms: in a CPU step that is not
    differentiated (training keeps the JAX path)."""
    return (options.native and options.device == "cpu" and not options.training
            and bool(node.terms))


def coupling_costs(node: Coupling, options: KernelOptions) -> dict[Kernel, float]:
    """Predicted µs per step of the kernels that sum a coupling."""
    columns = len(node.terms) or PER_SYNAPSE_COLUMNS
    synapses = node.rule.expected_synapses(node.pre.size, node.post.size)
    native = native_sums(node, options)
    entries = {Kernel.DENSE: (COUPLING_DENSE, node.pre.size * node.post.size),
               Kernel.CSR: (COUPLING_CSR_NATIVE if native else COUPLING_CSR, synapses),
               Kernel.ELL: (COUPLING_ELL, node.post.size * ell_width(node))}
    return {k: fixed + per * count * columns for k, ((fixed, per), count) in entries.items()}


def choose_coupling_kernel(node: Coupling, options: KernelOptions) -> Kernel:
    forced = node.kernel
    if forced == Kernel.AUTO and options.default in COUPLING_KERNELS:
        forced = options.default
    if forced == Kernel.AUTO:
        if isinstance(node.rule, OneToOne):
            return Kernel.ONE_TO_ONE
        costs = coupling_costs(node, options)
        return min(costs, key=costs.get)
    if forced not in COUPLING_KERNELS or (forced == Kernel.ONE_TO_ONE
                                          and not isinstance(node.rule, OneToOne)):
        raise ModelError(f"projection '{node.name}' sums continuously, which the kernels"
                         f" {', '.join(COUPLING_KERNELS[:3])}, procedural (and one_to_one for"
                         f" one_to_one connections) run, not '{forced}'", node.loc)
    if forced == Kernel.PROCEDURAL and not (
            node.terms and isinstance(node.weight, float)
            and isinstance(node.rule, (FixedProb, FixedFanOut))):
        raise ModelError(f"projection '{node.name}' cannot sum with the procedural kernel",
                         node.loc, "it needs fixed_prob or fixed_fan_out connections, one weight"
                         " for all synapses and a summand that factors (the factorize pass)")
    return forced


def _with_kernel(node: Coupling, options: KernelOptions) -> Coupling:
    kernel = choose_coupling_kernel(node, options)
    native = native_sums(node, options) and (
        kernel == Kernel.CSR or (kernel == Kernel.DENSE
                                 and node.pre.size >= NATIVE_DENSE_PRE))
    return node.replace(kernel=kernel, native=native, cost_device=options.device,
                        costs=tuple((k, round(v, 2))
                                    for k, v in coupling_costs(node, options).items()))


@register_pass("kernels", KernelOptions)
def kernels(model: Model, options: KernelOptions) -> Model:
    clock = model.get("clock")
    dt = clock.dt if isinstance(clock, Clock) else 0.1
    chosen = [p.replace(kernel=choose_kernel(p, options, dt), cost_device=options.device,
                        costs=tuple((k, round(v, 2))
                                    for k, v in predicted_costs(p, options, dt).items()))
              if p.plasticity is None else  # one kernel only: nothing to compare
              p.replace(kernel=choose_kernel(p, options, dt), costs=(), cost_device="")
              for p in model.find(Projection)]
    chosen += [_with_kernel(c, options) for c in model.find(Coupling)]
    return model.replace(*chosen) if chosen else model
