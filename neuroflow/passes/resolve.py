"""`resolve`: check names, types and units, and report problems in the model's terms.

Requires: a model from a frontend (nodes may carry source locations).
Guarantees: every name resolves, every expression type-checks with matching
units, and the model passes `ir.verify`.  Errors are `ModelError`s that point
into the equation string or file the offending text came from.
"""
from __future__ import annotations

from ..ir import IRError, Model, ModelError, verify
from ._manager import register_pass


@register_pass("resolve")
def resolve(model: Model, options) -> Model:
    try:
        return verify(model)
    except IRError as err:  # the verifier's checks, reported as the user's mistake
        raise ModelError(getattr(err, "detail", err.message), err.loc, err.hint) from None
