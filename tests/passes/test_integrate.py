"""The integrate pass: method choice (convergence orders: test_integrators_order.py)."""
import math

import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.units import ms
from tests.passes.irtext import after, step


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


# ---- text in, text out ---------------------------------------------------------------------------
# Each case gives a small model as IR text, runs `integrate` on it and writes out the printed IR.
# `step` then computes one step of the printed update by hand, to compare with a closed form.

DECAY = """\
neuroflow-ir 1
model decay
population P size=3 method=auto
state P.v : float[3]<mV> = -60.0
ode P.v = (El - v)/tau
param P.tau : float[]<ms> = 10.0
param P.El : float[]<mV> = -49.0
clock dt=0.1
"""

# one linear equation: x + (a*x + b)*dt*exprel(a*dt), the exact solution over a step
DECAY_EXACT = """\
neuroflow-ir 1
model decay
population P size=3 method=auto
state P.v : float[3]<mV> = -60.0
param P.tau : float[]<ms> = 10.0
param P.El : float[]<mV> = -49.0
clock dt=0.1
update P method=exact {
  _a_v = -1.0/tau
  _b_v = El/tau
  v = v + (_a_v*v + _b_v)*(dt*exprel(_a_v*dt))
}
"""


def test_one_linear_equation_becomes_its_exact_step():
    assert after(DECAY, "integrate") == DECAY_EXACT
    assert after(DECAY, "integrate{method=exact}") == DECAY_EXACT
    # v(t + dt) = El + (v - El)*exp(-dt/tau)
    v = step(DECAY_EXACT, "P", v=-60.0)["v"]
    assert v == pytest.approx(-49.0 + (-60.0 + 49.0) * math.exp(-0.1 / 10.0), rel=1e-14)


# v driven by ge: a coupled linear system; v holds while refractory
CUBA = """\
neuroflow-ir 1
model cuba
population P size=2 method=auto
state P.v : float[2]<mV> = -60.0
state P.ge : float[2]<mV> = 0.0
ode P.v = (ge - (v - El))/taum unless refractory
ode P.ge = -ge/taue
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.El : float[]<mV> = -49.0
param P.Vt : float[]<mV> = -50.0
threshold P : v > Vt
reset P : v = El
refractory P : 5.0<ms>
clock dt=0.1
"""

CUBA_HEAD = """\
neuroflow-ir 1
model cuba
population P size=2 method=auto
state P.v : float[2]<mV> = -60.0
state P.ge : float[2]<mV> = 0.0
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.El : float[]<mV> = -49.0
param P.Vt : float[]<mV> = -50.0
threshold P : v > Vt
reset P : v = El
refractory P : 5.0<ms>
clock dt=0.1
"""

# dx/dt = A x + b with x = [v, ge], one row per equation
CUBA_EXACT = """\
update P method=exact hold=[v] {
  exact [v, ge] A=[-1.0/taum, 1.0/taum; 0.0, -1.0/taue] b=[El/taum, 0.0]
}
"""

# explicit methods gate the derivative of v instead of holding v
CUBA_EULER = """\
update P method=euler {
  v = v + dt*((ge - (v - El))/taum*int(not_refractory))
  ge = ge + dt*(-ge/taue)
}
"""


def test_a_coupled_linear_system_is_solved_exactly_and_held_while_refractory():
    assert after(CUBA, "integrate") == CUBA_HEAD + CUBA_EXACT
    # ge = ge0*exp(-t/taue); v = El + K*exp(-t/taue) + (v0 - El - K)*exp(-t/taum),
    # K = ge0*taue/(taue - taum)
    dt, taum, taue, El, v0, ge0 = 0.1, 20.0, 5.0, -49.0, -60.0, 2.0
    k = ge0 * taue / (taue - taum)
    new = step(CUBA_HEAD + CUBA_EXACT, "P", v=v0, ge=ge0)
    assert new["ge"] == pytest.approx(ge0 * math.exp(-dt / taue), rel=1e-12)
    v = El + k * math.exp(-dt / taue) + (v0 - El - k) * math.exp(-dt / taum)
    assert new["v"] == pytest.approx(v, rel=1e-12)


def test_explicit_methods_gate_the_derivative_of_a_refractory_variable():
    euler = after(CUBA, "integrate{method=euler}")
    assert euler == CUBA_HEAD + CUBA_EULER
    resting = step(euler, "P", v=-60.0, ge=2.0, not_refractory=False)
    assert resting == {"v": -60.0, "ge": pytest.approx(2.0 - 0.1 * 2.0 / 5.0)}


# v is linear in v with a coefficient that depends on ge: exponential Euler
COBA = """\
neuroflow-ir 1
model coba
population P size=2 method=auto
state P.v : float[2]<mV> = -60.0
state P.ge : float[2]<1> = 0.0
ode P.v = (ge*(Ee - v) + El - v)/taum
ode P.ge = -ge/taue
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.El : float[]<mV> = -49.0
param P.Ee : float[]<mV> = 0.0
clock dt=0.1
"""

