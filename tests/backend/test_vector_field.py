"""The vector field (the ODEs before integration) against hand-written right-hand sides and
against the simulated step: one Euler step of the compiled model is x + dt*f(x)."""
import jax
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.backend.jax import LoweringError, vector_field
from neuroflow.passes import run_pipeline
from tests.conftest import EXAMPLES

BEFORE_INTEGRATION = "resolve,canonicalize,factorize"
EULER = "resolve,canonicalize,factorize,integrate{method=euler},merge,delays,kernels,fuse,schedule"


def field_of(path):
    return vector_field(run_pipeline(nf.load(path).model, BEFORE_INTEGRATION))


def euler_rate(path, x_by_name=None):
    """(step(x) - x)/dt of the compiled model (float64, Euler), from its initial state."""
    sim = nf.compile(nf.load(path).model, dt=1e-3, dtype="float64", pipeline=EULER, native=False)
    program = sim.program
    state, params, conn = program.initial(0)
    new, _ = program.step(state, params, conn, program.prepare(params))
    return state["pops"], new["pops"], program.dt


def test_fitzhugh_nagumo_matches_its_closed_form():
    field = field_of(EXAMPLES / "fitzhugh_nagumo.nfl")
    assert [e.name for e in field.layout] == ["P.V", "P.w"]
    rng = np.random.default_rng(1)
    for x in rng.uniform(-2, 2, (5, 2)):
        for current in (0.0, 0.7):
            v, w = x
            expected = [v - v**3 / 3 - w + current, (v + 0.7 - 0.8 * w) / 12.5]
            got = np.asarray(field(x, {"P.I": current}))
            np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


def test_jacobian_by_jacfwd_is_the_hand_jacobian():
    field = field_of(EXAMPLES / "fitzhugh_nagumo.nfl")
    v, w = 0.3, -0.4
    jac = np.asarray(jax.jacfwd(field)(np.array([v, w])))
    np.testing.assert_allclose(jac, [[1 - v**2, -1], [1 / 12.5, -0.8 / 12.5]], rtol=1e-14)


@pytest.mark.parametrize("example", ["wilson_cowan.nfl", "rate_rnn.nfl", "hh.nfl"])
def test_field_is_the_euler_step(example):
    """Populations with subexpressions (Wilson-Cowan, HH) and a network coupled through a
    summed variable (a random rate network of 1000 units)."""
    field = field_of(EXAMPLES / example)
    old, new, dt = euler_rate(EXAMPLES / example)
    x0 = np.concatenate([np.asarray(old[e.pop][e.var]) for e in field.layout])
    np.testing.assert_allclose(field.x0, x0, rtol=0, atol=0)
    stepped = np.concatenate([(np.asarray(new[e.pop][e.var]) - np.asarray(old[e.pop][e.var]))
                              / dt for e in field.layout])
    rate = np.asarray(field(field.x0))
    np.testing.assert_allclose(rate, stepped, rtol=1e-9, atol=1e-9 * np.abs(rate).max())


def test_coupled_rate_network_against_a_hand_written_sum():
    field = field_of(EXAMPLES / "rate_rnn.nfl")
    weights = np.asarray(field.conn["recurrent"]["weights"])  # [pre, post]
    x = np.random.default_rng(2).normal(size=field.size)
    expected = (-x + np.tanh(x) @ weights) / 10.0
    np.testing.assert_allclose(np.asarray(field(x)), expected, rtol=1e-10, atol=1e-12)


def test_unknown_parameter_and_integrated_model_are_errors():
    field = field_of(EXAMPLES / "fitzhugh_nagumo.nfl")
    with pytest.raises(LoweringError, match="did you mean .*'P.I'"):
        field(field.x0, {"P.J": 1.0})
    integrated = run_pipeline(nf.load(EXAMPLES / "fitzhugh_nagumo.nfl").model,
                              BEFORE_INTEGRATION + ",integrate")
    with pytest.raises(LoweringError, match="was integrated"):
        vector_field(integrated)
