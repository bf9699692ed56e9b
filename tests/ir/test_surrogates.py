"""Surrogates in the IR: their text, the model language and the builder, and what the verifier
refuses.  (Their slopes in gradients are checked in tests/runtime/test_function.py.)"""
import math

import pytest

import neuroflow as nf
from neuroflow import ir

TEXT = """neuroflow-ir 1
model m
population P size=3 method=euler
state P.v : float[3]<1> = 0.0
threshold P : v > 1.0 surrogate={}
"""


@pytest.mark.parametrize("written", ["fast_sigmoid(25.0)", "gaussian(0.5)", "arctan(2.0)",
                                     "{0.5 + 0.5*tanh(4.0*x)}"])
def test_text_round_trip(written):
    text = TEXT.format(written)
    assert ir.print_model(ir.parse_text(text)) == text


def test_defaults_and_the_smooth_steps_reach_zero_and_one():
    assert ir.parse_surrogate("fast_sigmoid").text() == "fast_sigmoid(25.0)"
    for name in ("sigmoid", "arctan", "piecewise_linear", "gaussian"):
        smooth = ir.surrogate(name).smooth
        low, high = (ir.fold(ir.substitute(smooth, {"x": ir.Const(x)})) for x in (-1e3, 1e3))
        assert math.isclose(low.value, 0.0, abs_tol=1e-3)
        assert math.isclose(high.value, 1.0, abs_tol=1e-3)


def test_model_language():
    text = """
neuron L {
    equations { dv/dt = -v/(10*ms) : 1 }
    threshold: v > 1 (surrogate = arctan(3))
    reset: v = 0
}
network n { population P[3] = L() }
"""
    assert "threshold P : v > 1.0 surrogate=arctan(3.0)" in ir.print_model(nf.load_text(text).model)
    with pytest.raises(nf.ModelError) as caught:
        nf.load_text(text.replace("arctan(3)", "arctam(3)"))
    assert caught.value.loc.line == 4 and "did you mean 'arctan'" in str(caught.value)
    with pytest.raises(nf.NeuroflowError, match="must be numbers"):
        nf.load_text(text.replace("arctan(3)", "arctan(tau)"))


def test_builder():
    net = nf.Network()
    net.population("P", 2, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                   surrogate="sigmoid(4*x)")
    assert "surrogate={sigmoid(4.0*x)}" in ir.print_model(net.build())
    with pytest.raises(nf.ModelError, match="no threshold"):
        nf.Network().population("Q", 2, "v : 1", surrogate="gaussian")
    with pytest.raises(nf.ModelError, match="is no surrogate"):
        nf.Network().population("Q", 2, "v : 1", threshold="v > 1", surrogate="tanh(y)")
    with pytest.raises(nf.ModelError, match="must be positive"):
        nf.Network().population("Q", 2, "v : 1", threshold="v > 1", surrogate="sigmoid(-1)")


def test_verifier_wants_one_comparison():
    text = TEXT.format("gaussian(0.5)").replace("v > 1.0", "v > 1.0 and v < 2.0")
    with pytest.raises(nf.IRError, match="not one comparison"):
        ir.verify(ir.parse_text(text))


def test_threshold_margin():
    margin, strict = ir.threshold_margin(ir.parse_expr("v >= Vt"))
    assert ir.to_text(margin) == "v - Vt" and not strict
    margin, strict = ir.threshold_margin(ir.parse_expr("rand() < rate*dt"))
    assert ir.to_text(margin) == "rate*dt - rand()" and strict
    assert ir.threshold_margin(ir.parse_expr("v > 1 or u > 1")) is None


@pytest.mark.parametrize("name", sorted(ir.SURROGATES))
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_each_written_out_slope_is_the_derivative_of_its_smooth_step(name):
    import jax
    import jax.numpy as jnp

    from neuroflow.backend.jax import evaluate

    class Margin:
        dtype = jnp.float64

        def __init__(self, x):
            self.x = x

        def lookup(self, _):
            return self.x

    surrogate = ir.surrogate(name, 0.7)
    for x in (-1.3, -0.2, 0.05, 0.4, 2.0):
        want = jax.grad(lambda v: evaluate(surrogate.smooth, Margin(v)))(jnp.float64(x))
        got = evaluate(surrogate.slope, Margin(jnp.float64(x)))
        assert math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=1e-14), (x, got)
