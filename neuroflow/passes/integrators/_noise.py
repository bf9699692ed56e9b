"""White noise in equations: split a right-hand side into drift and diffusion, and draw increments.

An equation with noise (Brian2's syntax) reads

    dx/dt = f(x) + g_1(x)*xi_1 + g_2(x)*xi_2 + ...

with `xi_k` independent white noise in second**-1/2.  It is the SDE `dx = f dt + sum_k g_k dW_k`:
`f` is the drift and `g_k` the diffusion coefficient of noise `xi_k`.  Each equation must be linear
in every `xi_k` (a coefficient times `xi_k`); `xi**2` or `exp(xi)` have no meaning as an SDE.

In the lowered step, `_dW_xi = sqrt(dt)*randn()` is the Brownian increment of
`xi` over the step: one temporary per noise, drawn once at the top of the
`update` block and read by every equation and every stage that uses it.
"""
from __future__ import annotations

from ...ir import (Binary, Call, Expr, Loc, ModelError, Ref, Statement, decompose, is_noise, names,
                   times, to_text)

DT = Ref("dt")
SQRT_DT = Call("sqrt", (DT,))


def noise_names(exprs, model_names: set[str]) -> tuple[str, ...]:
    """The noise sources in `exprs`, in a stable order (names the model defines are not noise)."""
    found: set[str] = set()
    for e in exprs:
        found |= {n for n in names(e) if is_noise(n) and n not in model_names}
    return tuple(sorted(found, key=lambda n: (n != "xi", len(n), n)))


def split_noise(var: str, rhs: Expr, noises: tuple[str, ...],
                loc: Loc | None) -> tuple[Expr, dict[str, Expr]]:
    """`(f, {xi_k: g_k})` with `rhs == f + sum_k g_k*xi_k`; a `ModelError` if not linear in xi."""
    used = names(rhs) & set(noises)
    if not used:
        return rhs, {}
    linear = decompose(rhs, used)
    if linear is None:
        raise ModelError(f"the noise in d{var}/dt must enter linearly, as a coefficient times xi;"
                         f" got '{to_text(rhs)}'", loc,
                         "white noise (xi, xi_1, …) may be multiplied by an expression, but not"
                         " squared, multiplied by another noise or passed to a function")
    coefficients, drift = linear
    return drift, {xi: coefficients[xi] for xi in noises if xi in coefficients}


def increment(noise: str) -> Ref:
    """The Brownian increment of `noise` over the step (a temporary of the `update` block)."""
    return Ref(f"_dW_{noise}")


def draw_increments(noises: tuple[str, ...]) -> list[Statement]:
    """`_dW_xi = sqrt(dt)*randn()` for every noise: drawn once per step, per neuron."""
    return [Statement(increment(xi).name, "=", times(SQRT_DT, Call("randn", ()))) for xi in noises]


def stochastic_terms(diffusion: dict[str, Expr]) -> Expr | None:
    """`sum_k g_k*_dW_k` for one equation, None without noise."""
    total = None
    for xi, g in diffusion.items():
        term = times(g, increment(xi))
        total = term if total is None else Binary("+", total, term)
    return total


def depends_on(e: Expr, variables) -> bool:
    """Whether `e` mentions any of `variables`."""
    return bool(names(e) & set(variables))
