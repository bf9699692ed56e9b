"""`factorize`: write each coupling's summand as terms `post * Σ_pre s * pre`.

Requires: a canonicalized model (constants folded).
Guarantees: a coupling whose summand is a sum of products, each of pre-only factors, post-only
factors and at most one weight `w`, gets `terms` with the same sum: `w*tanh(x_pre)` is
`{1} w {tanh(x_pre)}` (tanh once per pre neuron, not once per synapse), and a gap junction
`w*(v_pre - v_post)` is `{1} w {v_pre}` and `{-v_post} w {1}` (Σ w v_pre − v_post Σ w).
Terms with the same `pre` and weighting share one sum (their post factors add up).  A summand
that does not factor (`w*tanh(v_pre - v_post)`, `w**2`) keeps no terms: the backend evaluates it
once per synapse.
"""
from __future__ import annotations

from ..ir import (ONE, POST, PRE, Binary, Const, Coupling, CouplingTerm, Expr, Model, Ref, Unary,
                  divided, minus, names, negate, plus, times)
from ._manager import register_pass

# A product: its constant coefficient, and its other factors with their powers (1 or -1).
Product = tuple[float, list[tuple[Expr, int]]]


class NotFactorable(Exception):
    pass


def _expand(e: Expr) -> list[Product]:
    """`e` as a sum of products, multiplied out over `+`, `-`, `*` and `/`."""
    if isinstance(e, Const) and e.dim.is_dimensionless:
        return [(e.value, [])]
    if isinstance(e, Unary) and e.op == "-":
        return [(-c, f) for c, f in _expand(e.operand)]
    if isinstance(e, Binary) and e.op in ("+", "-"):
        sign = 1.0 if e.op == "+" else -1.0
        return _expand(e.left) + [(sign * c, f) for c, f in _expand(e.right)]
    if isinstance(e, Binary) and e.op == "*":
        return [(a * b, f + g) for a, f in _expand(e.left) for b, g in _expand(e.right)]
    if isinstance(e, Binary) and e.op == "/":
        right = _expand(e.right)
        if len(right) != 1:  # a sum below the line is one factor
            return [(c, f + [(e.right, -1)]) for c, f in _expand(e.left)]
        (b, g), = right
        return [(c / b, f + [(x, -p) for x, p in g]) for c, f in _expand(e.left)]
    return [(1.0, [(e, 1)])]


def _side(factor: Expr) -> str:
    found = names(factor)
    if not found:
        return POST  # a constant: applied once per post neuron, after the sum
    if found <= {n for n in found if n.endswith(PRE)}:
        return PRE
    if found <= {n for n in found if n.endswith(POST)}:
        return POST
    raise NotFactorable


def _term(product: Product) -> CouplingTerm:
    coefficient, factors = product
    sides = {PRE: ONE, POST: ONE}
    weighted = False
    for factor, power in factors:
        if factor == Ref("w"):
            if weighted or power != 1:
                raise NotFactorable
            weighted = True
            continue
        if "w" in names(factor):
            raise NotFactorable
        side = _side(factor)
        sides[side] = times(sides[side], factor) if power == 1 else divided(sides[side], factor)
    # the coefficient goes with the post factor if there is one (`-v_post`), else with the pre
    side = POST if sides[POST] != ONE else PRE
    if coefficient != 1.0:
        sides[side] = times(Const(coefficient), sides[side])
    return CouplingTerm(sides[POST], weighted, sides[PRE])


def factor_terms(summand: Expr) -> tuple[CouplingTerm, ...]:
    """The terms of `summand`, those with the same weighting and the same pre (then post) factor
    merged; () if it does not factor."""
    try:
        terms = [_term(p) for p in _expand(summand)]
    except NotFactorable:
        return ()
    by_pre: dict[tuple[bool, Expr], Expr] = {}
    for t in terms:
        key = (t.weighted, t.pre)
        by_pre[key] = _add(by_pre[key], t.post) if key in by_pre else t.post
    by_post: dict[tuple[bool, Expr], Expr] = {}
    for (weighted, pre), post in by_pre.items():
        key = (weighted, post)
        by_post[key] = _add(by_post[key], pre) if key in by_post else pre
    return tuple(CouplingTerm(_tidy(post), weighted, _tidy(pre))
                 for (weighted, post), pre in by_post.items())


def _add(a: Expr, b: Expr) -> Expr:
    if isinstance(b, Unary) and b.op == "-":
        return minus(a, b.operand)
    if isinstance(b, Const) and b.value < 0:
        return minus(a, negate(b))
    return plus(a, b)


def _tidy(e: Expr) -> Expr:
    """`-1*x` as `-x`."""
    if isinstance(e, Binary) and e.op == "*" and e.left == Const(-1.0):
        return negate(e.right)
    return e


@register_pass("factorize")
def factorize(model: Model, options) -> Model:
    couplings = [c for c in model.find(Coupling) if not c.terms]
    return model.replace(*(c.replace(terms=factor_terms(c.summand)) for c in couplings))
