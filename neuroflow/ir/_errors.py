"""Errors for people: every diagnostic can carry a source location.

A `Loc` points into some text (a file, an equation string, the IR text).  The
frontend, the passes and the verifier all raise subclasses of `NeuroflowError`,
which print `origin:line:col`, the offending line with a caret, and a hint.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Loc:
    origin: str  # a file name or a label such as "equations of P"
    line: int  # 1-based
    column: int  # 1-based
    text: str = ""  # the whole source, to show the offending line

    def shifted(self, line: int, column: int) -> "Loc":
        """A location inside a fragment that starts at this location."""
        col = column + self.column - 1 if line == 1 else column
        return Loc(self.origin, self.line + line - 1, col, self.text)

    def source_line(self) -> str:
        lines = self.text.splitlines()
        return lines[self.line - 1] if 0 < self.line <= len(lines) else ""


class NeuroflowError(Exception):
    """Base of every error neuroflow raises on purpose."""

    def __init__(self, message: str, loc: Loc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self.format())

    def format(self) -> str:
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc.origin}:{self.loc.line}:{self.loc.column}: {self.message}")
            line = self.loc.source_line()
            if line:
                parts += [f"    {line}", "    " + " " * (self.loc.column - 1) + "^"]
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class ParseError(NeuroflowError):
    """Text that does not follow a grammar."""


class ModelError(NeuroflowError):
    """A model that parses but makes no sense: unknown names, unit mismatches …"""


class IRError(NeuroflowError):
    """An IR that breaks an invariant (raised by `ir.verify`)."""


class ErrorList(ModelError):
    """Several independent errors found in one pass; `errors` lists them in source order."""

    def __init__(self, errors: list[NeuroflowError]):
        self.errors = sorted(errors, key=_position)
        first = self.errors[0]
        super().__init__(first.message, first.loc, first.hint)

    def format(self) -> str:
        return "\n\n".join([e.format() for e in self.errors] + [f"{len(self.errors)} errors"])


def _position(error: NeuroflowError) -> tuple:
    loc = error.loc
    return (0, "", 0, 0) if loc is None else (1, loc.origin, loc.line, loc.column)


class SyntaxErrorList(ErrorList, ParseError):
    """Several syntax errors of one file: a `ParseError` as one of them would be."""


def one_error(errors: list[NeuroflowError]) -> NeuroflowError:
    """The one error of `errors` (not empty), or an `ErrorList` of them all."""
    if len(errors) == 1:
        return errors[0]
    syntax = all(isinstance(e, ParseError) for e in errors)
    return (SyntaxErrorList if syntax else ErrorList)(errors)


def raise_all(errors: list[NeuroflowError]) -> None:
    """Raise nothing, the one error, or an `ErrorList` of them all."""
    if errors:
        raise one_error(errors)


def did_you_mean(name: str, candidates: Iterable[str], listing: str | None = None) -> str | None:
    """"did you mean 'x'?" naming the candidates close to `name`; without any, and with a
    `listing` that says what the candidates are ("variables"), "variables: a, b" (all of them,
    in their order), else None."""
    candidates = list(candidates)
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return None if listing is None else f"{listing}: {', '.join(candidates) or 'none'}"
