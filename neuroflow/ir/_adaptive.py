"""Adaptive integration inside the fixed step: the IR's `AdaptiveSystem`, an item of a state
update's body, as `LinearSystem` is."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F

from ._expr import Expr, names, to_text


@dataclass(frozen=True, slots=True)
class EmbeddedPair:
    """An explicit Runge–Kutta tableau with two sets of weights: `high` gives the solution kept,
    `high - low` the error estimate of a sub-step; `order` is the lower order (the error's
    exponent in the step-size control is 1/(order + 1))."""

    c: tuple[F, ...]
    a: tuple[tuple[F, ...], ...]
    low: tuple[F, ...]
    high: tuple[F, ...]
    order: int

    def __post_init__(self):
        if not (sum(self.low) == sum(self.high) == 1
                and all(len(row) == i and sum(row) == c
                        for i, (row, c) in enumerate(zip(self.a, self.c)))):
            raise ValueError("an embedded pair needs consistent weights and nodes")


# Fehlberg's 4(5) pair, as in GSL's `rkf45`, which NEST integrates its conductance models with
RKF45 = EmbeddedPair(
    c=(F(0), F(1, 4), F(3, 8), F(12, 13), F(1), F(1, 2)),
    a=((),
       (F(1, 4),),
       (F(3, 32), F(9, 32)),
       (F(1932, 2197), F(-7200, 2197), F(7296, 2197)),
       (F(439, 216), F(-8), F(3680, 513), F(-845, 4104)),
       (F(-8, 27), F(2), F(-3544, 2565), F(1859, 4104), F(-11, 40))),
    low=(F(25, 216), F(0), F(1408, 2565), F(2197, 4104), F(-1, 5), F(0)),
    high=(F(16, 135), F(0), F(6656, 12825), F(28561, 56430), F(-9, 50), F(2, 55)),
    order=4)

EMBEDDED_PAIRS = {"rkf45": RKF45}


@dataclass(frozen=True, slots=True)
class AdaptiveSystem:
    """`dx/dt = f(x, t)` for the listed variables, integrated over the step by an embedded
    Runge–Kutta pair (`scheme`, as `rkf45`) in sub-steps of its own choice for each neuron, each
    sub-step's error estimate held below `atol + rtol*|x|` in every variable (GSL's rule, which
    NEST uses); at most `max_steps` sub-steps (the last one then goes to the end of the step
    unchecked).  `rhs` are the right-hand sides, subexpressions inlined.

    With `events`, the population's threshold is tested after every accepted sub-step (NEST's rule
    for AdEx): a neuron that crosses it is reset there, its refractory period starts, and its
    integration goes on to the end of the step; its spike belongs to this step (at most one a
    step), and the threshold and reset of the schedule then find them done."""

    scheme: str
    targets: tuple[str, ...]
    rhs: tuple[Expr, ...]
    rtol: float
    atol: float
    max_steps: int
    events: bool = False

    def __post_init__(self):
        if self.scheme not in EMBEDDED_PAIRS:
            raise ValueError(f"unknown adaptive scheme '{self.scheme}'; known:"
                             f" {', '.join(EMBEDDED_PAIRS)}")
        if len(self.targets) != len(self.rhs):
            raise ValueError(f"an adaptive system over {len(self.targets)} variables needs as"
                             f" many right-hand sides, got {len(self.rhs)}")
        if not (self.rtol >= 0 and self.atol >= 0 and self.rtol + self.atol > 0):
            raise ValueError(f"the tolerances of an adaptive step are at least 0 and not both 0,"
                             f" got rtol={self.rtol!r}, atol={self.atol!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) \
                or self.max_steps < 1:
            raise ValueError(f"max_steps is a whole number of at least 1, got {self.max_steps!r}")

    def names(self) -> set[str]:
        return set(self.targets).union(*(names(e) for e in self.rhs))

    def text(self) -> str:
        rhs = ", ".join(to_text(e) for e in self.rhs)
        return (f"adaptive {self.scheme} [{', '.join(self.targets)}] rhs=[{rhs}]"
                f" rtol={self.rtol!r} atol={self.atol!r} max_steps={self.max_steps}"
                + (" events" if self.events else ""))
