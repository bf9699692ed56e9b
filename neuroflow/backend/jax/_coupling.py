"""Coupling kernels: the sums of summed variables, every step, over each post neuron's synapses.

A factorized coupling (`terms`, from the `factorize` pass) stacks the pre factors of its terms
into a matrix of shape [terms, pre] and sums them all in one product with the weights (or with
the synapse counts, for terms without `w`): `tanh(x_pre)` is computed once per pre neuron.  A
summand that does not factor is evaluated once per synapse: on the [pre, post] grid (`dense`),
or on gathered values (`csr`, `ell`); with the native kernels, `csr` sums the factorized
terms as one C++ row sum per post neuron (`native/coupling.cc`, not differentiable: the step
of a trained model keeps the JAX path).  As for projections, `build` runs in numpy at
initialisation and the connectivity enters the step as arrays; `procedural` stores none and
regenerates it every step.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...ir import ONE, POST, PRE, Coupling, Kernel, NeuroflowError, PopSlice
from . import _native_kernels
from ._device import to_device
from ._expr import evaluate
from ._kernels import EllLayout, OneToOne
from ._procedural import Procedural


class SummandNames:
    """The names of a coupling's summand, for `evaluate`: `w`, the pre and post neurons' names
    (`x_pre`, `v_post`) taken from their populations' environments, restricted to the coupling's
    slices and then indexed per synapse (`pre_index`, `post_index`) or laid out on the [pre, post]
    grid (`grid`); anything else (`t`, `dt`) from the post population."""

    def __init__(self, node: Coupling, pre_env, post_env, w=None, pre_index=None, post_index=None,
                 grid: bool = False):
        self.node, self.w, self.grid = node, w, grid
        self.sides = ((PRE, pre_env, node.pre, pre_index), (POST, post_env, node.post, post_index))
        self.dtype = post_env.dtype

    def lookup(self, name: str):
        if name == "w":
            return self.w
        for suffix, env, view, index in self.sides:
            if name.endswith(suffix):
                value = _restricted(env.lookup(name[:-len(suffix)]), view)
                if index is not None:
                    return value[index]
                if self.grid:
                    return value[:, None] if suffix == PRE else value[None, :]
                return value
        return self.sides[1][1].lookup(name)

    def random(self, kind: str):
        raise NeuroflowError(f"coupling '{self.node.name}': {kind}() in a summed variable is not"
                             " supported", hint="add the noise in the post neuron's equations")

    def delayed(self, name: str, time):
        raise NeuroflowError(f"coupling '{self.node.name}' reads '{name}' in the past, which"
                             " summed variables do not support")


def _restricted(value, view: PopSlice):
    """A population's value (per neuron, or shared) on the neurons of `view`."""
    if jnp.ndim(value) == 0:
        return jnp.broadcast_to(value, (view.size,))
    return value[view.start:view.stop]


FEW_PRE = 8
"""A dense coupling from at most this many pre neurons (the pools of a decision network) sums as
elementwise products that XLA fuses with what reads them: a mat-vec this small is all call."""


def _counts_needed(node: Coupling) -> bool:
    return not node.terms or any(not t.weighted for t in node.terms)


class DenseCoupling:
    """The weights as a [pre, post] matrix: one matrix product for all terms.  For the native
    kernel (`node.native`) the matrices are stored transposed, [post, pre] (`weights_t`,
    `counts_t`): one contiguous row per post neuron."""

    def build(self, node: Coupling, pre, post, weight, dtype) -> dict:
        weights = np.zeros((node.pre.size, node.post.size))
        np.add.at(weights, (pre, post), weight)
        suffix = "_t" if node.native else ""
        layout = np.transpose if node.native else np.asarray
        arrays = {f"weights{suffix}": to_device(layout(weights), dtype)}
        if _counts_needed(node):
            counts = np.zeros((node.pre.size, node.post.size))
            np.add.at(counts, (pre, post), 1.0)
            arrays[f"counts{suffix}"] = to_device(layout(counts), dtype)
        return arrays

    def native_columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        """`columns` by the C++ kernel, where the matrices are transposed and it builds."""
        name = "weights_t" if weighted else "counts_t"
        if name in arrays and vectors.dtype == arrays[name].dtype:
            sums = _native_kernels.dense_sum(vectors, arrays[name])
            if sums is not None:
                return sums
        return self.columns(arrays, node, vectors, weighted)

    def columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        name = "weights" if weighted else "counts"
        if f"{name}_t" in arrays:  # laid out for the native kernel
            return vectors @ arrays[f"{name}_t"].T
        matrix = arrays[name]
        if matrix.shape[0] <= FEW_PRE:  # products and sums XLA fuses: no mat-vec call, no copy
            return jnp.sum(vectors[:, :, None] * matrix[None], axis=1)
        return vectors @ matrix

    def per_synapse(self, arrays: dict, node: Coupling, names) -> jax.Array:
        # one synapse per (pre, post) pair at most, as the connectivity rules draw them
        values = evaluate(node.summand, names(w=arrays["weights"], grid=True))
        values = jnp.broadcast_to(values, arrays["counts"].shape)
        return jnp.sum(jnp.where(arrays["counts"] > 0, values, 0), axis=0)


