"""The registry of functions and operators: every evaluator reads the same entry, and each entry
is checked here against an independent reference (Python's math module and hand-written
formulas), its JAX lowering against its numpy evaluation, and its derivative against JAX's
autodiff of the lowering and against finite differences.  A new entry needs a reference here."""
import math
from fractions import Fraction
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import evaluate
from neuroflow.units import mV, ms

# name -> (reference on Python floats, sample arguments away from kinks and poles)
REFERENCES = {
    "exp": (math.exp, [(-3.0,), (0.5,), (20.0,)]),
    "expm1": (math.expm1, [(-1e-9,), (1e-3,), (2.0,)]),
    "exprel": (lambda x: math.expm1(x) / x, [(-2.0,), (1e-4,), (3.0,)]),
    "log": (math.log, [(0.1,), (2.0,), (1e5,)]),
    "log10": (math.log10, [(0.1,), (2.0,), (1e5,)]),
    "sin": (math.sin, [(-1.0,), (0.3,), (4.0,)]),
    "cos": (math.cos, [(-1.0,), (0.3,), (4.0,)]),
    "tan": (math.tan, [(-1.0,), (0.3,), (1.2,)]),
    "tanh": (math.tanh, [(-1.0,), (0.3,), (4.0,)]),
    "arctan": (math.atan, [(-3.0,), (0.3,), (40.0,)]),
    "erf": (math.erf, [(-1.5,), (0.2,), (2.5,)]),
    "sinh": (math.sinh, [(-1.0,), (0.3,), (4.0,)]),
    "cosh": (math.cosh, [(-1.0,), (0.3,), (4.0,)]),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)), [(-30.0,), (0.3,), (4.0,)]),
    "sqrt": (math.sqrt, [(0.01,), (2.0,), (1e6,)]),
    "abs": (abs, [(-2.5,), (0.3,)]),
    "sign": (lambda x: math.copysign(1.0, x), [(-2.5,), (0.3,)]),
    "floor": (math.floor, [(-2.5,), (0.3,), (7.7,)]),
    "ceil": (math.ceil, [(-2.5,), (0.3,), (7.7,)]),
    "int": (math.trunc, [(-2.5,), (0.3,), (7.7,)]),
    "clip": (lambda x, lo, hi: min(max(x, lo), hi), [(-2.0, -1.0, 1.0), (0.5, -1.0, 1.0),
                                                      (3.0, -1.0, 1.0)]),
    "minimum": (min, [(-2.0, 1.0), (3.0, 1.5)]),
    "maximum": (max, [(-2.0, 1.0), (3.0, 1.5)]),
}
RANDOM = {"rand", "randn"}
OPERANDS = [(1.5, 0.25), (-2.0, 3.0), (0.7, -0.4)]


class Values:
    """An environment of named float64 values for the JAX evaluator."""

    dtype = jnp.float64

    def __init__(self, **values):
        self.values = values

    def lookup(self, name):
        return self.values[name]

    def random(self, kind):
        raise AssertionError("no random numbers here")

    def delayed(self, name, time):
        raise AssertionError("no reads of the past here")


def _call(name, arity):
    return ir.Call(name, tuple(ir.Ref(a) for a in ir.ARGUMENTS[:arity]))


def _values(args):
    return dict(zip(ir.ARGUMENTS, (jnp.float64(a) for a in args)))


