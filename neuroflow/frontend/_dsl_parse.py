"""`.nfl` text -> the syntax tree of `_ast.py`.

The grammar is `grammar.lark` appended to the shared expression grammar and to Brian2's
equation lines, so expressions and equation lines read exactly as the builder reads them.
The transformer below has one method per rule of `grammar.lark`; it records every name an
expression uses with its location, and collects the errors it finds (unknown units, flags,
repeated blocks …) so that they are reported together.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import lark

from ..ir import (DIMENSIONLESS, EXPRESSION_GRAMMAR, Loc, ModelError, BadToken, ParseError,
                  cached_parser, one_error, surrogate_from_expr)
from . import _ast as ast
from ._dsl_errors import Errors
from ._dsl_syntax import COMPONENT_ITEMS, PROJECTION_ITEMS, syntax_errors
from ._equations import _EQUATION_GRAMMAR, _EquationBuilder

DSL_GRAMMAR = (EXPRESSION_GRAMMAR + _EQUATION_GRAMMAR
               + (Path(__file__).parent / "grammar.lark").read_text())

MAX_SIZE = 2**31 - 1  # neuron indices are int32

# What only a neuron (or a channel), and what only a synapse, may hold.
_NOT_IN_SYNAPSES = ("threshold", "reset", "refractory", "method")
_ONLY_IN_SYNAPSES = ("on_pre", "on_post")


@cache
def dsl_parser() -> lark.Lark:
    return cached_parser(DSL_GRAMMAR, "start", propagate_positions=True, maybe_placeholders=True)


class _Member:
    """A block of a component or a setting of a projection, before it is put in its place."""

    __slots__ = ("key", "loc", "value")

    def __init__(self, key: str, value, loc: Loc):
        self.key, self.value, self.loc = key, value, loc


class _DSLTransformer(_EquationBuilder):
    """Parse tree -> `_ast` records.  Errors go into `errors`; names used go into `_uses`
    until the rule that owns the expression takes them."""

    def __init__(self, origin: str, text: str, errors: Errors):
        super().__init__(Loc(origin, 1, 1, text))
        self.errors = errors
        self._uses: list[ast.Name] = []
        self._flags_at = self._loc

    # -- helpers ------------------------------------------------------------------------------
    def _at(self, where) -> Loc:
        """The location of a token or of a rule's `meta`."""
        line = getattr(where, "line", None) or 1
        column = getattr(where, "column", None) or 1
        return self._loc.shifted(line, column)

    def _name(self, token) -> ast.Name:
        return ast.Name(str(token), self._at(token))

    def _code(self, expr, where) -> ast.Code:
        uses, self._uses = tuple(self._uses), []
        return ast.Code(expr, uses, self._at(where))

    def _error(self, message: str, where, hint: str | None = None) -> None:
        self.errors.report(message, self._at(where), hint)

    def _whole(self, token, what: str, minimum: int = 0) -> int:
        text = str(token)
        if not text.isdigit() or int(text) < minimum:
            self._error(f"{what} must be a whole number of at least {minimum}, got {text}", token)
            return max(minimum, 1)
        return int(text)

    def _size(self, token) -> int:
        size = self._whole(token, "a population's size", 1)
        if size > MAX_SIZE:
            self._error(f"a population has at most {MAX_SIZE} neurons, got {size}", token)
            return 1
        return size

    # -- expressions: record the names they use --------------------------------------------------
    def ref(self, items):
        self._uses.append(self._name(items[0]))
        return super().ref(items)

    def member(self, items):
        name = ".".join(str(t) for t in items)
        self._uses.append(ast.Name(name, self._at(items[0])))
        return super().ref([name])

    # -- equation lines: Brian2's, with errors collected ------------------------------------------
    def _equation(self, method, meta, items):
        try:
            line = method(meta, items)
        except ModelError as err:  # an unknown flag: reported, and the file is read on
            self.errors.add(err)
            line = None
        code = self._code(None, meta)
        return None if line is None else ast.Equation(line, code.uses, code.loc)

    @lark.v_args(meta=True)
    def ode_line(self, meta, items):
        return self._equation(super().ode_line, meta, items)

    @lark.v_args(meta=True)
    def sub_line(self, meta, items):
        return self._equation(super().sub_line, meta, items)

    @lark.v_args(meta=True)
    def param_line(self, meta, items):
        return self._equation(super().param_line, meta, items)

    def unit_name(self, items):
        try:
            return super().unit_name(items)
        except ModelError as err:  # an unknown unit: reported, and the line is read on
            self.errors.add(err)
            return DIMENSIONLESS

    def _bad_unit(self, error: ModelError) -> None:  # reported, and the line is read on
        self.errors.add(error)

    def unit_number(self, items):
        try:
            return super().unit_number(items)
        except ModelError as err:
            self._bad_unit(err)
            return DIMENSIONLESS

    # -- the file -----------------------------------------------------------------------------
    def start(self, items):
        return ast.File(self._loc.origin, tuple(d for d in items if d is not None))

    @lark.v_args(meta=True)
    def import_decl(self, meta, items):
        return ast.Import(str(items[0])[1:-1], self._at(meta))

    # -- components ---------------------------------------------------------------------------
    def component_kind(self, items):
        return str(items[0])

    @lark.v_args(meta=True)
    def component(self, meta, items):
        kind, name, *members = items
        fields = self._fields(members, COMPONENT_ITEMS, f"{kind} '{name}'")
        parts = tuple(m.value for m in members if m is not None and m.key == "part")
        threshold, surrogate = fields["threshold"] or (None, None)
        self._check_members(kind, str(name), members)
        return ast.Component(kind, self._name(name), fields["parameters"] or (),
                             fields["equations"] or (), fields["initial"] or (),
                             threshold, fields["reset"], fields["refractory"],
                             fields["method"], parts, self._at(meta), fields["on_pre"],
                             fields["on_post"], surrogate)

    def _check_members(self, kind: str, name: str, members) -> None:
        """A synapse has no threshold, reset, refractory period, method or parts; only a
        synapse has on_pre and on_post."""
        for member in members:
            if member is None:
                continue
            if kind == "synapse" and (member.key in _NOT_IN_SYNAPSES or member.key == "part"):
                what = "parts" if member.key == "part" else f"a '{member.key}'"
                self._error(f"synapse '{name}' cannot have {what}", member.loc,
                            "a synapse holds parameters, equations, initial, on_pre and on_post")
            elif kind != "synapse" and member.key in _ONLY_IN_SYNAPSES:
                self._error(f"{kind} '{name}' cannot have '{member.key}'", member.loc,
                            "what spikes do belongs to a synapse ('synapse S { on_pre { ... } }')"
                            " or to a projection ('on_pre: ge += w')")

    def _fields(self, members, keys, owner: str) -> dict:
        fields = dict.fromkeys(keys)
        for member in members:
            if member is None or member.key not in fields:
                continue
            if fields[member.key] is not None:
                self._error(f"{owner} has a second '{member.key}'", member.loc,
                            f"write one '{member.key}' and put everything in it")
                continue
            fields[member.key] = member.value
        return fields

    @lark.v_args(meta=True)
    def parameters(self, meta, items):
        return _Member("parameters", tuple(items), self._at(meta))

    @lark.v_args(meta=True)
    def declared_parameter(self, meta, items):
        name, dim, value = items
        return ast.Parameter(self._name(name), dim, value, self._at(meta))

    @lark.v_args(meta=True)
    def parameter(self, meta, items):
        name, value = items
        return ast.Parameter(self._name(name), None, value, self._at(meta))

    @lark.v_args(meta=True)
    def equation_block(self, meta, items):
        return _Member("equations", tuple(e for e in items if e is not None), self._at(meta))

    @lark.v_args(meta=True)
    def initial_block(self, meta, items):
        return _Member("initial", tuple(items), self._at(meta))

    @lark.v_args(meta=True)
    def threshold(self, meta, items):
        code, flag, smooth = items
        self._uses = []  # the names of the surrogate are no names of the neuron
        found = None
        if smooth is not None:
            try:
                found = surrogate_from_expr(smooth)
            except ModelError as err:
                self._error(err.message, flag, err.hint)
        return _Member("threshold", (code, found), self._at(meta))

    @lark.v_args(meta=True)
    def reset(self, meta, items):
        return _Member("reset", tuple(items), self._at(meta))

    reset_line = reset  # `reset: v = Vr`, the one-statement form

    @lark.v_args(meta=True)
    def refractory(self, meta, items):
        return _Member("refractory", items[0], self._at(meta))

    @lark.v_args(meta=True)
    def method(self, meta, items):
        name, *options = [i for i in items if i is not None]
        text = str(name) + ("(" + ", ".join(options) + ")" if options else "")
        return _Member("method", ast.Name(text, self._at(name)), self._at(meta))

    def method_option(self, items):
        name, minus, number = items
        return f"{name}={'-' if minus else ''}{number}"

    @lark.v_args(meta=True)
    def part(self, meta, items):
        name, component, overrides = items
        part = ast.Part(self._name(name), self._name(component), overrides or (), self._at(meta))
        return _Member("part", part, self._at(meta))

    def overrides(self, items):
        return tuple(items)

    @lark.v_args(meta=True)
    def assignment(self, meta, items):
        target, value = items
        return ast.Assignment(target, value, self._at(meta))

    @lark.v_args(meta=True)
    def event_statement(self, meta, items):
        target, op, expr = items
        return ast.EventStatement(target, str(op), self._code(expr, meta), self._at(meta))

    @lark.v_args(meta=True)
    def target(self, meta, items):
        return ast.Name(".".join(str(t) for t in items), self._at(meta))

    dotted = target  # the same text as `target`, in a rule of its own (see grammar.lark)

    # -- networks -----------------------------------------------------------------------------
    @lark.v_args(meta=True)
    def network(self, meta, items):
        name, *body = items
        return ast.Network(self._name(name), tuple(i for i in body if i is not None),
                           self._at(meta))

    @lark.v_args(meta=True)
    def population(self, meta, items):
        name, size, component, overrides = items
        return ast.Population(self._name(name), self._size(size), self._name(component),
                              overrides or (), self._at(meta))

    @lark.v_args(meta=True)
    def poisson_group(self, meta, items):
        name, size, args = items
        return ast.PoissonGroup(self._name(name), self._size(size), args or (), self._at(meta))

    @lark.v_args(meta=True)
    def spike_generator(self, meta, items):
        name, size, args = items
        size = None if size is None else self._size(size)
        return ast.SpikeGenerator(self._name(name), size, args or (), self._at(meta))

    @lark.v_args(meta=True)
    def view(self, meta, items):
        name, ref = items
        return ast.View(self._name(name), ref, self._at(meta))

    @lark.v_args(meta=True)
    def subnetwork(self, meta, items):
        name, network = items
        return ast.Subnetwork(self._name(name), self._name(network), self._at(meta))

    @lark.v_args(meta=True)
    def projection(self, meta, items):
        name, pre, post, *settings = items
        fields = self._fields(settings, PROJECTION_ITEMS, "the projection")
        synapse, on_pre = fields["synapse"], fields["on_pre"]
        if on_pre is None and synapse is None:
            self._error("the projection has no 'on_pre'", meta,
                        "say what a spike does, e.g. 'on_pre: ge += w'")
        elif on_pre is not None and synapse is not None:
            where = next(m.loc for m in settings if m is not None and m.key == "on_pre")
            self._error("the projection has a synapse and an 'on_pre'", where,
                        f"the synapse '{synapse.component.text}' says what a spike does: remove"
                        " this 'on_pre'")
        elif on_pre is not None and len(on_pre) != 1:
            where = next(m.loc for m in settings if m is not None and m.key == "on_pre")
            self._error(f"the on_pre of a projection is one statement, got {len(on_pre)}", where,
                        "several statements need synapse variables: write a 'synapse' and use it"
                        " with 'synapse: Name()'")
        if fields["initial"] is not None and synapse is None:
            where = next(m.loc for m in settings if m is not None and m.key == "initial")
            self._error("the projection has initial values but no synapse", where,
                        "initial values are for the variables of a synapse ('synapse: STDP()');"
                        " a plain projection's weights are given with 'weights:'")
        label = None if name is None else self._name(name)
        return ast.Projection(label, pre, post, on_pre, fields["connect"], fields["weights"],
                              fields["delay"], fields["kernel"], self._at(meta), synapse,
                              fields["initial"] or ())

    @lark.v_args(meta=True)
    def on_pre(self, meta, items):
        return _Member("on_pre", tuple(items), self._at(meta))

    @lark.v_args(meta=True)
    def on_post(self, meta, items):
        return _Member("on_post", tuple(items), self._at(meta))

    @lark.v_args(meta=True)
    def synapse_use(self, meta, items):
        name, overrides = items
        use = ast.SynapseUse(self._name(name), overrides or (), self._at(meta))
        return _Member("synapse", use, self._at(meta))

    @lark.v_args(meta=True)
    def connect(self, meta, items):
        return _Member("connect", items[0], self._at(meta))

    @lark.v_args(meta=True)
    def weights(self, meta, items):
        return _Member("weights", items[0], self._at(meta))

    @lark.v_args(meta=True)
    def delay(self, meta, items):
        return _Member("delay", items[0], self._at(meta))

    @lark.v_args(meta=True)
    def kernel(self, meta, items):
        return _Member("kernel", self._name(items[0]), self._at(meta))

    @lark.v_args(meta=True)
    def input_decl(self, meta, items):
        target, values, period = items
        return ast.Input(target, values, period, self._at(meta))

    @lark.v_args(meta=True)
    def poisson_input(self, meta, items):
        target, args = items
        return ast.PoissonInput(target, args or (), self._at(meta))

    @lark.v_args(meta=True)
    def spike_monitor(self, meta, items):
        return ast.Monitor("spikes", items[0], None, 1, self._at(meta))

    @lark.v_args(meta=True)
    def rate_monitor(self, meta, items):
        return ast.Monitor("rate", items[0], None, 1, self._at(meta))

    @lark.v_args(meta=True)
    def state_monitor(self, meta, items):
        target, indices, every = items
        steps = 1 if every is None else self._whole(every, "'every' (a number of steps)", 1)
        return ast.Monitor("state", target, indices, steps, self._at(meta))

    def index_list(self, items):
        return tuple(self._whole(t, "a neuron index") for t in items)

    @lark.v_args(meta=True)
    def index_range(self, meta, items):
        start, stop = (None if t is None else self._whole(t, "a slice bound") for t in items)
        return ast.Slice(start, stop, self._at(meta))

    @lark.v_args(meta=True)
    def pop_ref(self, meta, items):
        name, view = items
        return ast.PopRef(name, view, self._at(meta))

    slice = index_range  # `P[0:10]`, read as the `[0:10]` of a state monitor

    # -- the run section ----------------------------------------------------------------------
    @lark.v_args(meta=True)
    def run_section(self, meta, items):
        name, *settings = items
        network = None if name is None else self._name(name)
        return ast.Run(network, tuple(settings), self._at(meta))

    @lark.v_args(meta=True)
    def setting(self, meta, items):
        name, value = items
        return ast.Setting(self._name(name), value, self._at(meta))

    # -- values -------------------------------------------------------------------------------
    @lark.v_args(meta=True)
    def code(self, meta, items):
        return self._code(items[0], meta)

    value = code  # a value that is one expression

    @lark.v_args(meta=True)
    def array(self, meta, items):
        return ast.Array(tuple(i for i in items if i is not None), self._at(meta))

    @lark.v_args(meta=True)
    def array_value(self, meta, items):
        array, _, scale = items
        uses, self._uses = tuple(self._uses), []
        return ast.ArrayValue(array, scale, uses, self._at(meta))

    @lark.v_args(meta=True)
    def file_value(self, meta, items):
        path, _, scale = items
        uses, self._uses = tuple(self._uses), []
        return ast.FileValue(str(path)[1:-1], scale, uses, self._at(meta))


def parse(text: str, origin: str = "<model>") -> ast.File:
    """The syntax tree of one `.nfl` file (imports are not followed here)."""
    try:
        tree = dsl_parser().parse(text)
    except lark.exceptions.UnexpectedInput as err:
        raise one_error(syntax_errors(err, text, origin, dsl_parser())) from None
    errors = Errors()
    try:
        file = _DSLTransformer(origin, text, errors).transform(tree)
    except lark.exceptions.VisitError as err:
        if isinstance(err.orig_exc, BadToken):
            raise err.orig_exc.located(text, None, origin) from None
        raise err.orig_exc from None
    except RecursionError:
        raise ParseError("an expression is nested too deeply", Loc(origin, 1, 1, text),
                         "split it into subexpressions") from None
    errors.check()
    return file
