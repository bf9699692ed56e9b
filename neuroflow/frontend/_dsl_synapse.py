"""A projection's synapse model, from a `synapse` block to the builder's plastic projection.

    synapse STDP {
        parameters { taupre = 20*ms; Apre = 0.01; ... }
        equations  { w : 1; dapre/dt = -apre/taupre : 1 (event-driven) ... }
        on_pre     { ge += w; apre += Apre; w = clip(w + apost, 0, wmax) }
        on_post    { apost += Apost; w = clip(w + apre, 0, wmax) }
    }
    projection In -> P { synapse: STDP(wmax = 0.01); initial { w = uniform(0, 0.01) } }

The synapse's names are its own (no prefixes): its parameters become the projection's `params`, its
equation lines its `model`, its initial values (the synapse's, then the overrides, then the
projection's `initial`) its `init`.  A statement's target that the synapse does not declare is a
variable of the post neuron (`ge`, or `exc.g` for a part's), which the synapse adds to; names are
checked here, with their locations, before the builder sees them.

A synapse whose equations have summed lines (`Igap_post = w*(v_pre - v_post) : 1 (summed)`)
couples the neurons continuously instead, its summed lines checked by `SummedLines`.  It has no
`on_post`, and an `on_pre` only to change its clock-driven variables (NMDA gating, one copy per
pre neuron):

    synapse NMDA {
        equations {
            w : 1
            ds/dt = -s/tau_decay + alpha*x*(1 - s) : 1 (clock-driven)
            dx/dt = -x/tau_rise : 1 (clock-driven)
            g_post = w*s : 1 (summed)
        }
        on_pre { x += 1 }
    }
"""
from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace

from .. import ir
from ..ir import Loc, ModelError, Random, did_you_mean
from . import _ast as ast
from ._arguments import Parsed
from ._coupling import is_clock_driven, is_summed
from ._dsl_compose import Composer, Flat, known_to_ir
from ._dsl_errors import Errors, Failed
from ._dsl_summed import SummedLines
from ._dsl_values import Lazy, Values, check_unit


@dataclass
class SynapseArgs:
    """What `Network.projection` takes for a plastic projection, or for a continuous one (a
    model with summed lines, and an `on_pre` only for clock-driven variables)."""

    on_pre: Parsed | None
    model: tuple
    on_post: Parsed | None
    params: dict
    init: dict