class CsrCoupling:
    """One gather per synapse (sorted by post neuron) and a sorted segment sum."""

    def build(self, node: Coupling, pre, post, weight, dtype) -> dict:
        order = np.argsort(post, kind="stable")
        indptr = np.searchsorted(np.asarray(post)[order], np.arange(node.post.size + 1))
        return {"pre": to_device(pre[order].astype(np.int32)),
                "post": to_device(post[order].astype(np.int32)),
                "indptr": to_device(indptr.astype(np.int32)),
                "weights": to_device(np.asarray(weight, float)[order], dtype)}

    def native_columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        """`columns` by the C++ kernel (one row sum per post neuron), where it builds."""
        if vectors.dtype == arrays["weights"].dtype:
            weights = arrays["weights"] if weighted else jnp.ones((), vectors.dtype)
            sums = _native_kernels.csr_sum(vectors, arrays["indptr"], arrays["pre"], weights)
            if sums is not None:
                return sums
        return self.columns(arrays, node, vectors, weighted)

    def columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        gathered = vectors[:, arrays["pre"]]
        if weighted:
            gathered = gathered * arrays["weights"]
        return self._sum(gathered.T, arrays, node).T

    def per_synapse(self, arrays: dict, node: Coupling, names) -> jax.Array:
        values = evaluate(node.summand, names(w=arrays["weights"], pre_index=arrays["pre"],
                                              post_index=arrays["post"]))
        return self._sum(jnp.broadcast_to(values, arrays["pre"].shape), arrays, node)

    @staticmethod
    def _sum(values, arrays: dict, node: Coupling):
        return jax.ops.segment_sum(values, arrays["post"], node.post.size, indices_are_sorted=True)


class EllCoupling:
    """The synapses of each post neuron in one row of a `[post, width]` table of pre indices and
    weights, padded with a pre neuron whose factors are 0: a gather and a sum along each row,
    no scatter (what XLA does best on CPUs, and on accelerators when fan-ins are even)."""

    def build(self, node: Coupling, pre, post, weight, dtype) -> dict:
        layout = EllLayout(np.asarray(post), node.post.size)
        arrays = {"pre": to_device(layout(pre, node.pre.size, np.int32)[:node.post.size]),
                  "weights": to_device(layout(weight, 0.0, float)[:node.post.size], dtype)}
        if _counts_needed(node):
            arrays["counts"] = to_device(layout(np.ones(len(pre)), 0.0, float)[:node.post.size],
                                         dtype)
        return arrays

    def columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        padded = jnp.pad(vectors, ((0, 0), (0, 1)))  # pre index n_pre: the padding
        return jnp.sum(padded[:, arrays["pre"]] * arrays["weights" if weighted else "counts"],
                       axis=2)

    def per_synapse(self, arrays: dict, node: Coupling, names) -> jax.Array:
        post = jnp.arange(node.post.size)[:, None]
        pre = jnp.minimum(arrays["pre"], node.pre.size - 1)  # padding reads a real neuron...
        values = evaluate(node.summand, names(w=arrays["weights"], pre_index=pre,
                                              post_index=post))
        used = arrays["counts"] > 0  # ...and counts for nothing
        return jnp.sum(jnp.where(used, jnp.broadcast_to(values, used.shape), 0), axis=1)


class ProceduralCoupling:
    """Connectivity regenerated every step from the seed (the `procedural` kernel of
    projections, every pre row each step): O(N) memory, for networks whose synapses do not fit;
    one shared weight, fixed_prob or fixed_fan_out, and a summand that factorizes."""

    generates_synapses = True

    def build(self, node: Coupling, pre, post, weight, dtype, seed: int = 0,
              index: int = 0) -> dict:
        if not node.terms:
            raise NeuroflowError(f"coupling '{node.name}': the procedural kernel needs a summand"
                                 " that factorizes", hint="run the 'factorize' pass, or use"
                                 " kernel='csr' or 'dense'")
        return PROCEDURAL.build(node, None, None, None, dtype, seed=seed, index=index)

    def columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        weight = arrays["weight"] if weighted else jnp.ones((), vectors.dtype)
        return jnp.stack([PROCEDURAL.sum_rows(arrays, node, v, weight) for v in vectors])


class OneToOneCoupling:
    """Pre neuron i onto post neuron i: elementwise, no indices."""

    build = OneToOne.build  # the weights in the neurons' order, as for spikes

    def columns(self, arrays: dict, node: Coupling, vectors, weighted: bool):
        return vectors * arrays["weights"] if weighted else vectors

    def per_synapse(self, arrays: dict, node: Coupling, names) -> jax.Array:
        values = evaluate(node.summand, names(w=arrays["weights"]))
        return jnp.broadcast_to(values, (node.post.size,))


PROCEDURAL = Procedural()
COUPLING_KERNELS = {Kernel.DENSE: DenseCoupling(), Kernel.CSR: CsrCoupling(),
                    Kernel.ELL: EllCoupling(), Kernel.ONE_TO_ONE: OneToOneCoupling(),
                    Kernel.PROCEDURAL: ProceduralCoupling()}


def coupling_sum(node: Coupling, arrays: dict, pre_env, post_env,
                 native: bool = False) -> jax.Array:
    """The sum of `node`'s summand for each neuron of its post slice; `native` lets kernels
    that have one use their C++ version (not differentiable)."""
    kernel = COUPLING_KERNELS[node.kernel]

    def names(**layout) -> SummandNames:
        return SummandNames(node, pre_env, post_env, **layout)

    if not node.terms:
        return kernel.per_synapse(arrays, node, names)
    columns = getattr(kernel, "native_columns", kernel.columns) if native else kernel.columns
    total, factors = None, names()
    for weighted in (True, False):
        terms = [t for t in node.terms if t.weighted == weighted]
        if not terms:
            continue
        vectors = jnp.stack([jnp.broadcast_to(evaluate(t.pre, factors), (node.pre.size,))
                             for t in terms]).astype(post_env.dtype)
        for term, column in zip(terms, columns(arrays, node, vectors, weighted)):
            if term.post != ONE:  # `{1} w {tanh(x_pre)}`: the column is the sum
                column = evaluate(term.post, factors) * column
            total = column if total is None else total + column
    return total
