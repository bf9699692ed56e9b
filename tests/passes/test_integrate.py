"""The integrate pass: method choice, and convergence orders against scipy's solve_ivp."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.units import ms


def model(equations, params, init, n=1, method="auto"):
    net = nf.Network("m")
    net.population("P", n, equations, params=params, init=init, method=method)
    net.monitor("P", "x")
    return net.build()


def update_of(m, method=""):
    options = f"{{method={method}}}" if method else ""
    lowered = run_pipeline(m, f"resolve,canonicalize,integrate{options},schedule", verify_each=True)
    return lowered.one(ir.StateUpdate, "P")


def test_auto_picks_exact_for_linear_and_exponential_euler_for_conditionally_linear():
    linear = model("dx/dt = (a - x)/tau : 1", dict(a=1.0, tau=5 * ms), {})
    assert update_of(linear).method == "exact"
    conditional = model("dx/dt = (1 - x)*y/tau : 1\ndy/dt = -y*x/tau : 1", dict(tau=5 * ms), {})
    assert update_of(conditional).method == "exponential_euler"
    nonlinear = model("dx/dt = -x**3/tau : 1", dict(tau=5 * ms), {})
    assert update_of(nonlinear).method == "rk4"


def test_forcing_an_impossible_method_is_an_error():
    nonlinear = model("dx/dt = -x**3/tau : 1", dict(tau=5 * ms), {})
    with pytest.raises(nf.ModelError, match="cannot integrate"):
        update_of(nonlinear, "exact")
    with pytest.raises(nf.ModelError, match="did you mean"):
        update_of(nonlinear, "rk5")


# A nonlinear test problem, conditionally linear so that exponential Euler applies too.
EQUATIONS = """
dx/dt = -x*y**2/tau + sin(y)/tau : 1
dy/dt = (1 - y)/tau + 0.1*x**2/tau : 1
"""


def final_x(method, dt):
    m = model(EQUATIONS, dict(tau=1 * ms), dict(x=1.5, y=-0.5), method=method)
    results = nf.compile(m, dt=dt, dtype="float64").run(2.0 + dt)
    t, x = results.trace("P", "x")
    return x[np.argmin(np.abs(t - 2.0)), 0]


@pytest.mark.parametrize("method,order", [("euler", 1), ("rk4", 4), ("exponential_euler", 1)])
def test_convergence_order(method, order):
    reference = solve_ivp(lambda t, s: [-s[0] * s[1] ** 2 + np.sin(s[1]), (1 - s[1]) + 0.1 * s[0] ** 2], (0, 2.0), [1.5, -0.5],
                          rtol=1e-12, atol=1e-12).y[0, -1]
    steps = [0.1, 0.05, 0.025, 0.0125] if order == 1 else [0.05, 0.025, 0.0125, 0.00625]
    errors = [abs(final_x(method, dt) - reference) for dt in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (errors, slope)