class SynapseModel:
    """One use of a synapse component by a projection from the neurons `pre` onto the neurons
    `post` (both None for a library's synapse)."""

    def __init__(self, component: ast.Component, post: Flat | None, errors: Errors, values: Values,
                 pre: Flat | None = None):
        self.component = component
        self.post = post
        self.errors = errors
        self.values = values
        self.params = {p.name.text: p for p in component.parameters}
        self.variables = {e.line.name: e for e in component.equations}
        self.clock = {e.line.name for e in component.equations if is_clock_driven(e.line)}
        self.what = f"synapse '{component.name.text}'"
        self.summed = SummedLines(set(self.params) | set(self.variables), pre, post, errors,
                                  self.what)

    def build(self, use: ast.SynapseUse, initial: tuple[ast.Assignment, ...]) -> SynapseArgs | None:
        before = self.errors.count
        self._declarations()
        defaults = {name: (p.default, p.loc) for name, p in self.params.items()}
        own = self._settable(self.component.initial, "an initial value")
        starts: dict[str, tuple[ast.Value, Loc]] = {a.target.text: (a.value, a.loc) for a in own}
        for assignment in use.overrides:
            name = assignment.target.text
            if name in self.params:
                defaults[name] = (assignment.value, assignment.loc)
            elif self._settable((assignment,), "an override"):
                starts[name] = (assignment.value, assignment.loc)
        for assignment in self._settable(initial, "an initial value"):
            starts[assignment.target.text] = (assignment.value, assignment.loc)
        params = self._parameters(defaults)
        init = {}
        for name, (value, loc) in starts.items():
            with self.errors.collect(loc), suppress(Failed):
                init[name] = self.values.evaluate(value)
        lines = self._lines()
        continuous = self._continuous()
        on_pre = on_post = ()
        if not continuous:
            on_pre = self._statements(self.component.on_pre or (), "on_pre")
            on_post = self._statements(self.component.on_post or (), "on_post")
        elif self.clock:
            on_pre = self._clock_statements(self.component.on_pre or ())
        if self.component.on_pre is None and not continuous:
            self.errors.report(f"{self.what} has no 'on_pre'", self.component.name.loc,
                               "say what a spike does, on_pre { ge += w }, or couple the neurons"
                               " continuously: I_post = w*(v_pre - v_post) : 1 (summed)")
        if self.errors.count != before:
            return None
        first = self.component.on_pre[0].loc if self.component.on_pre else self.component.loc
        if continuous:  # the builder makes a coupling of each summed line
            return SynapseArgs(Parsed(on_pre, first) if on_pre else None, lines, None, params,
                               init)
        post_loc = self.component.on_post[0].loc if self.component.on_post else None
        return SynapseArgs(Parsed(on_pre, first), lines,
                           Parsed(on_post, post_loc) if on_post else None, params, init)

    def check(self) -> None:
        """The checks that need no projection (for a library): declarations, names, parameter
        values.  The targets of statements on the post neuron are checked where it is used."""
        self._declarations()
        self._parameters({name: (p.default, p.loc) for name, p in self.params.items()
                          if p.default is not None})
        self._lines()
        if self._continuous():
            if self.clock:
                self._clock_statements(self.component.on_pre or ())
            return
        for statement in (self.component.on_pre or ()) + (self.component.on_post or ()):
            self._check_uses(statement.value.uses)

    def _lines(self) -> tuple:
        """The equation lines, their names checked; a summed line's parts' names made final."""
        lines = []
        summed = any(is_summed(e.line) for e in self.component.equations)
        for equation in self.component.equations:
            if is_summed(equation.line):
                lines.append(self.summed.line(equation))
            elif is_clock_driven(equation.line):
                if not summed:
                    self.errors.report(f"'{equation.line.name}' of {self.what} is (clock-driven),"
                                       " which only a synapse with summed variables can have",
                                       equation.loc, "a synapse variable that changes between"
                                       " spikes is one copy per pre neuron, read by a summed line"
                                       " (g_post = w*s : 1 (summed)); here write (event-driven)")
                expr = self.summed.pre_side(equation.uses, equation.line.expr, self.clock,
                                            set(self.params))
                lines.append(replace(equation.line, expr=expr))
            else:
                self._check_uses(equation.uses)
                lines.append(equation.line)
        return tuple(lines)

    def _continuous(self) -> bool:
        """Whether the synapse has summed lines; with an on_post, or an on_pre and no
        clock-driven variable for it to change, reported."""
        summed = [e for e in self.component.equations if is_summed(e.line)]
        if not summed:
            return False
        events = (() if self.clock else self.component.on_pre or ()) + (self.component.on_post
                                                                         or ())
        if events:
            kind = "an on_post" if self.component.on_post else "an on_pre"
            self.errors.report(f"{self.what} has summed variables ('{summed[0].line.name}',"
                               f" line {summed[0].loc.line}) and {kind}", events[0].loc,
                               "a summed variable couples the neurons at every step, without"
                               " spikes: write two synapses, one with the summed lines and one"
                               " with on_pre, and use them in two projections (an on_pre may"
                               " only change (clock-driven) variables of the synapse)")
        return True

    # -- names ------------------------------------------------------------------------------------
    def _declarations(self) -> None:
        seen: set[str] = set()
        summed = {e.line.name for e in self.component.equations if is_summed(e.line)}
        for name in [p.name for p in self.component.parameters] + [
                ast.Name(e.line.name, e.loc) for e in self.component.equations]:
            if name.text in seen:
                self.errors.report(f"'{name.text}' is declared twice in {self.what}", name.loc,
                                   "write one summed line per target, with the terms added up"
                                   if name.text in summed else "rename one of them")
            seen.add(name.text)

    def _settable(self, assignments, what: str) -> list[ast.Assignment]:
        """The assignments that set a variable of the synapse; the others are reported."""
        good = []
        for assignment in assignments:
            name = assignment.target.text
            if name in self.variables:
                good.append(assignment)
            elif name in self.params:
                self.errors.report(f"'{name}' is a parameter of {self.what}, not a variable",
                                   assignment.target.loc, "give it a value in 'parameters' or as an"
                                   f" override: synapse: {self.component.name.text}({name} = ...)")
            else:
                self.errors.report(f"{self.what} has no parameter or variable '{name}' for {what}",
                                   assignment.target.loc,
                                   did_you_mean(name, set(self.params) | set(self.variables))
                                   or "its variables:"
                                   f" {', '.join(sorted(self.variables)) or 'none'}")
        return good

    def _post_variable(self, name: str) -> str | None:
        """The final name of a variable of the post neuron (`ge`, `exc.g` -> `exc_g`)."""
        if self.post is None:
            return None
        final = self.post.scope.member(name)
        return final if self.post.kinds.get(final) == "state" else None

    def _check_uses(self, uses) -> None:
        """Report the names of `uses` that are neither the synapse's, nor the neurons' (`v_pre`,
        `v_post`, or a bare variable of the post neuron, as in Brian2), nor built in (units,
        functions, t, dt …); the builder checks the neurons' names against the populations."""
        for use in uses:
            if use.text in self.params or use.text in self.variables:
                continue
            if use.text.endswith((ir.PRE, ir.POST)) and "." not in use.text:
                continue
            if self._post_variable(use.text) is not None:
                continue
            if "." in use.text or not known_to_ir(use.text):
                hint = did_you_mean(use.text, set(self.params) | set(self.variables))
                if hint is None and self._post_variable(use.text) is not None:
                    hint = (f"'{use.text}' is a variable of the post neuron: a synapse adds to it"
                            f" ('{use.text} += w') but cannot read it")
                self.errors.report(f"unknown name '{use.text}' in {self.what}", use.loc,
                                   hint or f"declare '{use.text}' in the synapse's 'parameters' or"
                                   " 'equations'")

    def _clock_statements(self, statements) -> tuple[ir.Statement, ...]:
        """The on_pre of a synapse with summed variables: it changes clock-driven variables."""
        body = []
        for statement in statements:
            target = statement.target.text
            expr = self.summed.pre_side(statement.value.uses, statement.value.expr, self.clock,
                                        set(self.params))
            if target not in self.clock:
                self.errors.report(f"the on_pre of {self.what} writes '{target}', which is not one"
                                   " of its clock-driven variables", statement.target.loc,
                                   f"with summed variables, on_pre changes {', '.join(self.clock)}"
                                   " at a spike; send spikes to the post neurons in a projection"
                                   " of their own")
                continue
            body.append(ir.Statement(target, statement.op, expr))
        return tuple(body)

    def _statements(self, statements, what: str) -> tuple[ir.Statement, ...]:
        body = []
        for statement in statements:
            target = statement.target.text
            self._check_uses(statement.value.uses)
            if target.endswith(ir.POST) and target not in self.variables:
                target = target[:-len(ir.POST)]  # `ge_post += w` is `ge += w`
            if target in self.variables:
                final = target
            else:
                final = self._post_variable(target) if what == "on_pre" else None
                if final is None:
                    self._bad_target(statement, what)
                    continue
            post = {use.text: ir.Ref(self._post_variable(use.text) + ir.POST)
                    for use in statement.value.uses if use.text not in self.variables
                    and use.text not in self.params and self._post_variable(use.text)}
            body.append(ir.Statement(final, statement.op,
                                     ir.substitute(statement.value.expr, post)))
        return tuple(body)

    def _bad_target(self, statement: ast.EventStatement, what: str) -> None:
        target = statement.target.text
        own = sorted(n for n, e in self.variables.items() if e.line.kind != "sub")
        if what == "on_post":
            message = (f"the on_post of {self.what} writes '{target}', which is not a variable of"
                       " the synapse")
            hint = did_you_mean(target, own) or ("on_post changes synapse variables only; a post"
                                                 " neuron's own variables change in its reset")
        else:
            post = sorted(n for n in self.post.scope.members() if self._post_variable(n))
            message = (f"the on_pre of {self.what} writes '{target}', which is neither a variable"
                       f" of the synapse nor of {self.post.scope.describe()}")
            hint = did_you_mean(target, own + post, "variables")
        self.errors.report(message, statement.target.loc, hint)

    # -- values -----------------------------------------------------------------------------------
    def _parameters(self, defaults: dict) -> dict:
        lazy = Lazy(self.errors, lambda name: self._parameter(name, *defaults[name]))

        def lookup(name: str):
            if name in self.variables:
                raise ModelError(f"'{name}' is a variable of {self.what}; a value can only use"
                                 " parameters and units")
            if name not in self.params:
                return None
            if name not in defaults:  # a library's synapse: the value comes where it is used
                raise Failed()
            return lazy.get(name, defaults[name][1])

        self.values.lookup = lookup
        for name in self.params:
            with suppress(Failed):
                lookup(name)
        return {name: lazy.done[name] for name in self.params if name in lazy.done}

    def _parameter(self, name: str, value: ast.Value | None, loc: Loc):
        if value is None:
            raise ModelError(f"parameter '{name}' of {self.what} has no value", loc,
                             "give it a default in 'parameters' or an override where the"
                             f" synapse is used: synapse: {self.component.name.text}({name} = ...)")
        result = self.values.evaluate(value)
        if isinstance(result, Random) or getattr(result.internal(), "ndim", 0):
            raise ModelError(f"parameter '{name}' of {self.what} is one value shared by all"
                             " synapses", loc, "per-synapse values are variables: declare it in"
                             " 'equations' ('x : 1') and give it an initial value")
        declared, default = self.params[name].dim, self.params[name].default
        overridden = declared is None and default is not None and value is not default
        check_unit(f"parameter '{name}'", result, declared,
                   self.values.evaluate(default) if overridden else None, loc)
        return result


def synapse_of(composer: Composer, use: ast.SynapseUse) -> ast.Component | None:
    """The synapse component a projection names; None after reporting why it cannot be used."""
    component = composer.components.get(use.component.text)
    if component is None:
        synapses = {n for n, c in composer.components.items() if c.kind == "synapse"}
        composer.errors.report(f"unknown synapse '{use.component.text}'", use.component.loc,
                               did_you_mean(use.component.text, synapses) or "define it in this"
                               " file or import the file that defines it (the standard library's"
                               " 'plasticity.nfl' has STDP and TsodyksMarkram)")
        return None
    if component.kind != "synapse":
        composer.errors.report(f"'{use.component.text}' is a {component.kind}; a projection's"
                               " 'synapse:' names a synapse", use.component.loc,
                               "define one with 'synapse Name { ... on_pre { ... } }'")
        return None
    return component