def test_every_function_has_a_reference_here():
    assert set(ir.FUNCTIONS) - RANDOM == set(REFERENCES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_numpy_evaluation_matches_the_reference(name):
    fn, (reference, samples) = ir.FUNCTIONS[name], REFERENCES[name]
    for args in samples:
        got = fn.evaluate(ir.NUMPY, *args)
        assert got == pytest.approx(reference(*args), rel=1e-14, abs=0), (name, args)


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_jax_lowering_matches_numpy(name):
    fn, (_, samples) = ir.FUNCTIONS[name], REFERENCES[name]
    for args in samples:
        got = evaluate(_call(name, fn.arity), Values(**_values(args)))
        assert float(got) == pytest.approx(float(fn.evaluate(ir.NUMPY, *args)), rel=1e-14), args


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_derivatives_match_autodiff_and_finite_differences(name):
    fn, (_, samples) = ir.FUNCTIONS[name], REFERENCES[name]
    expr = _call(name, fn.arity)
    for args in samples:
        for k, variable in enumerate(ir.ARGUMENTS[:fn.arity]):
            symbolic = float(evaluate(ir.differentiate(expr, variable), Values(**_values(args))))

            def along(value, k=k, args=args):
                moved = list(args)
                moved[k] = value
                return evaluate(expr, Values(**_values(moved)))
            assert symbolic == pytest.approx(float(jax.grad(along)(jnp.float64(args[k]))),
                                             rel=1e-12, abs=1e-300), (name, args, variable)
            h = 1e-6 * max(1.0, abs(args[k]))
            central = (float(along(args[k] + h)) - float(along(args[k] - h))) / (2 * h)
            assert symbolic == pytest.approx(central, rel=1e-6, abs=1e-9), (name, args, variable)


@pytest.mark.parametrize("key", sorted(ir.OPERATORS, key=str))
@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_operators_agree_on_numbers_arrays_and_jax(key):
    operator = ir.OPERATORS[key]
    logical = operator.symbol in ("not", "and", "or")
    samples = [(True, False), (True, True), (False, False)] if logical else OPERANDS
    for args in samples:
        args = args[:operator.arity]
        on_numbers = operator.python(*args)
        on_arrays = operator.evaluate(ir.NUMPY, *(np.asarray(a) for a in args))
        on_jax = operator.evaluate(ir.ArrayLibrary(jnp, "jax.scipy.special", jnp.float64),
                                   *(jnp.asarray(a) for a in args))
        assert on_arrays == pytest.approx(on_numbers, rel=1e-15), args
        assert float(on_jax) == pytest.approx(float(on_numbers), rel=1e-15), args


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_operator_derivatives_build_the_chain_rule():
    expr = ir.parse_expr("x**3/y - 2*x*y")
    dx, dy = ir.differentiate(expr, "x"), ir.differentiate(expr, "y")
    at = Values(x=jnp.float64(1.3), y=jnp.float64(0.7))
    assert float(evaluate(dx, at)) == pytest.approx(3 * 1.3**2 / 0.7 - 2 * 0.7, rel=1e-14)
    assert float(evaluate(dy, at)) == pytest.approx(-(1.3**3) / 0.7**2 - 2 * 1.3, rel=1e-14)
    with pytest.raises(ValueError, match="has no derivative"):
        ir.differentiate(ir.parse_expr("x*rand()*(x > 0)"), "x")


# -- a function registered by a test reaches every evaluator ---------------------------------

SOFTPLUS = ir.Function(
    "softplus", 1, lambda dims: ir.DIMENSIONLESS, "log(1 + exp(x))",
    array=lambda library, x: library.numpy.logaddexp(0.0, x),
    cpp="nf_log(real(1) + nf_exp({0}))", derivatives=("sigmoid(x)",))


def softplus(x):
    return np.log1p(np.exp(x))


@pytest.fixture
def registered():
    ir.register_function(SOFTPLUS)
    yield SOFTPLUS
    ir.unregister_function("softplus")


MODEL = """
neuron Leaky {
    parameters { tau = 10*ms; drive : 1 }
    equations { dv/dt = (softplus(drive)*mV - v)/tau : volt }
    initial { v = softplus(-1)*mV }
}

network net {
    population P[3] = Leaky(drive = [-2, 0.5, 3])
    monitor P.v
}
"""


def _leaky_by_builder():
    net = nf.Network("net")
    P = net.population("P", 3, equations="""
        dv/dt = (softplus(drive)*mV - v)/tau : volt
        drive : 1 (constant)
    """, params=dict(tau=10 * ms, drive=np.array([-2, 0.5, 3])), init=dict(v=softplus(-1) * mV))
    net.monitor(P, "v")
    return net.build()


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("source", ["file", "builder"])
def test_a_registered_function_works_in_files_builder_folding_jax_and_native_blocks(
        registered, native, source):
    model = (nf.load_text(textwrap.dedent(MODEL), "leaky.nfl").model if source == "file"
             else _leaky_by_builder())
    sim = nf.compile(model, dt=0.1 * ms, dtype="float64", native=native)
    assert bool(sim.program.native_blocks) == native
    t, v = sim.run(20 * ms, seed=0).trace("P", "v")
    # dv/dt = (s - v)/tau from v(0) = softplus(-1): v(t) = s + (v0 - s) exp(-t/tau)
    drive = softplus(np.array([-2, 0.5, 3]))
    exact = drive + (softplus(-1) - drive) * np.exp(-np.asarray(t)[:, None] / 10)
    np.testing.assert_allclose(v, exact, rtol=1e-9)


def test_a_registered_function_folds_and_differentiates(registered):
    folded = ir.fold(ir.parse_expr("softplus(2)*mV"))
    assert isinstance(folded, ir.Const) and folded.dim == mV.dim
    assert folded.value == pytest.approx(softplus(2.0), rel=1e-15)
    assert ir.differentiate(ir.parse_expr("softplus(x)"), "x") == ir.parse_expr("sigmoid(x)")
    with pytest.raises(ValueError, match="exists already"):
        ir.register_function(SOFTPLUS)


def test_operator_unit_rules():
    volt, second = mV.dim, ms.dim
    expr = ir.parse_expr("a + b")
    assert ir.OPERATORS["+", 2].unit(expr, volt, volt) == volt
    with pytest.raises(ir.UnitError, match="unit mismatch in 'a \\+ b'"):
        ir.OPERATORS["+", 2].unit(expr, volt, second)
    assert ir.OPERATORS["/", 2].unit(ir.parse_expr("a/b"), volt, second) == volt / second
    power = ir.OPERATORS["**", 2].unit(ir.parse_expr("a**-1.5"), second, ir.DIMENSIONLESS)
    assert power == second ** Fraction(-3, 2)
    with pytest.raises(ir.UnitError, match="variable power"):
        ir.OPERATORS["**", 2].unit(ir.parse_expr("a**b"), second, ir.DIMENSIONLESS)
    assert ir.OPERATORS["<", 2].unit(ir.parse_expr("a < b"), volt, volt) == volt
    assert ir.OPERATORS["not", 1].unit(ir.parse_expr("not a"), ir.DIMENSIONLESS) == ir.DIMENSIONLESS
