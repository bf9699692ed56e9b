"""Composition: a neuron made of parts, flattened into the equations of one population.

    channel Leak { parameters { g = 0.3*mS/cm2; E = -54.4*mV }
                   equations { I = g*(E - v) : amp/meter**2 } }
    neuron HH    { parameters { C = 1*uF/cm2 }
                   equations { dv/dt = (L.I + ...)/C : volt }
                   L = Leak(g = 0.5*mS/cm2) }

Every name a part declares gets the part's name as a prefix: `L.I` is written `L_I` in the
IR (`soma.L.I` becomes `soma_L_I`).  A name a part uses without declaring it belongs to
the component the part is in (`v` above is HH's `v`).  Overrides set a part's parameters
or initial values.  Names are checked here, so every unknown name of a file is reported
in one go; units are checked later by the `resolve` pass, at the same locations.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import ir
from ..ir import (UNIT_NAMES, Dimension, Loc, ModelError, Surrogate, did_you_mean, get_unit,
                  transform)
from . import _ast as ast
from ._arguments import Parsed
from ._dsl_errors import Errors
from ._equations import EquationLine

RESERVED = frozenset(ir.BUILTINS)
_DECLARABLE_FLAGS = frozenset({"constant", "shared"})


def known_to_ir(name: str) -> bool:
    """Whether the IR knows `name` without a model: built-ins (t, dt, i …), noise (xi), units."""
    try:
        ir.infer(ir.Ref(name), lambda _: None)
    except ModelError:
        return False
    return True


class Scope:
    """The names of one component in one place of the composition, and their final names."""

    def __init__(self, component: ast.Component, prefix: str, parent: Scope | None):
        self.component = component
        self.prefix = prefix
        self.parent = parent
        self.names: dict[str, str] = {}  # declared here -> final name
        self.parts: dict[str, Scope] = {}

    def member(self, path: str) -> str | None:
        """The final name of `x`, `Na.x` or `soma.Na.x`, declared here or in a part."""
        head, dot, rest = path.partition(".")
        if not dot:
            return self.names.get(head)
        part = self.parts.get(head)
        return None if part is None else part.member(rest)

    def resolve(self, name: str) -> str | None:
        """The final name of a name used in this component: its own, a part's (dotted), or,
        for a part, a name of the component it is in."""
        found = self.member(name)
        if found is None and "." not in name and self.parent is not None:
            return self.parent.resolve(name)
        return found

    def rename(self, name: str) -> str:
        return self.resolve(name) or name

    def members(self) -> set[str]:
        found = set(self.names)
        for part_name, part in self.parts.items():
            found |= {f"{part_name}.{n}" for n in part.members()}
        return found

    def visible(self) -> set[str]:
        return self.members() | (self.parent.visible() if self.parent else set())

    def describe(self) -> str:
        return f"{self.component.kind} '{self.component.name.text}'"


@dataclass
class Entry:
    """Where a parameter or initial value comes from: the value as written, the scope its
    names belong to, the declared unit if any, and for an override the default it replaced
    (whose unit it must keep where none is declared)."""

    value: ast.Value | None
    scope: Scope
    loc: Loc
    dim: Dimension | None = None
    default: Entry | None = None


@dataclass
class Flat:
    """One population's neuron, flattened: what `Network.population` takes, values unevaluated."""

    scope: Scope
    lines: list[EquationLine] = field(default_factory=list)
    # final name -> parameter | state | subexpression
    kinds: dict[str, str] = field(default_factory=dict)
    dims: dict[str, Dimension] = field(default_factory=dict)  # units declared in equations
    params: dict[str, Entry] = field(default_factory=dict)
    initial: dict[str, Entry] = field(default_factory=dict)
    threshold: Parsed | None = None
    surrogate: Surrogate | None = None
    reset: Parsed | None = None
    refractory: tuple[ast.Code, Scope] | None = None
    method: str | None = None


