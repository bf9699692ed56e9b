"""Collecting the errors of a model file, so that one run reports all of them.

Each declaration is checked on its own; its errors go into an `Errors` collector and the
checks go on with the next declaration.  At the end, one error is raised: the error itself
if there is one, else an `ErrorList` that prints every error with its location.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..ir import ErrorList, Loc, ModelError, NeuroflowError, ParseError, raise_all


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

    def add_unreported(self, found: list[NeuroflowError], cascades: tuple[str, ...] = ()) -> None:
        """Add the errors in `found` that are on a line with no error yet and whose message does
        not start with one of `cascades`: the verifier's errors of a model built around errors
        already reported (a line with an error may be left out, or built in part)."""
        reported = {(e.loc.origin, e.loc.line) for e in self.found if e.loc is not None}
        for error in found:
            if error.message.startswith(cascades):
                continue
            if error.loc is not None and (error.loc.origin, error.loc.line) not in reported:
                self.add(error)
            elif error.loc is None and not self.found:
                self.add(error)

    def check(self) -> None:
        raise_all(self.found)


def at(error: NeuroflowError, loc: Loc | None) -> NeuroflowError:
    """`error` located at `loc` if it has no location of its own."""
    if error.loc is not None or loc is None:
        return error
    kind = ParseError if isinstance(error, ParseError) else ModelError
    return kind(error.message, loc, error.hint)
