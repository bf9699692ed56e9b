"""The `factorize` pass, text in and text out, and the sum its terms compute checked against
the summand evaluated synapse by synapse."""
import itertools

import numpy as np
import pytest

from neuroflow import ir
from neuroflow.passes.factorize import factor_terms
from tests.passes.irtext import after, evaluate, lines

MODEL = """neuroflow-ir 1
model m
population A size=3 method=auto
population B size=2 method=auto
state A.x : float[3]<1> = [0.5, -1.0, 2.0]
state B.v : float[2]<1> = [0.25, -0.75]
state B.I : float[2]<1> = 0.0
coupling c : A[0:3] -> B[0:2] connect=all_to_all() w:float[]<1>=0.5 summed I = {SUMMAND} kernel=auto
"""


def coupling_line(summand: str) -> str:
    return lines(after(MODEL.replace("SUMMAND", summand), "factorize"), "coupling")[0]


@pytest.mark.parametrize("summand, terms", [
    ("w*tanh(x_pre)", "terms=[{1.0} w {tanh(x_pre)}]"),
    ("w*(x_pre - v_post)", "terms=[{1.0} w {x_pre}, {-v_post} w {1.0}]"),
    ("x_pre*v_post", "terms=[{v_post} 1 {x_pre}]"),
    ("(x_pre - 1)*w/2", "terms=[{1.0} w {0.5*x_pre - 0.5}]"),
])
def test_summands_that_factor_get_terms(summand, terms):
    assert f"}} {terms} kernel=auto" in coupling_line(summand)


@pytest.mark.parametrize("summand", ["w*tanh(x_pre - v_post)", "w**2*x_pre", "exp(w)*x_pre"])
def test_summands_that_do_not_factor_keep_none(summand):
    assert "terms=" not in coupling_line(summand)


SUMMANDS = ["w*tanh(x_pre)", "w*(x_pre - v_post)", "x_pre*v_post + w", "2*w*x_pre/(1 + v_post**2)",
            "-(w*x_pre - 3*v_post)*(v_post + x_pre*x_pre)", "w*x_pre*v_post - w/v_post + 1"]


@pytest.mark.parametrize("summand", SUMMANDS)
def test_terms_sum_to_the_summand(summand):
    """Σ_pre of the summand, synapse by synapse, equals Σ_terms post * Σ_pre s * pre."""
    terms = factor_terms(ir.parse_expr(summand))
    assert terms
    rng = np.random.default_rng(3)
    x, v, w = rng.normal(size=4), rng.normal(size=3) + 2, rng.normal(size=(4, 3))
    for j in range(3):
        direct = sum(evaluate(ir.parse_expr(summand), {"w": w[i, j], "x_pre": x[i],
                                                       "v_post": v[j]}) for i in range(4))
        factored = 0.0
        for term, i in itertools.product(terms, range(4)):
            s = w[i, j] if term.weighted else 1.0
            factored += (evaluate(term.post, {"v_post": v[j]}) * s
                         * evaluate(term.pre, {"x_pre": x[i]}))
        assert factored == pytest.approx(direct, rel=1e-12)
