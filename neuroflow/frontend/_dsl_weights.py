"""The `weights:` of a projection: a value, or an expression computed for each synapse.

    weights: normal(0.5*mV, 0.1*mV)                        # a value, as any other
    weights: J0*exp(-((x_pre - x_post)/a)**2)              # one value per synapse

A value (a number, a quantity, a random draw, an array, `load(...)`) is evaluated here.  An
expression that reads `i` and `j` (the synapse's pre and post indices in their slices),
`N_pre` and `N_post` (the slices' sizes) or the neurons' parameters and initial values as
`x_pre` and `y_post` goes to the builder as parsed text, which computes it for each synapse
when the connectivity is drawn.  Either may use the parameters of the projection's synapse
(`J0`, `a`), which are constants there.
"""
from __future__ import annotations

from .. import ir
from ..ir import Quantity, did_you_mean, get_unit
from . import _ast as ast
from ._arguments import Parsed, to_internal
from ._dsl_compose import Flat
from ._dsl_errors import Errors
from ._dsl_summed import suffix_of
from ._dsl_values import Values

PER_SYNAPSE = ("i", "j", "N_pre", "N_post")
_READS = ("weights per synapse read i, j, N_pre, N_post, the neurons' parameters and initial"
          " values as x_pre and y_post, units and the synapse's parameters")


def per_synapse(value: ast.Value) -> bool:
    """Whether `value` is an expression that differs between synapses."""
    return isinstance(value, ast.Code) and any(use.text in PER_SYNAPSE or suffix_of(use.text)
                                               for use in value.uses)


class Weights:
    """The weights of one projection from the neurons `pre` onto the neurons `post`;
    `params` are the values of its synapse's parameters."""

    def __init__(self, pre: Flat, post: Flat, params: dict[str, Quantity], errors: Errors):
        self.sides = {ir.PRE: pre, ir.POST: post}
        self.params = params
        self.errors = errors

    def value(self, value: ast.Value, values: Values):
        """Weights as the builder takes them; None after reporting an error."""
        if per_synapse(value):
            return self._expression(value)
        values.lookup = self.params.get
        with self.errors.collect(value.loc):
            return values.evaluate(value)
        return None

    def _expression(self, code: ast.Code) -> Parsed | None:
        before = self.errors.count
        mapping: dict[str, ir.Expr] = {}
        for use in code.uses:
            found = self._name(use)
            if found is not None:
                mapping[use.text] = found
        if self.errors.count != before:
            return None
        return Parsed(ir.substitute(code.expr, mapping), code.loc)

    def _name(self, use: ast.Name) -> ir.Expr | None:
        """What `use` stands for in the IR (None: itself); errors reported."""
        name = use.text
        if name in PER_SYNAPSE or (get_unit(name) is not None and name not in self.params):
            return None
        if name in self.params:
            number, dim = to_internal(self.params[name], f"parameter '{name}'")
            return ir.Const(number, dim)
        suffix = suffix_of(name)
        if suffix is None:
            self.errors.report(f"unknown name '{name}' in the weights", use.loc,
                               did_you_mean(name, set(self.params) | set(PER_SYNAPSE)) or _READS)
            return None
        flat, stem = self.sides[suffix], name[:-len(suffix)]
        final = flat.scope.member(stem)
        side = "pre" if suffix == ir.PRE else "post"
        kind = flat.kinds.get(final)
        if kind not in ("parameter", "state"):
            names = sorted(n for n in flat.scope.members()
                           if flat.kinds.get(flat.scope.member(n)) in ("parameter", "state"))
            message = (f"the weights read '{name}', a subexpression of {flat.scope.describe()}"
                       if kind == "subexpression" else f"unknown name '{name}' in the weights:"
                       f" the {side} neuron ({flat.scope.describe()}) has no '{stem}'")
            self.errors.report(message, use.loc, (None if kind else did_you_mean(stem, names))
                               or f"{_READS}; {side} names: {', '.join(names) or 'none'}")
            return None
        return None if final == stem else ir.Ref(final + suffix)
