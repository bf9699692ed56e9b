"""Gradients through spikes: surrogate slopes for thresholds, and kernels whose fast forward
pass has the gradient of a differentiable twin.

A program lowered with `SpikeGradients` carries spikes as numbers (0 or 1) next to the usual
booleans: a threshold's spike is a step of its margin `x` whose derivative is the slope of the
population's surrogate `G(x)` (or, with `smooth`, the spike is `G(x)` itself, so that gradients
can be checked against finite differences).  Projections and resets read those numbers, so that
gradients flow from a neuron's spikes into everything they drive.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp

from ... import ir
from ._expr import evaluate


@dataclass(frozen=True)
class SpikeGradients:
    """How a differentiable program treats spikes.

    `smooth`: a spike is `G(x)` itself instead of a step with G's slope; `detach_reset`: the
    reset of the variable that crosses the threshold (`v` in `v > Vt + a`) takes no gradient
    through the spike that triggers it, as snnTorch and Spyx detach the membrane's reset; other
    reset statements (an adaptation `a += 1`) keep theirs; `default`: the surrogate of
    thresholds that name none."""

    smooth: bool = False
    detach_reset: bool = True
    default: ir.Surrogate = field(default_factory=lambda: ir.surrogate("fast_sigmoid"))


# The margin of a threshold that reads integrated state is named in the step, so that a training
# step's backward pass can keep it and recompute the spikes and surrogate slopes from it
# (`STEP_RESIDUALS`), instead of keeping the state it came from.
MARGIN = "threshold_margin"
# What the backward pass of a step keeps: the margins and the outputs of matrix products;
# everything else, elementwise and cheap, is recomputed from them and the step's inputs.
STEP_RESIDUALS = jax.checkpoint_policies.save_from_both_policies(
    jax.checkpoint_policies.dots_with_no_batch_dims_saveable,
    jax.checkpoint_policies.save_only_these_names(MARGIN))


class _Margin:
    """The one name of a surrogate's smooth step: the threshold's margin."""

    def __init__(self, x):
        self.x, self.dtype = x, x.dtype

    def lookup(self, name: str):
        return self.x  # the verifier lets no other name into a surrogate

    def random(self, kind: str):
        raise ir.ModelError("a surrogate draws no random numbers")

    def delayed(self, name: str, time):
        raise ir.ModelError("a surrogate reads no past values")


def spike_function(surrogate: ir.Surrogate, strict: bool, smooth: bool) -> Callable:
    """`x -> spike` as a number: `x > 0` (`x >= 0` unless `strict`) with the slope of
    `surrogate`, or the smooth step itself."""

    if smooth:
        return lambda x: evaluate(surrogate.smooth, _Margin(x))
    # the slope as one expression: the backward pass keeps one array for it, where JAX's
    # derivative of the smooth step would keep each of its intermediate values
    slope = surrogate.slope

    @jax.custom_jvp
    def spike(x):
        return ((x > 0) if strict else (x >= 0)).astype(x.dtype)

    @spike.defjvp
    def _slope(primals, tangents):
        (x,), (dx,) = primals, tangents
        return spike(x), evaluate(slope, _Margin(x)) * dx

    return spike


def with_gradient_of(fast: Callable, differentiable: Callable) -> Callable:
    """`args -> fast(args)`, with the gradient of `differentiable(args)`, which computes the
    same values in a way JAX can reverse (an event kernel's loop, whose trip count is the spike
    count, cannot be; a masked pass over every synapse can).  `args` is a tuple; integer
    arrays in it get no gradient."""

    @jax.custom_vjp
    def apply(args):
        return fast(args)

    def forward(args):
        return fast(args), args

    def backward(args, cotangent):
        return jax.vjp(differentiable, args)[1](cotangent)

    apply.defvjp(forward, backward)
    return apply


def crossing(cond: ir.Expr) -> set[str]:
    """The names on the side of a threshold that rises through it: `v` in `v > Vt + a`, in
    `Vt < v`; the variables whose reset `detach_reset` detaches."""
    if not isinstance(cond, ir.Binary):
        return set()
    return ir.names(cond.left if cond.op in (">", ">=") else cond.right)


def blend(spikes, values, value, old, gradients: SpikeGradients, detach: bool):
    """`where(spikes, value, old)` (a reset) with the gradient of `old + values*(value - old)`
    for the spikes as numbers `values`, through them unless `detach`; with smooth spikes,
    that expression itself."""
    if gradients.smooth:
        through = jax.lax.stop_gradient(values) if detach else values
        return old + through * (value - old)
    hard = jnp.where(spikes, value, old)
    if detach:
        return hard
    soft = old + values * (value - old)
    return soft + jax.lax.stop_gradient(hard - soft)
