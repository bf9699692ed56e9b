"""Lark parser for expressions and statements (the grammar in expressions.lark).

`ExpressionBuilder` turns parse trees into `Expr` nodes; the IR text parser and the frontend's
grammars reuse it by appending their own rules to `EXPRESSION_GRAMMAR` and subclassing the builder.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import lark

from ._cache import cached_parser
from ._dimensions import parse_dimension
from ._errors import Loc, NeuroflowError, ParseError
from ._expr import Binary, Call, Const, Expr, Ref, Statement, Unary, Where

EXPRESSION_GRAMMAR = (Path(__file__).parent / "expressions.lark").read_text()

_ENTRY_POINTS = """
statements: _sep* statement (_sep+ statement)* _sep*
_sep: ";" | NEWLINE
NEWLINE: /\\r?\\n/
%ignore WS_INLINE
%ignore COMMENT
"""
_SYNTAX = "expressions use Python's syntax: names, numbers, + - * / **, comparisons, and, or, not"


class ExpressionBuilder(lark.Transformer):
    """Parse tree -> `Expr`.  Each rule of expressions.lark has its method here."""

    def number(self, items):
        return Const(_finite(items[0], str(items[0])))

    def quantity(self, items):
        number, dim = str(items[0]).split("<", 1)
        return Const(_finite(items[0], number), _dimension(items[0], dim[:-1]))

    def ref(self, items):
        return Ref(str(items[0]))

    def call(self, items):
        name, args = items
        args = tuple(args.children) if args is not None else ()
        if str(name) == "where" and len(args) == 3:  # the IR's conditional, printed as a call
            return Where(*args)
        return Call(str(name), args)

    def neg(self, items):
        operand = items[1]
        # Fold `-3.0` into one constant so that printed negative numbers read back as they were.
        if isinstance(operand, Const):
            return Const(-operand.value, operand.dim)
        return Unary("-", operand)

    def pos(self, items):
        return items[1]

    def not_(self, items):
        return Unary("not", items[0])

    def binary(self, items):
        left, op, right = items
        return Binary(str(op), left, right)

    def and_(self, items):
        return Binary("and", items[0], items[1])

    def or_(self, items):
        return Binary("or", items[0], items[1])

    def statement(self, items):
        target, op, expr = items
        return Statement(str(target), str(op), expr)

    def statements(self, items):
        return tuple(s for s in items if isinstance(s, Statement))


class BadToken(ParseError):
    """A token that parses but cannot be read; `token` says where it was written, and
    `located` places the error in the text being parsed."""

    def __init__(self, token, message: str, hint: str | None = None):
        self.token = token
        super().__init__(message, None, hint)

    def located(self, text: str, loc: Loc | None, what: str) -> ParseError:
        line, column = getattr(self.token, "line", 1) or 1, getattr(self.token, "column", 1) or 1
        where = (loc.shifted(line, column) if loc is not None and loc.text
                 else Loc(what, line, column, text))
        return ParseError(self.message, where, self.hint)


class NumberTooLarge(BadToken):
    """A literal beyond the largest float."""

    def __init__(self, token):
        super().__init__(token, f"the number {token} is too large for a floating-point value",
                         "write it with units that keep it small, or check its exponent")


def _dimension(token, text: str):
    try:
        return parse_dimension(text)
    except ValueError as err:
        raise BadToken(token, f"cannot read the units of {token}: {err}",
                       "a number with units in the IR's form reads 2.5<mV> or 0.1<1/ms>") from None


def _finite(token, text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NumberTooLarge(token)
    return value


@lru_cache(maxsize=None)
def _parser(start: str) -> lark.Lark:
    return cached_parser(EXPRESSION_GRAMMAR + _ENTRY_POINTS, start, propagate_positions=True,
                         maybe_placeholders=True)


def raise_located(err: lark.exceptions.LarkError, text: str, loc: Loc | None, what: str):
    """Turn a Lark error into a ParseError that points into the source.

    `loc`, if given, is where `text` starts inside a larger source (a file)."""
    line = getattr(err, "line", None) or 1
    column = getattr(err, "column", None) or 1
    token = getattr(err, "token", None)
    at_end = (isinstance(err, lark.exceptions.UnexpectedEOF)
              or (token is not None and token.type == "$END"))
    if at_end:  # point just past the last character, where something is missing
        lines = text.rstrip().splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    where = (loc.shifted(line, column) if loc is not None and loc.text
             else Loc(what, line, column, text))
    if at_end:
        message = f"{what} ends too early"
        hint = "an operand, a closing parenthesis or a right-hand side is missing"
    elif token is not None:
        message = f"unexpected '{token}' in {what}"
        hint = _hint_for(str(token))
    else:
        char = getattr(err, "char", "?")
        message = f"unexpected character '{char}' in {what}"
        hint = _SYNTAX
    raise ParseError(message, where, hint) from None


def _hint_for(token: str) -> str:
    if token == "=":
        return "use '==' to compare; '=' assigns only at the start of a statement"
    if token in (")", "("):
        return "check that parentheses are balanced"
    return _SYNTAX


def parse_expr(text: str, loc: Loc | None = None, what: str = "expression") -> Expr:
    return parse_with(_parser("expr"), ExpressionBuilder(), text, loc, what)


def parse_statements(text: str, loc: Loc | None = None,
                     what: str = "statements") -> tuple[Statement, ...]:
    """Statements separated by newlines or `;`, e.g. `v = Vr; w += b`."""
    return parse_with(_parser("statements"), ExpressionBuilder(), text, loc, what)


def parse_with(parser: lark.Lark, builder: lark.Transformer, text: str, loc: Loc | None,
               what: str):
    """`text` parsed by `parser` and built by `builder`: a syntax error, or a bad token or a
    neuroflow error met while building, is raised as a neuroflow error that points into it."""
    try:
        tree = parser.parse(text)
    except lark.exceptions.LarkError as err:
        raise_located(err, text, loc, what)
    try:
        return builder.transform(tree)
    except lark.exceptions.VisitError as err:
        if isinstance(err.orig_exc, BadToken):
            raise err.orig_exc.located(text, loc, what) from None
        if isinstance(err.orig_exc, NeuroflowError):
            raise err.orig_exc from None
        raise
