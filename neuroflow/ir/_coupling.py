"""Continuous coupling: Brian2's summed variables.

A `Coupling` sets a variable of each post neuron, every step, to the sum over its incoming synapses
of an expression (the summand) of the synapse's weight `w` and of the pre and post neurons' names,
written with the suffixes `_pre` and `_post`: `I_post = w*tanh(x_pre) : 1 (summed)` is
`Coupling(target="I", summand=w*tanh(x_pre))`, a gap junction `w*(v_pre - v_post)`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._expr import Expr, names, to_text
from ._kinds import Kernel
from ._nodes import value_text
from ._projections import Connection, costs_text

PRE, POST = "_pre", "_post"


def side_names(expr: Expr, suffix: str) -> set[str]:
    """The neuron names `expr` reads on one side: `{"x"}` for `tanh(x_pre)` and `_pre`."""
    return {n[:-len(suffix)] for n in names(expr) if n.endswith(suffix) and len(n) > len(suffix)}


@dataclass(frozen=True, slots=True)
class CouplingTerm:
    """`post * Σ_pre s * pre`, one term of a summand in factorized form: `post` reads only post
    names, `pre` only pre names, and each synapse counts its weight (`weighted`) or 1."""

    post: Expr
    weighted: bool
    pre: Expr

    def text(self) -> str:
        return f"{{{to_text(self.post)}}} {'w' if self.weighted else '1'} {{{to_text(self.pre)}}}"


@dataclass(frozen=True, slots=True)
class Coupling(Connection):
    """Continuous synapses: each step, before the state updates, the post neurons' `target`
    becomes the sum of `summand` over their synapses (several couplings onto one target add
    up).  `terms`, set by the `factorize` pass when the summand allows it, say how to compute
    the sum as products of per-neuron vectors and the weight matrix; without them the summand
    is evaluated once per synapse.  `native`, set by the `kernels` pass, says that the kernel
    sums the terms with native CPU code (the C++ row sums of `csr` and `dense`; for `dense` the
    matrix is then stored one row per post neuron)."""

    target: str
    summand: Expr
    kernel: Kernel = Kernel.AUTO
    costs: tuple[tuple[str, float], ...] = ()
    terms: tuple[CouplingTerm, ...] = ()
    native: bool = False

    def reads(self) -> set[str]:
        pre, post = self.pre.population, self.post.population
        return ({f"{pre}.{n}" for n in side_names(self.summand, PRE)}
                | {f"{post}.{n}" for n in side_names(self.summand, POST)})

    def writes(self) -> set[str]:
        return {f"{self.post.population}.{self.target}"}

    def text(self) -> str:
        terms = f" terms=[{', '.join(t.text() for t in self.terms)}]" if self.terms else ""
        return (f"coupling {self.name} : {self.pre.text()} -> {self.post.text()}"
                f" connect={self.rule.text()} w:{self.weight_type.text()}="
                f"{value_text(self.weight)} summed {self.target} ="
                f" {{{to_text(self.summand)}}}{terms} kernel={self.kernel}"
                f"{' native' if self.native else ''}"
                f"{costs_text(self.costs, self.cost_device)}")
