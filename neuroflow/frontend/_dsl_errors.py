"""Collecting the errors of a model file, so that one run reports all of them.

Each declaration is checked on its own; its errors go into an `Errors` collector and the
checks go on with the next declaration.  At the end, one error is raised: the error itself
if there is one, else an `ErrorList` that prints every error with its location.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..ir import Loc, ModelError, NeuroflowError, ParseError


class ErrorList(ModelError):
    """Several errors found in one pass over a file; `errors` lists them in file order."""

    def __init__(self, errors: list[NeuroflowError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, first.loc, first.hint)

    def format(self) -> str:
        return "\n\n".join([e.format() for e in self.errors] + [f"{len(self.errors)} errors"])


def _position(error: NeuroflowError) -> tuple:
    loc = error.loc
    return (0, "", 0, 0) if loc is None else (1, loc.origin, loc.line, loc.column)


class Failed(Exception):
    """A value that could not be evaluated; its error is already recorded."""


class Errors:
    """Errors found so far; `check()` raises them, all at once."""

    def __init__(self):
        self.found: list[NeuroflowError] = []
        self.count = 0  # errors added, repeats included: a check compares it before and after

    def add(self, error: NeuroflowError) -> None:
        self.count += 1
        if all(error.format() != e.format() for e in self.found):
            self.found.append(error)

    def report(self, message: str, loc: Loc | None, hint: str | None = None) -> None:
        self.add(ModelError(message, loc, hint))

    @contextmanager
    def collect(self, loc: Loc | None = None) -> Iterator[None]:
        """Record a neuroflow error raised inside the block instead of stopping; an error
        without a location gets `loc`, the declaration being checked."""
        try:
            yield
        except ErrorList as many:
            for error in many.errors:
                self.add(error)
        except NeuroflowError as error:
            self.add(at(error, loc))

    def check(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ErrorList(sorted(self.found, key=_position))


def at(error: NeuroflowError, loc: Loc | None) -> NeuroflowError:
    """`error` located at `loc` if it has no location of its own."""
    if error.loc is not None or loc is None:
        return error
    kind = ParseError if isinstance(error, ParseError) else ModelError
    return kind(error.message, loc, error.hint)
