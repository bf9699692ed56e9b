"""Delay differential equations: `x(t - tau)` reads a state variable's history."""
import math

import numpy as np
import pytest

import neuroflow as nf
from tests.passes.irtext import after

BETA, GAMMA, N, TAU, X0 = 0.2, 0.1, 10, 17.0, 1.2


def mackey_glass_reference(t_end: float, dt: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """An independent fixed-step RK4 in plain Python, with the history linearly interpolated
    and constant (X0) before t = 0, at a step 100 times finer than the model's."""
    lag = int(round(TAU / dt))
    x = [X0]

    def past(k: float) -> float:  # x at step index k (fractional), X0 before the start
        if k <= 0:
            return X0
        i = int(math.floor(k))
        frac = k - i
        return x[i] if frac == 0 else (1 - frac) * x[i] + frac * x[i + 1]

    def f(value: float, delayed: float) -> float:
        return BETA * delayed / (1 + delayed ** N) - GAMMA * value

    for n in range(int(round(t_end / dt))):
        d0, d_half, d1 = past(n - lag), past(n + 0.5 - lag), past(n + 1 - lag)
        k1 = f(x[n], d0)
        k2 = f(x[n] + 0.5 * dt * k1, d_half)
        k3 = f(x[n] + 0.5 * dt * k2, d_half)
        k4 = f(x[n] + dt * k3, d1)
        x.append(x[n] + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    return np.arange(len(x)) * dt, np.asarray(x)


def mackey_glass(dt: float, t_end: float, method: str = "rk4"):
    net = nf.Network("mackey_glass")  # a unitless model: time in ms
    net.population("M", 1, "dx/dt = beta*x(t - tau)/(1 + x(t - tau)**10) - gamma*x : 1",
                   params=dict(beta=BETA, gamma=GAMMA, tau=TAU), init=dict(x=X0), method=method)
    net.monitor("M", "x")
    sim = nf.compile(net.build(), dt=dt, dtype="float64")
    t, x = sim.run(t_end).trace("M", "x")
    return sim, t, x[:, 0]


@pytest.fixture(scope="module")
def reference():
    return mackey_glass_reference(300.0)


def test_mackey_glass_agrees_with_a_fine_reference(reference):
    t_ref, x_ref = reference
    sim, t, x = mackey_glass(0.1, 300.0)
    assert "buffer M.x kind=history steps=171" in sim.ir
    error = np.max(np.abs(x - np.interp(t, t_ref, x_ref)))
    assert error < 1e-3, error  # measured 2.1e-4 over 300 time units (a chaotic system)


def test_history_before_start_is_the_initial_value():
    """Before t = tau the delayed term sees x0: the solution is that of a linear ODE."""
    _, t, x = mackey_glass(0.01, 10.0)
    drive = BETA * X0 / (1 + X0 ** N)
    expected = drive / GAMMA + (X0 - drive / GAMMA) * np.exp(-GAMMA * t)
    np.testing.assert_allclose(x, expected, rtol=1e-8)


def test_delayed_read_must_be_t_minus_delay():
    net = nf.Network("bad")
    net.population("M", 1, "dx/dt = -x(5.0) : 1", init=dict(x=1.0))
    with pytest.raises(nf.ModelError, match="t - delay"):
        nf.compile(net.build(), dt=0.1)


LAGGED = """\
neuroflow-ir 1
model lagged
population P size=3 method=auto
state P.x : float[3]<1> = 1.0
ode P.x = (x(t - d) - x)/tau
param P.tau : float[]<ms> = 10.0
param P.d : float[3]<ms> = [1.0, 2.45, 0.5]
clock dt=0.1
"""

# Each stage of rk4 reads the past at its own time (t, t + dt/2, t + dt/2, t + dt) minus the
# delay; the history covers the longest delay, 2.45 ms = 24.5 steps: steps 24 and 25 back.
LAGGED_RK4 = """\
neuroflow-ir 1
model lagged
population P size=3 method=auto
state P.x : float[3]<1> = 1.0
param P.tau : float[]<ms> = 10.0
param P.d : float[3]<ms> = [1.0, 2.45, 0.5]
clock dt=0.1
update P method=rk4 {
  _k1_x = (x(t - d) - x)/tau
  _k2_x = (x(t + 0.5*dt - d) - (x + 0.5*dt*_k1_x))/tau
  _k3_x = (x(t + 0.5*dt - d) - (x + 0.5*dt*_k2_x))/tau
  _k4_x = (x(t + dt - d) - (x + dt*_k3_x))/tau
  x = x + dt/6.0*(_k1_x + 2.0*_k2_x + 2.0*_k3_x + _k4_x)
}
buffer P.x kind=history steps=25
"""


def test_rk4_reads_the_past_at_the_time_of_each_stage():
    assert after(LAGGED, "integrate{method=rk4},delays") == LAGGED_RK4
