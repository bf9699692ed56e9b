"""Pass tests as text: run passes on a model written as IR text, and step a printed update by hand.

`after(text, pipeline)` is the printed IR after the passes.  `step(text, pop, **state)` computes
one step of the population's `update` block with plain Python floats, reading the block the way
its text reads, so a test can compare what the printed IR computes with a closed form worked out
in the test itself (not with the backend, not with the pass's own helpers).
"""
from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterator, Sequence

import numpy as np
from scipy.linalg import expm

from neuroflow import ir
from neuroflow.passes import run_pipeline


def after(text: str, pipeline: str) -> str:
    """The printed IR of the model `text` after `pipeline`, verified after each pass."""
    model = run_pipeline(ir.verify(ir.parse_text(text)), pipeline, verify_each=True)
    printed = ir.print(model)
    assert ir.print(ir.parse_text(printed)) == printed  # what the passes print reads back
    return printed


def lines(text: str, *starts: str) -> list[str]:
    """The lines of `text` that start with one of `starts`."""
    return [line for line in text.splitlines() if line.startswith(starts)]


_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "**": operator.pow, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_FUNCTIONS = {"exp": math.exp, "sqrt": math.sqrt, "sin": math.sin, "tanh": math.tanh, "int": int,
              "exprel": lambda z: math.expm1(z) / z if z else 1.0}


def evaluate(expr: ir.Expr, values: dict, randn: Iterator[float] | None = None) -> float:
    """The value of `expr` with `values` for its names; each `randn()` takes the next of `randn`."""
    def ev(e: ir.Expr):
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Ref):
            return values[e.name]
        if isinstance(e, ir.Unary):
            return -ev(e.operand) if e.op == "-" else not ev(e.operand)
        if isinstance(e, ir.Binary) and e.op in ("and", "or"):
            return (ev(e.left) and ev(e.right)) if e.op == "and" else (ev(e.left) or ev(e.right))
        if isinstance(e, ir.Binary):
            return _BINARY[e.op](ev(e.left), ev(e.right))
        if isinstance(e, ir.Where):
            return ev(e.then) if ev(e.cond) else ev(e.other)
        if isinstance(e, ir.Call) and e.func == "randn":
            assert randn is not None, "randn() with no numbers to draw"
            return next(randn)
        return _FUNCTIONS[e.func](*(ev(a) for a in e.args))
    return ev(expr)


def step(text: str, pop: str, randn: float | Sequence[float] = 0.0, **state: float) -> dict:
    """The state of one neuron of `pop` after one step of the `update` block in the IR `text`.

    Parameters and `dt` come from the model, `t` is 0 unless given; the calls of `randn()` return
    the numbers `randn` in the order they come in the block (one number: every call returns it).
    Temporaries (`_name`) take their value at once; state variables change together at the end
    of the block, as `ir.StateUpdate` defines.  A `LinearSystem` is
    `x(t+dt) = exp(A dt) x + int_0^dt exp(A s) ds b`, computed with scipy's `expm`.
    """
    model = ir.parse_text(text)
    values = {p.name: p.value for p in model.find(ir.Parameter, pop) if isinstance(p.value, float)}
    values.update({"dt": model.get("clock").dt, "t": 0.0, "not_refractory": True, **state})
    draws = iter(randn) if isinstance(randn, Sequence) else itertools.repeat(randn)
    new: dict[str, float] = {}
    for item in model.one(ir.StateUpdate, pop).body:
        if isinstance(item, ir.LinearSystem):
            new.update(_linear_step(item, values))
        elif item.target.startswith("_"):
            values[item.target] = evaluate(item.expr, values, draws)
        else:
            assert item.op == "=", item.text()
            new[item.target] = evaluate(item.expr, values, draws)
    return new


def _linear_step(system: ir.LinearSystem, values: dict[str, float]) -> dict[str, float]:
    n = len(system.targets)
    augmented = np.zeros((n + 1, n + 1))  # d/dt [x, 1] = [[A, b], [0, 0]] [x, 1]
    for i in range(n):
        augmented[i, :n] = [evaluate(e, values) for e in system.matrix[i]]
        augmented[i, n] = evaluate(system.offset[i], values)
    x = np.array([values[v] for v in system.targets] + [1.0])
    return dict(zip(system.targets, expm(augmented * values["dt"]) @ x))