class Composer:
    """Flattens neurons into populations; errors go to `errors`."""

    def __init__(self, components: dict[str, ast.Component], errors: Errors):
        self.components = components
        self.errors = errors

    def neuron(self, name: ast.Name, inputs: frozenset[str] = frozenset()) -> Flat | None:
        """The flattened neuron `name`; `inputs` are names that timed inputs provide."""
        component = self.lookup(name)
        if component is None:
            return None
        if component.kind != "neuron":
            hint = (f"a synapse is used by a projection: 'synapse: {name.text}()'"
                    if component.kind == "synapse"
                    else f"write a neuron that uses it: neuron N {{ x = {name.text}() }}")
            self.errors.report(f"'{name.text}' is a {component.kind}; a population is made of"
                               " neurons", name.loc, hint)
            return None
        flat = Flat(Scope(component, "", None))
        self._flatten(flat, flat.scope, (component.name.text,), inputs)
        return flat

    def lookup(self, name: ast.Name) -> ast.Component | None:
        component = self.components.get(name.text)
        if component is None:
            self.errors.report(f"unknown neuron or channel '{name.text}'", name.loc,
                               did_you_mean(name.text, self.components)
                               or "define it in this file or import the file that defines it")
        return component

    # -- one component in one place --------------------------------------------------------------
    def _flatten(self, flat: Flat, scope: Scope, stack: tuple[str, ...],
                 inputs: frozenset[str]) -> None:
        component = scope.component
        self._declare(flat, scope)
        first_line = len(flat.lines)
        for part in component.parts:
            self._part(flat, scope, part, stack)
        own = [self._equation(scope, eq, inputs) for eq in component.equations]
        flat.lines[first_line:first_line] = [line for line in own if line]
        for assignment in component.initial:
            self._initial(flat, scope, assignment)
        if scope.parent is None:
            self._events(flat, scope, inputs)
        else:
            self._no_events(scope)

    def _declare(self, flat: Flat, scope: Scope) -> None:
        component = scope.component
        for parameter in component.parameters:
            final = self._new_name(flat, scope, parameter.name)
            if final is not None:
                flat.kinds[final] = "parameter"
                flat.params[final] = Entry(parameter.default, scope, parameter.loc, parameter.dim)
        given = {p.name.text for p in component.parameters}
        for equation in component.equations:
            line = equation.line
            declared_parameter = line.kind == "param" and bool(line.flags & _DECLARABLE_FLAGS)
            if declared_parameter and line.name in given and line.name in scope.names:
                # `I : volt (constant)` in the equations, its value in `parameters`
                final = scope.names[line.name]
                flat.params[final] = replace(flat.params[final], dim=line.dim)
                flat.dims[final] = line.dim
                continue
            final = self._new_name(flat, scope, ast.Name(line.name, equation.loc))
            if final is None:
                continue
            flat.dims[final] = line.dim
            if line.kind == "sub":
                flat.kinds[final] = "subexpression"
            elif declared_parameter:
                flat.kinds[final] = "parameter"
                flat.params[final] = Entry(None, scope, equation.loc, line.dim)
            else:
                flat.kinds[final] = "state"

    def _new_name(self, flat: Flat, scope: Scope, name: ast.Name) -> str | None:
        """Declare `name` in `scope`; its final name, or None after reporting why it cannot be."""
        final = scope.prefix + name.text
        if name.text in RESERVED:
            self.errors.report(f"'{name.text}' is a built-in name and cannot be declared", name.loc,
                               f"built-in names: {', '.join(sorted(RESERVED))}")
        elif name.text in scope.names:
            self.errors.report(f"'{name.text}' is declared twice in {scope.describe()}", name.loc,
                               "rename one of them")
        elif final in flat.kinds:
            self.errors.report(f"'{name.text}' of {scope.describe()} becomes '{final}', a name the"
                               " population already has", name.loc, "rename it, or rename the part")
        else:
            scope.names[name.text] = final
            return final
        return None

    def _part(self, flat: Flat, scope: Scope, part: ast.Part, stack: tuple[str, ...]) -> None:
        component = self.lookup(part.component)
        if component is None:
            return
        if component.kind == "synapse":
            self.errors.report(f"'{component.name.text}' is a synapse and cannot be a part",
                               part.loc, "a synapse is used by a projection: 'synapse: "
                               f"{component.name.text}()'; parts are channels")
            return
        if component.name.text in stack:
            cycle = " -> ".join(stack + (component.name.text,))
            self.errors.report(f"'{component.name.text}' contains itself: {cycle}", part.loc,
                               "a component cannot be a part of itself")
            return
        if part.name.text in scope.parts or part.name.text in scope.names:
            self.errors.report(f"'{part.name.text}' is declared twice in {scope.describe()}",
                               part.name.loc, "give each part its own name")
            return
        child = Scope(component, f"{scope.prefix}{part.name.text}_", scope)
        scope.parts[part.name.text] = child
        self._flatten(flat, child, stack + (component.name.text,), frozenset())
        for override in part.overrides:
            self.override(flat, child, override, scope)

    # -- names in code ----------------------------------------------------------------------------
    def _mapping(self, scope: Scope, code: ast.Code | ast.Equation,
                 allowed: frozenset[str]) -> dict[str, str]:
        """Final names of the names `code` uses; unknown names are reported."""
        mapping: dict[str, str] = {}
        for use in code.uses:
            final = scope.resolve(use.text)
            if final is not None:
                mapping[use.text] = final
            elif use.text not in allowed and ("." in use.text or not known_to_ir(use.text)):
                self.errors.add(self.unknown(use, scope))
        return mapping

    def unknown(self, use: ast.Name, scope: Scope) -> ModelError:
        head, _, rest = use.text.partition(".")
        if rest and head in scope.parts:
            part = scope.parts[head]
            return ModelError(f"{part.describe()} (the part '{head}') has no '{rest}'", use.loc,
                              did_you_mean(use.text, scope.members())
                              or f"its names: {', '.join(sorted(part.members())) or 'none'}")
        hint = (did_you_mean(use.text, scope.visible() | RESERVED)
                or did_you_mean(use.text, UNIT_NAMES))
        return ModelError(f"unknown name '{use.text}' in {scope.describe()}", use.loc,
                          hint or f"declare '{use.text}' in 'parameters' or 'equations'")

    def rename(self, scope: Scope, code: ast.Code | ast.Equation, expr: ir.Expr,
               allowed: frozenset[str] = frozenset()) -> ir.Expr:
        mapping = self._mapping(scope, code, allowed)

        def visit(e: ir.Expr) -> ir.Expr | None:
            if isinstance(e, ir.Ref) and mapping.get(e.name, e.name) != e.name:
                return ir.Ref(mapping[e.name])
            # x(t - d): x in the past
            if isinstance(e, ir.Call) and scope.resolve(e.func) not in (None, e.func):
                return ir.Call(scope.resolve(e.func), e.args)
            return None

        return transform(expr, visit)

    def _equation(self, scope: Scope, equation: ast.Equation,
                  inputs: frozenset[str]) -> EquationLine | None:
        line = equation.line
        if scope.names.get(line.name) != scope.prefix + line.name:
            return None  # not declared: its error is reported
        if "summed" in line.flags:  # its names (w, v_pre …) are a synapse's: not checked here
            self.errors.report(f"'{line.name}' of {scope.describe()} is (summed), which only a"
                               " synapse's equations can be", equation.loc, "move the line into"
                               " a synapse used by a projection onto this neuron: synapse S {"
                               f" equations {{ w : 1; {line.name} = ... (summed) }} }}")
            return None
        expr = None if line.expr is None else self.rename(scope, equation, line.expr, inputs)
        return replace(line, name=scope.prefix + line.name, expr=expr)

    # -- values -----------------------------------------------------------------------------------
    def override(self, flat: Flat, scope: Scope, assignment: ast.Assignment,
                 written_in: Scope) -> None:
        """`assignment` sets a parameter or an initial value of `scope`'s component; its value
        is written in `written_in`."""
        final = scope.member(assignment.target.text)
        kind = flat.kinds.get(final)
        if kind == "parameter":
            entry = flat.params[final]
            default = entry.default or (entry if entry.value is not None else None)
            flat.params[final] = replace(entry, value=assignment.value, scope=written_in,
                                         loc=assignment.loc, default=default)
        elif kind == "state":
            flat.initial[final] = Entry(assignment.value, written_in, assignment.loc,
                                        flat.dims.get(final))
        else:
            self.errors.add(self._not_settable(assignment.target, scope, kind))

    def _initial(self, flat: Flat, scope: Scope, assignment: ast.Assignment) -> None:
        kind = flat.kinds.get(scope.member(assignment.target.text))
        if kind == "state":
            self.override(flat, scope, assignment, scope)
        else:
            self.errors.add(self._not_settable(assignment.target, scope, kind, "an initial value"))

    def _not_settable(self, target: ast.Name, scope: Scope, kind: str | None,
                      what: str = "a value") -> ModelError:
        if kind == "subexpression":
            return ModelError(f"'{target.text}' is a subexpression of {scope.describe()} and has"
                              f" no {what}", target.loc,
                              "set the parameters or variables it is computed from")
        if kind == "parameter":
            return ModelError(f"'{target.text}' is a parameter of {scope.describe()}, not a"
                              " variable", target.loc,
                              "give parameters their values in 'parameters' or as overrides")
        return ModelError(f"{scope.describe()} has no parameter or variable '{target.text}'",
                          target.loc, did_you_mean(target.text, sorted(scope.members()),
                                                   "its names"))

    # -- events -----------------------------------------------------------------------------------
    def _events(self, flat: Flat, scope: Scope, inputs: frozenset[str]) -> None:
        component = scope.component
        if component.threshold is not None:
            code = component.threshold
            flat.threshold = Parsed(self.rename(scope, code, code.expr, inputs), code.loc)
            flat.surrogate = component.surrogate
        if component.reset is not None:
            body = tuple(self.statement(flat, scope, s, inputs, "reset") for s in component.reset)
            if all(s is not None for s in body) and body:
                flat.reset = Parsed(body, component.reset[0].loc)
        if component.refractory is not None:
            flat.refractory = (component.refractory, scope)
        if component.method is not None:
            flat.method = component.method.text

    def statement(self, flat: Flat, scope: Scope, statement: ast.EventStatement,
                  allowed: frozenset[str], what: str) -> ir.Statement | None:
        """A reset or on_pre statement with final names; its target must be a variable."""
        final = scope.member(statement.target.text)
        expr = self.rename(scope, statement.value, statement.value.expr, allowed)
        if flat.kinds.get(final) != "state":
            variables = sorted(n for n in scope.members()
                               if flat.kinds.get(scope.member(n)) == "state")
            self.errors.report(f"the {what} writes '{statement.target.text}', which is not a"
                               f" variable of {scope.describe()}", statement.target.loc,
                               did_you_mean(statement.target.text, variables, "its variables"))
            return None
        return ir.Statement(final, statement.op, expr)

    def _no_events(self, scope: Scope) -> None:
        component = scope.component
        for label, item in (("threshold", component.threshold), ("reset", component.reset),
                            ("refractory period", component.refractory),
                            ("method", component.method)):
            if item:
                where = item[0].loc if isinstance(item, tuple) else item.loc
                self.errors.report(f"{scope.describe()} is used as a part, so it cannot have a"
                                   f" {label}", where, "thresholds, resets, refractoriness and"
                                   " methods belong to the neuron of a population")


def units_only(code: ast.Code, scope: Scope) -> bool:
    """Whether `code` uses nothing but units, so that it is a constant as it stands."""
    return all(scope.resolve(use.text) is None and get_unit(use.text) is not None
               for use in code.uses)
