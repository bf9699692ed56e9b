"""`resolve`: check names, types and units, and report problems in the model's terms.

Requires: a model from a frontend (nodes may carry source locations).
Guarantees: every name resolves, every expression type-checks with matching
units, and the model passes `ir.verify`.  Errors are `ModelError`s that point
into the equation string or file the offending text came from; independent
errors (in different equations, populations, projections) are raised together,
as one `ErrorList`.
"""
from __future__ import annotations

from ..ir import Model, model_errors, raise_all
from ._manager import register_pass


@register_pass("resolve")
def resolve(model: Model, options) -> Model:
    raise_all(model_errors(model))
    return model
