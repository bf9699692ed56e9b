"""The builder's arguments made into the parts of IR nodes: numbers, quantities (`20*ms`),
arrays and random draws as values in the internal unit system with their dimensions; model text,
as Brian2's strings or already parsed by a frontend (`Parsed`), as expressions and statements
with where they were written; and weights, delays, integration methods and names, checked."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Dimension, Loc, ModelError, Random, as_quantity, fold, get_unit
from .. import ir
from ._equations import EquationLine, parse_equations

FLOAT = "float"


@dataclass(frozen=True, slots=True)
class Parsed:
    """Model text a frontend has already parsed: an expression (a threshold, a refractory
    period), statements (a reset) or one statement (an `on_pre`), with where it was written."""

    value: ir.Expr | ir.Statement | tuple[ir.Statement, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class PerSynapse:
    """Weights computed for each synapse from an expression, with their dimension."""

    expr: ir.Expr
    dim: Dimension


def to_internal(value, what: str) -> tuple[float | tuple, Dimension]:
    """A user value (number, quantity, array) as internal-unit numbers and its dimension."""
    q = as_quantity(value)
    raw = np.asarray(q.internal(), dtype=float)
    if not np.all(np.isfinite(raw)):
        raise ModelError(f"{what} must be finite, got {value!r}")
    if raw.ndim == 0:
        return float(raw), q.dim
    if raw.ndim != 1:
        raise ModelError(f"{what} must be a number or a 1-d array, got shape {raw.shape}")
    return tuple(float(x) for x in raw), q.dim


def to_value(value, what: str, size: int) -> tuple[ir.Value, Dimension, tuple[int, ...]]:
    """Convert a user value into an IR `Value`, its dimension and its shape."""
    if isinstance(value, Random):
        dist, dim = value.to_ir()
        return dist, dim, (size,)
    number, dim = to_internal(value, what)
    if isinstance(number, tuple):
        if len(number) != size:
            raise ModelError(f"{what} has {len(number)} values but the population has {size}"
                             " neurons")
        return number, dim, (size,)
    return number, dim, ()


def parse_method(text: str, pop: str, loc: Loc | None) -> tuple[ir.Method, tuple]:
    """`"rkf45"` or `"rkf45(rtol=0, atol=1e-3, events=1)"`: the method and its options (numbers;
    `integrate` checks their names against the method)."""
    name, _, rest = str(text).partition("(")
    options = []
    if rest:
        if not rest.rstrip().endswith(")"):
            raise ModelError(f"the method of population '{pop}' misses its ')': {text!r}", loc)
        for item in filter(None, (i.strip() for i in rest.rstrip()[:-1].split(","))):
            key, equals, value = item.partition("=")
            try:
                options.append((key.strip(), float(value)))
            except ValueError:
                equals = ""
            if not equals or not key.strip().isidentifier():
                raise ModelError(f"the method options of population '{pop}' are name=number"
                                 f" pairs, got {item!r}", loc, "for example rkf45(atol=1e-3)")
    return ir.Method(name.strip()), tuple(options)


def as_delay(delay, name: str) -> ir.Value:
    """One delay for all synapses (a time), one per synapse (an array), or a distribution."""
    what = f"delay of projection '{name}'"
    value, dim = delay.to_ir() if isinstance(delay, Random) else to_internal(delay, what)
    if not (dim == ir.TIME or dim.is_dimensionless):  # plain numbers are ms
        raise ModelError(f"the {what} must be a time, got {delay!r}",
                         hint="for example delay=1.5*ms")
    return value


def equation_lines(equations: str | tuple[EquationLine, ...],
                   origin: str) -> tuple[EquationLine, ...]:
    if not isinstance(equations, str):
        return tuple(equations)
    return parse_equations(equations, origin) if equations.strip() else ()


def source_expr(source: str | Parsed, origin: str) -> tuple[ir.Expr, Loc]:
    """An expression given as text or already parsed, and where it was written."""
    if isinstance(source, Parsed):
        return source.value, source.loc
    where = Loc(origin, 1, 1, source)
    return ir.parse_expr(source, where, what=origin), where


def source_statements(source: str | Parsed, origin: str) -> tuple[tuple[ir.Statement, ...], Loc]:
    """Statements given as text (`v = Vr; w += b`) or already parsed, and where they were
    written."""
    if isinstance(source, Parsed):
        value = source.value
        return ((value,) if isinstance(value, ir.Statement) else tuple(value)), source.loc
    where = Loc(origin, 1, 1, source)
    return ir.parse_statements(source, where, what=origin), where


def expression(value, what: str) -> ir.Expr:
    """A quantity as a constant, or an expression given as text (or parsed)."""
    if isinstance(value, (str, Parsed)):
        return source_expr(value, what)[0]
    number, dim = to_internal(value, what)
    if isinstance(number, tuple):
        raise ModelError(f"the {what} must be one value or an expression, got an array",
                         hint="give per-neuron values as a parameter of the population and"
                              " name it here")
    return ir.Const(number, dim)


def refractory_period(refractory, pop: str) -> tuple[ir.Expr, Loc | None]:
    origin = f"refractory period of '{pop}'"
    if isinstance(refractory, (str, Parsed)):
        return source_expr(refractory, origin)
    value, dim = to_internal(refractory, origin)
    # a plain number is ms, for unitless models; a model with units then reports the mismatch
    if isinstance(value, tuple) or dim not in (ir.TIME, ir.DIMENSIONLESS) or value < 0:
        raise ModelError(f"the refractory period of '{pop}' must be a non-negative time, got"
                         f" {refractory!r}", hint="for example refractory=5*ms")
    return ir.Const(value, dim), None


def explicit_weights(effect: ir.Statement, weights, where: Loc, n_pre: int, n_post: int):
    """Bring an effect into the form `target += <expr using w>` with explicit weights.

    Returns `(value, dimension, shape, effect)`; the shape is `()` for one weight,
    `(n_synapses,)` for one per synapse and `(n_pre, n_post)` for a weight matrix."""
    uses_w = "w" in ir.names(effect.expr)
    if weights is None and not uses_w:
        # `ge += 0.6`: the constant becomes the weight, so every kernel only sums weights.
        if any(get_unit(n) is None for n in ir.names(effect.expr)):
            raise ModelError("on_pre without weights must add a constant or use 'w'", where,
                             "pass weights=... and write the effect with 'w'")
        value = fold(effect.expr)
        if not isinstance(value, ir.Const):
            raise ModelError(f"'{ir.to_text(effect.expr)}' is not a constant", where)
        return value.value, value.dim, (), ir.Statement(effect.target, effect.op, ir.Ref("w"))
    if weights is None:
        raise ModelError("on_pre uses 'w' but the projection has no weights", where,
                         "pass weights=...")
    if not uses_w:
        raise ModelError("the projection has weights but on_pre does not use 'w'", where,
                         f"write '{effect.target} {effect.op} w'")
    return (*weight_value(weights, where, n_pre, n_post), effect)


def weight_value(weights, where: Loc | None, n_pre: int,
                 n_post: int) -> tuple[ir.Value, Dimension, tuple[int, ...]]:
    """Weights as an IR value, its dimension and its shape: `()` for one weight or a
    distribution, `(n_synapses,)` for one per synapse, `(n_pre, n_post)` for a matrix."""
    if isinstance(weights, Random):
        dist, dim = weights.to_ir()
        return dist, dim, ()
    if isinstance(weights, PerSynapse):
        return weights.expr, weights.dim, ()
    q = as_quantity(weights)
    raw = np.asarray(q.internal(), dtype=float)
    if raw.ndim == 2 and raw.shape != (n_pre, n_post):
        raise ModelError(f"a weight matrix must have shape ({n_pre}, {n_post}), got {raw.shape}",
                         where)
    if raw.ndim > 2 or not np.all(np.isfinite(raw)):
        raise ModelError("weights must be a number, one finite value per synapse, or a (pre, post)"
                         " matrix", where)
    value = float(raw) if raw.ndim == 0 else tuple(float(x) for x in raw.ravel())
    return value, q.dim, raw.shape


def check_reserved(name: str, owner: str, loc: Loc | None) -> None:
    """Names that start with '_' are neuroflow's own (`_lastspike`, temporaries of the step,
    and in generated C++ the compiler's macros such as `__LINE__`): a model cannot use them."""
    if name.startswith("_"):
        raise ModelError(f"'{name}' of {owner} starts with '_', which neuroflow keeps for its"
                         " own names", loc, hint=f"rename it, e.g. '{name.lstrip('_') or 'x'}'")


def check_identifier(name, what: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelError(f"{what} name {name!r} is not a valid identifier",
                         hint="use letters, digits and _")
