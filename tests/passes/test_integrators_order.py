"""Convergence orders of the ODE integrators against scipy, and `exact` against a closed-form
solution."""
from functools import lru_cache

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.units import Hz, ms

# A nonlinear test problem, conditionally linear so that exponential Euler applies too.
EQUATIONS = """
dx/dt = -x*y**2/tau + sin(y)/tau : 1
dy/dt = (1 - y)/tau + 0.1*x**2/tau : 1
"""
ORDERS = {"euler": 1, "rk2": 2, "heun": 2, "rk4": 4, "exponential_euler": 1}
STEPS = (0.05, 0.025, 0.0125, 0.00625)  # ms
T_END = 2.0  # ms


def reference_x() -> float:
    # tau = 1 ms, so in ms the problem reads as below; DOP853 at rtol 1e-12 is far below the
    # smallest error measured
    def rhs(t, s):
        x, y = s
        return [-x * y**2 + np.sin(y), (1 - y) + 0.1 * x**2]
    return solve_ivp(rhs, (0, T_END), [1.5, -0.5], method="DOP853", rtol=1e-12, atol=1e-14).y[0, -1]


@lru_cache(maxsize=None)
def final_x(dt: float) -> dict[str, float]:
    """x(T_END) for every method at step `dt`: one population per method, one compilation per step
    size."""
    net = nf.Network("orders")
    for method in ORDERS:
        net.population(method, 1, EQUATIONS, params=dict(tau=1 * ms), init=dict(x=1.5, y=-0.5),
                       method=method)
        net.monitor(method, "x")
    results = nf.compile(net.build(), dt=dt * ms, dtype="float64").run((T_END + dt) * ms)
    finals = {}
    for method in ORDERS:
        # sampled at the start of each step: the sample at T_END is x(T_END)
        t, x = results.trace(method, "x")
        finals[method] = x[np.argmin(np.abs(t - T_END)), 0]
    return finals


def test_the_methods_are_the_ones_asked_for():
    net = nf.Network("m")
    for method in ORDERS:
        net.population(method, 1, EQUATIONS, params=dict(tau=1 * ms), method=method)
    lowered = run_pipeline(net.build(), "resolve,canonicalize,integrate,schedule", verify_each=True)
    assert {u.pop: u.method for u in lowered.find(ir.StateUpdate)} == {m: m for m in ORDERS}


@pytest.mark.parametrize("method", list(ORDERS))
def test_convergence_order(method):
    reference = reference_x()
    errors = [abs(final_x(dt)[method] - reference) for dt in STEPS]
    slope = np.polyfit(np.log(STEPS), np.log(errors), 1)[0]
    assert abs(slope - ORDERS[method]) < 0.3, (errors, slope)


# A coupled linear system: a damped rotation around (a, c), integrated with a matrix exponential.
TAU, OMEGA, A, C = 30.0, 2 * np.pi / 40.0, 2.0, -1.0  # ms, rad/ms, and the fixed point
ROTATION = """
dx/dt = -(x - a)/tau - omega*(y - c) : 1
dy/dt = omega*(x - a) - (y - c)/tau : 1
"""


def rotation(t):
    decay = np.exp(-t / TAU)
    u0, v0 = 1.0 - A, 0.5 - C
    return (A + decay * (u0 * np.cos(OMEGA * t) - v0 * np.sin(OMEGA * t)),
            C + decay * (u0 * np.sin(OMEGA * t) + v0 * np.cos(OMEGA * t)))


@pytest.mark.parametrize("dt", [0.1, 5.0])
def test_exact_matches_the_analytic_solution_of_a_coupled_linear_system(dt):
    net = nf.Network("rotation")
    net.population("P", 1, ROTATION, params=dict(tau=TAU * ms, omega=OMEGA * 1000 * Hz, a=A, c=C),
                   init=dict(x=1.0, y=0.5), method="exact")
    net.monitor("P", "x")
    net.monitor("P", "y")
    sim = nf.compile(net.build(), dt=dt * ms, dtype="float64")
    assert "method=exact" in sim.ir and "exact [x, y]" in sim.ir  # coupled: a matrix exponential
    results = sim.run(100 * ms)
    t, x = results.trace("P", "x")
    _, y = results.trace("P", "y")
    x_true, y_true = rotation(t)
    scale = np.max(np.abs(np.concatenate([x_true, y_true])))
    assert np.max(np.abs(x[:, 0] - x_true)) / scale < 1e-9
    assert np.max(np.abs(y[:, 0] - y_true)) / scale < 1e-9


@pytest.mark.parametrize("method,order", [("rk2", 2), ("heun", 2), ("rk4", 4)])
def test_time_dependent_right_hand_side_keeps_the_order(method, order):
    """Stages are evaluated at their own time: dx/dt = cos(t) - x has the exact solution
    x(t) = (cos t + sin t - e^-t)/2 for x(0) = 0 (a unitless model, t in ms)."""
    errors = []
    steps = [0.2, 0.1, 0.05, 0.025]
    for dt in steps:
        net = nf.Network("forced")
        net.population("P", 1, "dx/dt = cos(t) - x : 1", method=method)
        net.monitor("P", "x")
        t, x = nf.compile(net.build(), dt=dt, dtype="float64").run(2.0 + dt).trace("P", "x")
        k = int(round(2.0 / dt))
        errors.append(abs(x[k, 0] - (np.cos(2.0) + np.sin(2.0) - np.exp(-2.0)) / 2))
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (errors, slope)
