"""Brian2-style equation strings, parsed with Lark on the IR's expression grammar.

    dv/dt = (El - v)/tau : volt (unless refractory)    differential equation
    I_syn = g*(E - v) : amp                            subexpression
    I_post = w*tanh(x_pre) : 1 (summed)                summed variable (a synapse model's)
    x : 1 (constant)                                   parameter or per-neuron variable

Each line keeps its position so that later errors can point into the string.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import lark

from ..ir import (DIMENSIONLESS, EXPRESSION_GRAMMAR, UNIT_NAMES, Dimension, Expr,
                  ExpressionBuilder, Loc, ModelError, NumberTooLarge, ParseError, cached_parser,
                  did_you_mean, get_unit, parse_with)

_EQUATION_GRAMMAR = r"""
equations: _NL? (eq_line _NL)* eq_line?
?eq_line: ode_line | sub_line | param_line
ode_line: DIFF "=" expr ":" unit [flags]
sub_line: NAME "=" expr ":" unit [flags]
param_line: NAME ":" unit [flags]
unit: unit_factor (unit_op unit_factor)*
!unit_op: "*" | "/"
?unit_factor: unit_atom | unit_atom "**" unit_power
unit_power: NUMBER | MINUS NUMBER | "(" unit_power_frac ")"
unit_power_frac: MINUS? NUMBER "/" NUMBER
?unit_atom: NAME -> unit_name
          | NUMBER -> unit_number
          | "(" unit ")"
flags: "(" FLAG ("," FLAG)* ")"
DIFF: /d[A-Za-z_][A-Za-z_0-9]*\/dt/
FLAG: /[A-Za-z_][A-Za-z_\- ]*[A-Za-z_]|[A-Za-z_]/
_NL: /(\r?\n[\t ]*(#[^\n]*)?)+/
%ignore WS_INLINE
%ignore COMMENT
"""

MAX_UNIT_POWER = 100  # `volt**1e309` is a mistake, not a unit

FLAGS = {
    "ode": {"unless refractory", "event-driven", "clock-driven"},
    "sub": {"shared", "constant over dt", "summed"},
    "param": {"constant", "shared", "unless refractory"},
}


@dataclass(frozen=True, slots=True)
class EquationLine:
    kind: str  # "ode", "sub" or "param"
    name: str
    expr: Expr | None
    dim: Dimension
    flags: frozenset[str]
    loc: Loc


class _EquationBuilder(ExpressionBuilder):
    def __init__(self, loc: Loc):
        super().__init__()
        self._loc = loc

    def _line(self, kind, meta, name, expr, dim, flags):
        loc = self._loc.shifted(meta.line, meta.column)
        allowed = FLAGS[kind]
        for flag in flags:
            if flag not in allowed:
                raise ModelError(f"unknown flag '({flag})' for this kind of equation",
                                 self._flag_at.get(flag, loc),
                                 f"allowed here: {', '.join(sorted(allowed)) or 'none'}")
        return EquationLine(kind, name, expr, dim, frozenset(flags), loc)

    @lark.v_args(meta=True)
    def ode_line(self, meta, items):
        diff, expr, dim, flags = items
        return self._line("ode", meta, str(diff)[1:-3], expr, dim, flags or ())

    @lark.v_args(meta=True)
    def sub_line(self, meta, items):
        name, expr, dim, flags = items
        return self._line("sub", meta, str(name), expr, dim, flags or ())

    @lark.v_args(meta=True)
    def param_line(self, meta, items):
        name, dim, flags = items
        return self._line("param", meta, str(name), None, dim, flags or ())

    def flags(self, items):
        self._flag_at = {" ".join(str(f).split()): self._loc.shifted(f.line, f.column)
                         for f in items}  # an unknown flag's error points at it
        return tuple(self._flag_at)

    def unit_name(self, items):
        unit = get_unit(str(items[0]))
        if unit is None:
            raise ModelError(f"unknown unit '{items[0]}'",
                             self._loc.shifted(items[0].line, items[0].column),
                             did_you_mean(str(items[0]), UNIT_NAMES)
                             or "units have Brian2's names: mV, ms, nS, pF …")
        return unit.dim

    def unit_number(self, items):
        if float(items[0]) != 1.0:
            raise ModelError(f"a unit must be a unit name or 1, got '{items[0]}'",
                             self._loc.shifted(items[0].line, items[0].column),
                             "write ': 1' for a dimensionless variable")
        return DIMENSIONLESS

    def unit_op(self, items):
        return str(items[0])

    def unit_power(self, items):
        if len(items) == 1 and not isinstance(items[0], lark.Token):
            return items[0]
        number = items[-1]
        sign = -1 if len(items) == 2 else 1
        return self._power(sign * Fraction(str(number)), number, "-" * (sign < 0) + str(number))

    def unit_power_frac(self, items):
        sign = -1 if len(items) == 3 else 1
        for token in items[-2:]:
            if math.isinf(float(token)):  # exact as a fraction, but a float anywhere else
                too_large = NumberTooLarge(token)
                self._bad_unit(ParseError(too_large.message, self._at_token(token),
                                          too_large.hint))
                return Fraction(1)
        numerator, denominator = Fraction(str(items[-2])), Fraction(str(items[-1]))
        if denominator == 0:
            self._bad_unit(ModelError("a unit's power divides by zero", self._at_token(items[-1]),
                                      "write a power such as 2, -1 or (1/2)"))
            return Fraction(1)
        return self._power(sign * numerator / denominator, items[-2],
                           f"{'-' * (sign < 0)}{items[-2]}/{items[-1]}")

    def _power(self, power: Fraction, token, written: str) -> Fraction:
        """`power` as the exponent of a unit: a small number, kept as a fraction."""
        if abs(power) > MAX_UNIT_POWER:
            self._bad_unit(ModelError(f"a unit's power must lie between -{MAX_UNIT_POWER} and"
                                      f" {MAX_UNIT_POWER}, got {written}", self._at_token(token),
                                      "write a power such as 2, -1 or (1/2)"))
            return Fraction(1)
        return power.limit_denominator(100)

    def _at_token(self, token) -> Loc:
        return self._loc.shifted(token.line, token.column)

    def _bad_unit(self, error: ModelError) -> None:
        """A unit that cannot be: raised here; the model-file reader collects it instead."""
        raise error

    def unit_factor(self, items):
        return items[0] ** items[1]

    def unit(self, items):
        dim = items[0]
        for op, other in zip(items[1::2], items[2::2]):
            dim = dim * other if op == "*" else dim / other
        return dim

    def equations(self, items):
        return tuple(items)


@lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    return cached_parser(EXPRESSION_GRAMMAR + _EQUATION_GRAMMAR, "equations",
                         propagate_positions=True, maybe_placeholders=True)


def parse_equations(text: str, origin: str) -> tuple[EquationLine, ...]:
    """Parse an equations string; `origin` names it in error messages."""
    return parse_with(_parser(), _EquationBuilder(Loc(origin, 1, 1, text)), text, None, origin)
