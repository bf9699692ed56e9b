"""Immutable expression trees used inside equations, events and effects.

Expressions are values: two trees are equal when they print the same.  They carry no types;
`ir.typecheck` infers a dimension for a tree in the scope of a population.  Constants carry their
physical dimension so that folding `20*mV` into one number keeps the model checkable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

from ._dimensions import DIMENSIONLESS, Dimension


@dataclass(frozen=True, slots=True)
class Expr:
    """Base of all expression nodes."""


@dataclass(frozen=True, slots=True)
class Const(Expr):
    value: float
    dim: Dimension = DIMENSIONLESS

    def __post_init__(self):
        if isinstance(self.value, bool) or not math.isfinite(float(self.value)):
            raise ValueError(f"constants must be finite numbers, got {self.value!r}")
        object.__setattr__(self, "value", float(self.value))


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str  # arithmetic, comparison, "and", "or"
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Where(Expr):
    """`where(cond, then, other)`: elementwise choice, the IR's conditional."""

    cond: Expr
    then: Expr
    other: Expr


ARITHMETIC = ("+", "-", "*", "/", "**")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
LOGICAL = ("and", "or")

# Binding strength for printing with the fewest parentheses (Python's order).
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, **{c: 4 for c in COMPARISONS},
               "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "**": 8}
_ATOM = 9


def _folded_negation(e: Expr) -> Const | None:
    """The constant a chain of minus signs over a constant parses back to, else None."""
    if isinstance(e, Unary) and e.op == "-":
        inner = e.operand if isinstance(e.operand, Const) else _folded_negation(e.operand)
        return None if inner is None else Const(-inner.value, inner.dim)
    return None


def _precedence(e: Expr) -> int:
    folded = _folded_negation(e)
    if folded is not None:
        e = folded
    if isinstance(e, Const):
        return _PRECEDENCE["neg"] if e.value < 0 or str(e.value).startswith("-") else _ATOM
    if isinstance(e, Unary):
        return _PRECEDENCE["neg"] if e.op == "-" else _PRECEDENCE["not"]
    if isinstance(e, Binary):
        return _PRECEDENCE[e.op]
    return _ATOM


def _wrap(e: Expr, needed: int) -> str:
    text = to_text(e)
    return f"({text})" if _precedence(e) < needed else text


def to_text(e: Expr) -> str:
    """Canonical text; `parse_expr(to_text(e))` prints back identically."""
    if isinstance(e, Const):
        number = repr(float(e.value))
        return number if e.dim.is_dimensionless else f"{number}<{e.dim}>"
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, Unary):
        folded = _folded_negation(e)
        if folded is not None:  # `-(-3.0)` reads back as the constant 3.0, so print it that way
            return to_text(folded)
        if e.op == "-":
            return "-" + _wrap(e.operand, _PRECEDENCE["neg"])
        return "not " + _wrap(e.operand, _PRECEDENCE["not"])
    if isinstance(e, Binary):
        p = _PRECEDENCE[e.op]
        if e.op == "**":  # right-associative; the exponent may be a negation
            return f"{_wrap(e.left, _ATOM)}**{_wrap(e.right, _PRECEDENCE['neg'])}"
        if e.op in COMPARISONS:  # comparisons do not chain in our grammar
            return f"{_wrap(e.left, p + 1)} {e.op} {_wrap(e.right, p + 1)}"
        spaced = e.op in ("+", "-", "and", "or")
        op = f" {e.op} " if spaced else e.op
        return f"{_wrap(e.left, p)}{op}{_wrap(e.right, p + 1)}"
    if isinstance(e, Call):
        return f"{e.func}({', '.join(to_text(a) for a in e.args)})"
    if isinstance(e, Where):
        return f"where({to_text(e.cond)}, {to_text(e.then)}, {to_text(e.other)})"
    raise TypeError(f"not an expression: {e!r}")


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Where):
        return (e.cond, e.then, e.other)
    return ()


def rebuild(e: Expr, new_children: tuple[Expr, ...]) -> Expr:
    if isinstance(e, Unary):
        return Unary(e.op, *new_children)
    if isinstance(e, Binary):
        return Binary(e.op, *new_children)
    if isinstance(e, Call):
        return Call(e.func, tuple(new_children))
    if isinstance(e, Where):
        return Where(*new_children)
    return e


def transform(e: Expr, fn: Callable[[Expr], Expr | None]) -> Expr:
    """Bottom-up rewrite: `fn` returns a replacement or None to keep the node."""
    kids = children(e)
    if kids:
        new = tuple(transform(k, fn) for k in kids)
        if new != kids:
            e = rebuild(e, new)
    out = fn(e)
    return e if out is None else out


def subtrees(e: Expr) -> Iterator[Expr]:
    """Every expression inside `e`, children first (the order of `transform`), `e` last."""
    for k in children(e):
        yield from subtrees(k)
    yield e


def names(e: Expr) -> set[str]:
    """Every name referenced (not called) in `e`."""
    return {x.name for x in subtrees(e) if isinstance(x, Ref)}


def calls(e: Expr) -> set[str]:
    return {x.func for x in subtrees(e) if isinstance(x, Call)}


def substitute(e: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Replace references by expressions (simultaneously, not recursively)."""
    if not mapping:
        return e
    return transform(e, lambda x: mapping.get(x.name) if isinstance(x, Ref) else None)


@dataclass(frozen=True, slots=True)
class Statement:
    """`target op expr` with op one of `=`, `+=`, `-=`, `*=`, `/=`."""

    target: str
    op: str
    expr: Expr

    def __post_init__(self):
        if self.op not in ("=", "+=", "-=", "*=", "/="):
            raise ValueError(f"unknown assignment operator {self.op!r}")

    def text(self) -> str:
        return f"{self.target} {self.op} {to_text(self.expr)}"

    def as_assignment(self) -> Expr:
        """The value assigned, with augmented operators expanded (`x += e` -> `x + e`)."""
        if self.op == "=":
            return self.expr
        return Binary(self.op[0], Ref(self.target), self.expr)
