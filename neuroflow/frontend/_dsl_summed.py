"""The summed lines of a synapse (Brian2's summed variables), checked against the neurons a
projection connects before the builder turns them into couplings:

    synapse GapJunction {
        equations {
            w : 1
            Igap_post = w*(v_pre - v_post) : 1 (summed)
        }
    }

A summand reads the synapse's own names (`w`, parameters), the pre neuron's names with `_pre`
and the post neuron's with `_post` or bare, as in Brian2.  A bare name must be the post
neuron's and is written with `_post` here; a part's name is dotted (`exc.g_pre`) and gets its
final name (`exc_g_pre`).  A plain `x_pre` is left to the verifier, which checks it against
the population and reports it at the same place.
The target (`Igap` above) is a variable of the post neuron without an equation of its own, or
a name it does not declare, which the builder adds.

The synapse's clock-driven variables (`ds/dt = -s/tau + alpha*x*(1 - s) : 1 (clock-driven)`)
are one copy per pre neuron: their equations and the on_pre that changes them read only
themselves, the synapse's parameters, units, `t`, `dt` and the pre neuron's names (`x_pre`);
anything that differs between the synapses of one pre neuron is reported at its place.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..ir import did_you_mean
from . import _ast as ast
from ._dsl_compose import Flat, known_to_ir
from ._dsl_errors import Errors
from ._equations import EquationLine

SIDES = (ir.PRE, ir.POST)


def suffix_of(name: str) -> str | None:
    """`_pre` or `_post` when `name` is a neuron's name written with it (`v_pre`), else None."""
    return next((s for s in SIDES if name.endswith(s) and len(name) > len(s)), None)


class SummedLines:
    """The summed lines of one synapse used between the neurons `pre` and `post` (None for a
    library's synapse, whose neurons are only known where it is used)."""

    def __init__(self, own: set[str], pre: Flat | None, post: Flat | None, errors: Errors,
                 what: str):
        self.own = own
        self.sides = {ir.PRE: pre, ir.POST: post}
        self.errors = errors
        self.what = what

    def line(self, equation: ast.Equation) -> EquationLine:
        """The line as the builder takes it: bare post names written with `_post`, parts' names
        made final (`exc.g_pre` -> `exc_g_pre`); the errors found are reported."""
        self._target(equation)
        final = {}
        for use in equation.uses:
            name = self._final(use)
            if name is not None and name != use.text:
                final[use.text] = ir.Ref(name)
        line = equation.line
        return replace(line, expr=ir.substitute(line.expr, final)) if final else line

    def _final(self, use: ast.Name) -> str | None:
        """The name `use` stands for in the IR, or None when it is not a neuron's or not yet
        known."""
        if use.text in self.own:
            return None
        suffix = suffix_of(use.text)
        stem = use.text[:-len(suffix)] if suffix else use.text
        flat = self.sides[suffix or ir.POST]
        if flat is None or (suffix is not None and "." not in stem):
            return None
        final = flat.scope.member(stem)
        if final is not None:
            return final + (suffix or ir.POST)
        if suffix is None and "." not in stem and known_to_ir(stem):
            return None  # t, dt, i, a unit, a function's name
        side = "pre" if suffix == ir.PRE else "post"
        names = sorted(flat.scope.members())
        self.errors.report(f"unknown name '{use.text}' in the summed variable of {self.what}:"
                           f" the {side} neuron ({flat.scope.describe()}) has no '{stem}'",
                           use.loc, did_you_mean(stem, names) or "a summand reads w, the"
                           " synapse's parameters, the pre neuron's names as x_pre and the post"
                           f" neuron's as v_post or v; {side} names: {', '.join(names)}")
        return None

    def pre_side(self, uses, expr: ir.Expr, clock: set[str], params: set[str]) -> ir.Expr:
        """`expr` of the clock-driven variables `clock` (their equations, on_pre), pre names
        made final (`exc.g_pre` -> `exc_g_pre`); names that differ per synapse reported."""
        final = {}
        for use in uses:
            name = use.text
            if name in clock or name in params or name in ("t", "dt") or ir.get_unit(name):
                continue
            suffix = suffix_of(name)
            post = self.sides[ir.POST]
            if suffix == ir.PRE:
                found = self._pre_name(use)
                if found is not None and found != name:
                    final[name] = ir.Ref(found)
            elif (name in self.own or suffix == ir.POST or known_to_ir(name)
                  or (post is not None and post.scope.member(name) is not None)):
                self.errors.report(f"the clock-driven variables of {self.what} read '{name}',"
                                   " which differs between the synapses of one pre neuron",
                                   use.loc, "they are one copy per pre neuron: read only them,"
                                   " the synapse's parameters and the pre neuron's names (x_pre)")
            else:
                self.errors.report(f"unknown name '{name}' in {self.what}", use.loc,
                                   did_you_mean(name, clock | params) or "declare it in the"
                                   " synapse's 'parameters', or read the pre neuron's as x_pre")
        return ir.substitute(expr, final)

    def _pre_name(self, use: ast.Name) -> str | None:
        """The final name of the pre neuron's `x_pre`; None for a library's synapse."""
        pre, stem = self.sides[ir.PRE], use.text[:-len(ir.PRE)]
        if pre is None:
            return None
        final = pre.scope.member(stem)
        if final is None:
            names = sorted(pre.scope.members())
            self.errors.report(f"unknown name '{use.text}' in {self.what}: the pre neuron"
                               f" ({pre.scope.describe()}) has no '{stem}'", use.loc,
                               did_you_mean(stem, names, "pre names"))
            return None
        return final + ir.PRE

    def _target(self, equation: ast.Equation) -> None:
        """A target that the post neuron computes itself is reported here, at the line."""
        post, name = self.sides[ir.POST], equation.line.name
        if post is None or suffix_of(name) != ir.POST:
            return  # the builder says how a target is written
        target = name[:-len(ir.POST)]
        final = post.scope.member(target)
        kind = post.kinds.get(final)
        if kind is None:
            return
        where = post.scope.describe()
        if kind != "state":
            self.errors.report(f"{self.what} sums into '{target}', which is a {kind} of {where}",
                               equation.loc, "a summed variable is set by the synapses: declare"
                               f" it as '{target} : {equation.line.dim}' or not at all")
        elif any(line.kind == "ode" and line.name == final for line in post.lines):
            self.errors.report(f"{self.what} sums into '{target}', which has a differential"
                               f" equation in {where}", equation.loc, "a summed variable is set"
                               f" by the synapses every step: declare it as '{target} :"
                               f" {equation.line.dim}' and read it in the equations")
