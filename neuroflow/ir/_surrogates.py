"""Surrogate gradients: the smooth step whose slope stands in for a threshold's in gradients.

A spike is a step function of the threshold's margin `x` (`v - Vt` for `v > Vt`), whose
derivative is zero almost everywhere.  Training replaces that derivative by the slope of a
smooth step `G(x)`, written in the expression language as a function of `x` alone, so that the
backend differentiates it like any other expression.  The standard set follows snnTorch's and
Spyx's conventions (the slope at 0 is the same as theirs); a model may give its own `G`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ._algebra import differentiate
from ._errors import ModelError, did_you_mean
from ._expr import Binary, Call, Const, Expr, Ref, Unary, calls, names, substitute, to_text
from ._exprparse import parse_expr
from ._fold import fold
from ._functions import FUNCTIONS

MARGIN = "x"
"""The name of the threshold's margin in a surrogate's smooth step."""


@dataclass(frozen=True, slots=True)
class SurrogateKind:
    """A named family of smooth steps: `smooth` is `G(x)` and `slope` its derivative, written
    out (shorter than what differentiating `smooth` gives, and a step computes it every
    time), with `params` as names in both."""

    name: str
    params: tuple[str, ...]
    defaults: tuple[float, ...]
    smooth: str
    slope: str
    doc: str


SURROGATES: dict[str, SurrogateKind] = {k.name: k for k in [
    SurrogateKind("fast_sigmoid", ("slope",), (25.0,), "0.5 + x/(1 + slope*abs(x))",
                  "1/(1 + slope*abs(x))**2", "SuperSpike (Zenke & Ganguli 2018)"),
    SurrogateKind("sigmoid", ("slope",), (5.0,), "sigmoid(slope*x)",
                  "slope*sigmoid(slope*x)*(1 - sigmoid(slope*x))", "the logistic function"),
    SurrogateKind("arctan", ("alpha",), (2.0,), "0.5 + arctan(1.5707963267948966*alpha*x)"
                  "/3.141592653589793", "(alpha/2)/(1 + (1.5707963267948966*alpha*x)**2)",
                  "snnTorch's default"),
    SurrogateKind("piecewise_linear", ("width",), (1.0,),
                  "0.5 + clip(x/width, -1, 1) - clip(x/width, -1, 1)*abs(clip(x/width, -1, 1))/2",
                  "maximum(1 - abs(x)/width, 0)/width", "a triangle of half-width `width`"),
    SurrogateKind("gaussian", ("sigma",), (0.5,), "0.5 + 0.5*erf(x/(1.4142135623730951*sigma))",
                  "exp(-x**2/(2*sigma**2))/(2.5066282746310002*sigma)",
                  "the normal density of standard deviation sigma"),
]}


@dataclass(frozen=True, slots=True)
class Surrogate:
    """A threshold's surrogate: a kind with its arguments, or (`kind` None) a step of the
    model's own.  `smooth` is `G(x)` with the arguments filled in, `slope` its derivative."""

    kind: str | None
    args: tuple[float, ...]
    smooth: Expr
    slope: Expr = field(default=None, compare=False)

    def __post_init__(self):
        if self.slope is None:  # a step of the model's own: its derivative, folded
            object.__setattr__(self, "slope", fold(differentiate(self.smooth, MARGIN)))

    def text(self) -> str:
        if self.kind is None:
            return "{" + to_text(self.smooth) + "}"
        return f"{self.kind}({', '.join(repr(float(a)) for a in self.args)})"


def surrogate(kind: str, *args: float) -> Surrogate:
    """The surrogate `kind` with `args` (its defaults where left out)."""
    family = SURROGATES.get(kind)
    if family is None:
        raise ModelError(f"unknown surrogate '{kind}'",
                         hint=did_you_mean(kind, SURROGATES)
                         or f"surrogates: {', '.join(SURROGATES)}, or an expression of x")
    if len(args) > len(family.params):
        raise ModelError(f"surrogate '{kind}' takes {len(family.params)} argument(s)"
                         f" ({', '.join(family.params)}), got {len(args)}")
    values = tuple(float(a) for a in args) + family.defaults[len(args):]
    if not all(v > 0 for v in values):
        raise ModelError(f"the arguments of surrogate '{kind}' must be positive, got"
                         f" {', '.join(map(repr, values))}")
    given = {p: Const(v) for p, v in zip(family.params, values)}
    return Surrogate(kind, values, substitute(parse_expr(family.smooth), given),
                     fold(substitute(parse_expr(family.slope), given)))


def parse_surrogate(text: str, loc=None, what: str = "surrogate") -> Surrogate:
    """`fast_sigmoid(25)`, `gaussian()`, or a smooth step of the model's own in `x`."""
    return surrogate_from_expr(parse_expr(text.strip(), loc, what), loc)


def surrogate_from_expr(expr: Expr, loc=None) -> Surrogate:
    """The surrogate an expression names (`fast_sigmoid(25)`) or is (a step in `x`)."""
    if isinstance(expr, Ref) and expr.name in SURROGATES:
        return surrogate(expr.name)
    if isinstance(expr, Call) and expr.func in SURROGATES and MARGIN not in names(expr):
        values = []
        for arg in expr.args:
            value = _number(arg)
            if value is None:
                raise ModelError(f"the arguments of surrogate '{expr.func}' must be numbers, got"
                                 f" '{to_text(arg)}'", loc)
            values.append(value)
        return surrogate(expr.func, *values)
    other = names(expr) - {MARGIN}
    if other or MARGIN not in names(expr):
        known = ", ".join(SURROGATES)
        close = did_you_mean(expr.func, SURROGATES) if isinstance(expr, Call) else None
        raise ModelError(f"'{to_text(expr)}' is no surrogate", loc,
                         hint=close or f"surrogates: {known}, e.g. fast_sigmoid(25); or a smooth"
                                       " step written in x, the threshold's margin, e.g."
                                       " sigmoid(4*x)")
    for name in calls(expr):
        if name not in FUNCTIONS or FUNCTIONS[name].is_random:
            raise ModelError(f"surrogate '{to_text(expr)}' calls '{name}', which is not a"
                             " deterministic function of the language", loc)
    return Surrogate(None, (), expr)


def _number(e: Expr) -> float | None:
    if isinstance(e, Const):
        return float(e.value)
    if isinstance(e, Unary) and e.op == "-" and isinstance(e.operand, Const):
        return -float(e.operand.value)
    return None


def threshold_margin(cond: Expr) -> tuple[Expr, bool] | None:
    """`(x, strict)` with `cond == (x > 0)` (or `x >= 0` when not strict) for a threshold that
    is one comparison; None otherwise."""
    if not isinstance(cond, Binary) or cond.op not in (">", ">=", "<", "<="):
        return None
    x = (Binary("-", cond.left, cond.right) if cond.op in (">", ">=")
         else Binary("-", cond.right, cond.left))
    return x, cond.op in (">", "<")