# ge decays on its own: ge*exp(a*dt), no b
COBA_EXPONENTIAL_EULER = """\
neuroflow-ir 1
model coba
population P size=2 method=auto
state P.v : float[2]<mV> = -60.0
state P.ge : float[2]<1> = 0.0
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.El : float[]<mV> = -49.0
param P.Ee : float[]<mV> = 0.0
clock dt=0.1
update P method=exponential_euler {
  _a_v = (-1.0*ge - 1.0)/taum
  _b_v = (Ee*ge + El)/taum
  v = v + (_a_v*v + _b_v)*(dt*exprel(_a_v*dt))
  _a_ge = -1.0/taue
  ge = ge*exp(_a_ge*dt)
}
"""


def test_a_conditionally_linear_system_gets_exponential_euler():
    assert after(COBA, "integrate") == COBA_EXPONENTIAL_EULER
    # with ge frozen over the step, v relaxes to (El + ge*Ee)/(1 + ge) at the rate (1 + ge)/taum;
    # _a_ge is computed after v's new value, but reads the ge of the start of the step
    dt, taum, taue, El, Ee, v0, ge0 = 0.1, 20.0, 5.0, -49.0, 0.0, -60.0, 0.3
    target = (El + ge0 * Ee) / (1 + ge0)
    new = step(COBA_EXPONENTIAL_EULER, "P", v=v0, ge=ge0)
    assert new["v"] == pytest.approx(target + (v0 - target) * math.exp(-(1 + ge0) * dt / taum))
    assert new["ge"] == pytest.approx(ge0 * math.exp(-dt / taue))


# nonlinear in x and driven by time: rk4 for auto; the population's method or the pass option
# ask for another one
FORCED = """\
neuroflow-ir 1
model forced
population P size=1 method=auto
state P.x : float[1]<1> = 1.0
ode P.x = (sin(t/tau) - x**3)/tau
param P.tau : float[]<ms> = 5.0
clock dt=0.1
"""

FORCED_HEAD = """\
neuroflow-ir 1
model forced
population P size=1 method=auto
state P.x : float[1]<1> = 1.0
param P.tau : float[]<ms> = 5.0
clock dt=0.1
"""

# each stage reads the time it stands at: t, t + dt/2, t + dt/2, t + dt
FORCED_RK4 = """\
update P method=rk4 {
  _k1_x = (sin(t/tau) - x**3.0)/tau
  _k2_x = (sin((t + 0.5*dt)/tau) - (x + 0.5*dt*_k1_x)**3.0)/tau
  _k3_x = (sin((t + 0.5*dt)/tau) - (x + 0.5*dt*_k2_x)**3.0)/tau
  _k4_x = (sin((t + dt)/tau) - (x + dt*_k3_x)**3.0)/tau
  x = x + dt/6.0*(_k1_x + 2.0*_k2_x + 2.0*_k3_x + _k4_x)
}
"""

FORCED_EULER = """\
update P method=euler {
  x = x + dt*((sin(t/tau) - x**3.0)/tau)
}
"""

FORCED_HEUN = """\
update P method=heun {
  _k1_x = (sin(t/tau) - x**3.0)/tau
  _k2_x = (sin((t + dt)/tau) - (x + dt*_k1_x)**3.0)/tau
  x = x + dt/2.0*(_k1_x + _k2_x)
}
"""


def forced(t: float, x: float) -> float:
    return (math.sin(t / 5.0) - x**3) / 5.0


def test_auto_falls_back_to_rk4_and_an_option_picks_euler_or_heun():
    assert after(FORCED, "integrate") == FORCED_HEAD + FORCED_RK4
    for method, block in (("rk4", FORCED_RK4), ("euler", FORCED_EULER), ("heun", FORCED_HEUN)):
        assert after(FORCED, f"integrate{{method={method}}}") == FORCED_HEAD + block
        own = f"method={method}"
        assert after(FORCED.replace("method=auto", own), "integrate") == (
            FORCED_HEAD.replace("method=auto", own) + block)
    # the option wins over the population's own method
    assert after(FORCED.replace("method=auto", "method=heun"), "integrate{method=euler}").endswith(
        FORCED_EULER)


def test_rk4_euler_and_heun_steps_compute_the_textbook_schemes():
    t, x, dt = 1.0, 0.8, 0.1
    k1 = forced(t, x)
    k2 = forced(t + dt / 2, x + dt / 2 * k1)
    k3 = forced(t + dt / 2, x + dt / 2 * k2)
    k4 = forced(t + dt, x + dt * k3)
    rk4 = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    heun = x + dt / 2 * (k1 + forced(t + dt, x + dt * k1))
    for block, expected in ((FORCED_RK4, rk4), (FORCED_EULER, x + dt * k1), (FORCED_HEUN, heun)):
        assert step(FORCED_HEAD + block, "P", t=t, x=x)["x"] == pytest.approx(expected, rel=1e-14)
