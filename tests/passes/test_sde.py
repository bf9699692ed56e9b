"""Stochastic equations (Brian2's `xi` noise): lowering, strong orders on known Brownian paths,
Ornstein–Uhlenbeck statistics, and the noise itself (reproducible, independent)."""
import io
import os
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.units import mV, ms, second
from tests.passes.irtext import after, step

PIPELINE = "resolve,canonicalize,integrate,schedule"


def population_model(equations, params=None, method="auto", n=1, **kwargs):
    net = nf.Network("m")
    net.population("P", n, equations, params=params or {}, method=method, **kwargs)
    return net.build()


def update_of(model, method=""):
    options = f"{{method={method}}}" if method else ""
    lowered = run_pipeline(model, PIPELINE.replace("integrate", f"integrate{options}"),
                           verify_each=True)
    return lowered, lowered.one(ir.StateUpdate, "P")


def assert_round_trip(model: ir.Model) -> str:
    text = ir.print(model)
    back = ir.parse_text(text)
    assert ir.print(back) == text and back == model
    ir.verify(back)
    return text


# ---- lowering -----------------------------------------------------------------------------------

GBM = """
dx/dt = mu*x + sigma*x*xi : 1
dW/dt = xi*second**-0.5 : 1
"""
GBM_PARAMS = dict(mu=1.0 / second, sigma=0.8 * second**-0.5)


def test_noise_has_brian2_units():
    ok = population_model("dv/dt = (El - v)/tau + sigma*xi*tau**-0.5 : volt",
                          dict(El=-60 * mV, tau=10 * ms, sigma=2 * mV))
    run_pipeline(ok, "resolve")
    wrong = population_model("dv/dt = (El - v)/tau + sigma*xi : volt",
                             dict(El=-60 * mV, tau=10 * ms, sigma=2 * mV))
    with pytest.raises(nf.ModelError, match="unit mismatch"):
        run_pipeline(wrong, "resolve")


def test_auto_picks_euler_maruyama_for_additive_and_milstein_for_multiplicative_noise():
    additive = population_model("dx/dt = -x/tau + xi_1*tau**-0.5 + 0.5*xi_2*tau**-0.5 : 1",
                                dict(tau=10 * ms))
    assert update_of(additive)[1].method == "euler_maruyama"
    assert update_of(population_model(GBM, GBM_PARAMS))[1].method == "milstein"
    deterministic = population_model("dx/dt = -x**3/tau : 1", dict(tau=5 * ms))
    assert update_of(deterministic)[1].method == "rk4"


@pytest.mark.parametrize("method", ["euler_maruyama", "milstein", "heun"])
def test_each_increment_is_drawn_once_and_shared_by_all_equations_and_stages(method):
    model = population_model(GBM + "dy/dt = -y/(10*ms) + y*xi_1*second**-0.5 : 1\n", GBM_PARAMS)
    lowered, update = update_of(model, method)
    draws = [s for s in update.body if "randn" in ir.calls(s.expr)]
    assert [s.target for s in draws] == ["_dW_xi", "_dW_xi_1"]
    assert all(s.expr == ir.parse_expr("sqrt(dt)*randn()") for s in draws)
    assert not {n for s in update.body for n in ir.names(s.expr)} & {"xi", "xi_1"}
    text = assert_round_trip(lowered)
    assert text.count("_dW_xi = ") == 1 and text.count("_dW_xi_1 = ") == 1


@pytest.mark.parametrize("method", ["euler", "rk2", "rk4", "exponential_euler"])
def test_deterministic_methods_refuse_noise(method):
    with pytest.raises(nf.ModelError, match="stochastic") as err:
        update_of(population_model("dx/dt = -x/tau + xi*tau**-0.5 : 1", dict(tau=10 * ms)), method)
    assert "euler_maruyama" in str(err.value)


def test_exact_solves_ornstein_uhlenbeck_but_not_multiplicative_noise():
    lowered, update = update_of(population_model(OU, OU_PARAMS), "exact")
    assert update.method == "exact" and "exprel(2.0*_a_x*dt)" in assert_round_trip(lowered)
    with pytest.raises(nf.ModelError, match="cannot integrate the stochastic"):
        update_of(population_model(GBM, GBM_PARAMS), "exact")


@pytest.mark.parametrize("rhs", ["xi**2", "xi*xi_1", "x*exp(xi*second**0.5)/second"])
def test_noise_must_enter_linearly(rhs):
    with pytest.raises(nf.ModelError, match="linearly"):
        update_of(population_model(f"dx/dt = {rhs} : 1"))


def test_a_name_the_model_defines_is_not_noise():
    lowered, update = update_of(population_model("dx/dt = (xi - x)/(10*ms) : 1", dict(xi=2.0)))
    assert update.method == "exact" and "randn" not in ir.print(lowered)


def test_noise_outside_differential_equations_is_an_error():
    model = population_model("dv/dt = -v/(10*ms) : 1\nI = xi*second**0.5 : 1",
                             threshold="v + I > 1")
    with pytest.raises(nf.ModelError, match="only appear in differential equations"):
        update_of(model)


# ---- lowering, text in, text out --------------------------------------------------------------
# `step` evaluates the printed update with given standard normal draws for `randn()`.

OU_IR = """\
neuroflow-ir 1
model ou
population P size=100 method=auto
state P.x : float[100]<mV> = 0.0
ode P.x = -x/tau + s*sqrt(2.0/tau)*xi
param P.tau : float[]<ms> = 10.0
param P.s : float[]<mV> = 2.0
clock dt=0.1
"""

OU_HEAD = """\
neuroflow-ir 1
model ou
population P size=100 method=auto
state P.x : float[100]<mV> = 0.0
param P.tau : float[]<ms> = 10.0
param P.s : float[]<mV> = 2.0
clock dt=0.1
"""

# additive noise: the increment is drawn once, at the top of the block, and added as g*dW
OU_EULER_MARUYAMA = """\
update P method=euler_maruyama {
  _dW_xi = sqrt(dt)*randn()
  x = x + dt*(-x/tau) + s*sqrt(2.0/tau)*_dW_xi
}
"""

# the exact Ornstein-Uhlenbeck step: decay, and the increment scaled to the exact variance
OU_EXACT = """\
update P method=exact {
  _dW_xi = sqrt(dt)*randn()
  _a_x = -1.0/tau
  x = x*exp(_a_x*dt) + s*sqrt(2.0/tau)*_dW_xi*sqrt(exprel(2.0*_a_x*dt))
}
"""


def test_additive_noise_gets_euler_maruyama_or_on_request_the_exact_ornstein_uhlenbeck_step():
    assert after(OU_IR, "integrate") == OU_HEAD + OU_EULER_MARUYAMA
    assert after(OU_IR, "integrate{method=exact}") == OU_HEAD + OU_EXACT
    dt, tau, s, z = 0.1, 10.0, 2.0, 1.3
    euler = step(OU_HEAD + OU_EULER_MARUYAMA, "P", randn=z, x=1.5)["x"]
    assert euler == pytest.approx(1.5 - dt * 1.5 / tau + s * np.sqrt(2 / tau * dt) * z, rel=1e-14)
    # x(t + dt) is normal with mean x*exp(-dt/tau) and standard deviation s*sqrt(1 - exp(-2 dt/tau))
    assert step(OU_HEAD + OU_EXACT, "P", randn=0.0, x=1.5)["x"] == pytest.approx(
        1.5 * np.exp(-dt / tau), rel=1e-14)
    assert step(OU_HEAD + OU_EXACT, "P", randn=1.0, x=0.0)["x"] == pytest.approx(
        s * np.sqrt(1 - np.exp(-2 * dt / tau)), rel=1e-12)


GBM_IR = """\
neuroflow-ir 1
model gbm
population P size=100 method=auto
state P.x : float[100]<1> = 1.0
ode P.x = mu*x + sigma*x*xi
param P.mu : float[]<1/ms> = 0.001
param P.sigma : float[]<ms^-1/2> = 0.02
clock dt=0.1
"""

GBM_HEAD = """\
neuroflow-ir 1
model gbm
population P size=100 method=auto
state P.x : float[100]<1> = 1.0
param P.mu : float[]<1/ms> = 0.001
param P.sigma : float[]<ms^-1/2> = 0.02
clock dt=0.1
"""

# Itô, derivative-free Milstein: g at the support value _y stands in for g*g'
GBM_MILSTEIN = """\
update P method=milstein {
  _dW_xi = sqrt(dt)*randn()
  _f_x = mu*x
  _g_x_xi = sigma*x
  _y_xi_x = x + dt*_f_x + sqrt(dt)*_g_x_xi
  _gy_xi_x_xi = sigma*_y_xi_x
  x = x + dt*_f_x + _g_x_xi*_dW_xi + (_gy_xi_x_xi - _g_x_xi)*(_dW_xi*_dW_xi - dt)/(2.0*sqrt(dt))
}
"""

# Stratonovich: drift and diffusion averaged over both ends, with the same increment
GBM_HEUN = """\
update P method=heun {
  _dW_xi = sqrt(dt)*randn()
  _k1_x = mu*x
  _g1_x_xi = sigma*x
  _k2_x = mu*(x + dt*_k1_x + _g1_x_xi*_dW_xi)
  _g2_x_xi = sigma*(x + dt*_k1_x + _g1_x_xi*_dW_xi)
  x = x + dt/2.0*(_k1_x + _k2_x) + 0.5*(_g1_x_xi + _g2_x_xi)*_dW_xi
}
"""


def test_multiplicative_noise_gets_milstein_and_heun_reads_it_as_stratonovich():
    assert after(GBM_IR, "integrate") == GBM_HEAD + GBM_MILSTEIN
    assert after(GBM_IR, "integrate{method=heun}") == GBM_HEAD + GBM_HEUN
    dt, mu, sigma, x, z = 0.1, 0.001, 0.02, 1.2, -0.7
    dw = np.sqrt(dt) * z
    # textbook Milstein x + mu x dt + sigma x dW + sigma**2 x (dW**2 - dt)/2; for g = sigma*x the
    # derivative-free form adds exactly sigma*mu*x*sqrt(dt)*(dW**2 - dt)/2
    milstein = x + mu * x * dt + sigma * x * dw + sigma**2 * x * (dw**2 - dt) / 2
    milstein += sigma * mu * x * np.sqrt(dt) * (dw**2 - dt) / 2
    new = step(GBM_HEAD + GBM_MILSTEIN, "P", randn=z, x=x)["x"]
    assert new == pytest.approx(milstein, rel=1e-14)
    support = x + mu * x * dt + sigma * x * dw
    heun = x + (mu * x + mu * support) * dt / 2 + (sigma * x + sigma * support) * dw / 2
    assert step(GBM_HEAD + GBM_HEUN, "P", randn=z, x=x)["x"] == pytest.approx(heun, rel=1e-14)


TWO_NOISES_IR = """\
neuroflow-ir 1
model two
population P size=10 method=auto
state P.x : float[10]<1> = 0.0
state P.y : float[10]<1> = 0.0
ode P.x = -x/tau + xi_1/sqrt(tau)
ode P.y = -y/tau + (xi_1 + xi_2)/sqrt(tau)
param P.tau : float[]<ms> = 10.0
clock dt=0.1
"""

# one increment per noise, drawn once and read by every equation that uses it
TWO_NOISES_EULER_MARUYAMA = """\
neuroflow-ir 1
model two
population P size=10 method=auto
state P.x : float[10]<1> = 0.0
state P.y : float[10]<1> = 0.0
param P.tau : float[]<ms> = 10.0
clock dt=0.1
update P method=euler_maruyama {
  _dW_xi_1 = sqrt(dt)*randn()
  _dW_xi_2 = sqrt(dt)*randn()
  x = x + dt*(-x/tau) + 1.0/sqrt(tau)*_dW_xi_1
  y = y + dt*(-y/tau) + (1.0/sqrt(tau)*_dW_xi_1 + 1.0/sqrt(tau)*_dW_xi_2)
}
"""


def test_two_noises_are_drawn_once_each_and_shared_between_equations():
    assert after(TWO_NOISES_IR, "integrate") == TWO_NOISES_EULER_MARUYAMA
    z1, z2, dt, tau = 0.4, -1.1, 0.1, 10.0
    new = step(TWO_NOISES_EULER_MARUYAMA, "P", randn=[z1, z2], x=0.0, y=0.0)
    assert new["x"] == pytest.approx(np.sqrt(dt / tau) * z1, rel=1e-14)
    assert new["y"] == pytest.approx(np.sqrt(dt / tau) * (z1 + z2), rel=1e-14)


# ---- strong convergence on known Brownian paths -------------------------------------------------
#
# dx = mu*x dt + sigma*x dW has the solution x0*exp((mu - sigma**2/2)*t + sigma*W_t) (Itô) and
# x0*exp(mu*t + sigma*W_t) (Stratonovich).  Each population also integrates dW/dt = xi (in units of
# sqrt(second)), whose update is exact (W_n is the sum of the increments drawn), so the analytic
# solution on the very path the integrator saw is known.

MU, SIGMA, T = 1.0, 0.8, 1.0  # 1/s, s**-1/2, s
PATHS = 2000
STEP_COUNTS = (16, 32, 64, 128)
SCHEMES = {"euler_maruyama": ("ito", 0.5), "milstein": ("ito", 1.0), "heun": ("stratonovich", 1.0)}


@lru_cache(maxsize=None)
def strong_errors(steps: int, seed: int = 0) -> dict[str, float]:
    """E|x_N - x(T)| over PATHS paths for each scheme, all in one network (one compilation per
    step)."""
    net = nf.Network("gbm")
    for method in SCHEMES:
        net.population(method, PATHS, GBM, params=GBM_PARAMS, init=dict(x=1.0), method=method)
        net.monitor(method, "x", every=steps)
        net.monitor(method, "W", every=steps)
    dt = T * 1000 / steps
    results = nf.compile(net.build(), dt=dt * ms,
                         dtype="float64").run((T * 1000 + dt) * ms, seed=seed)
    errors = {}
    for method, (reading, _) in SCHEMES.items():
        t, x = results.trace(method, "x")
        _, w = results.trace(method, "W")
        assert np.isclose(t[-1], T * 1000)
        drift = MU - SIGMA**2 / 2 if reading == "ito" else MU
        errors[method] = np.mean(np.abs(x[-1] - np.exp(drift * T + SIGMA * w[-1])))
    return errors


@pytest.mark.parametrize("method", list(SCHEMES))
def test_strong_order_on_geometric_brownian_motion(method):
    errors = [strong_errors(n)[method] for n in STEP_COUNTS]
    dts = [T / n for n in STEP_COUNTS]
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    expected = SCHEMES[method][1]
    tolerance = 0.15 if expected == 0.5 else 0.2
    assert abs(slope - expected) < tolerance, (errors, slope)


@pytest.mark.slow
@pytest.mark.parametrize("method", list(SCHEMES))
def test_strong_order_over_more_steps_and_seeds(method):
    counts = (16, 32, 64, 128, 256, 512)
    errors = [np.mean([strong_errors(n, seed)[method] for seed in (1, 2, 3)]) for n in counts]
    slope = np.polyfit(np.log([T / n for n in counts]), np.log(errors), 1)[0]
    assert abs(slope - SCHEMES[method][1]) < 0.1, (errors, slope)


TWO_NOISES = """
dx/dt = mu*x + s1*x*xi_1 : 1
dy/dt = mu*y + s1*y*xi_1 + s2*y*xi_2 : 1
dW1/dt = xi_1*second**-0.5 : 1
dW2/dt = xi_2*second**-0.5 : 1
"""


@pytest.mark.slow
@pytest.mark.parametrize("method,order", [("euler_maruyama", 0.5), ("milstein", 1.0)])
def test_strong_order_with_two_noise_sources(method, order):
    """x sees xi_1 only; y sees xi_1 and xi_2 (commutative noise: L^1 g_2 = L^2 g_1 = s1*s2*y)."""
    s1, s2 = 0.6, 0.5
    params = dict(mu=MU / second, s1=s1 * second**-0.5, s2=s2 * second**-0.5)
    errors = []
    for steps in STEP_COUNTS:
        net = nf.Network("two")
        net.population("P", PATHS, TWO_NOISES, params=params, init=dict(x=1.0, y=1.0),
                       method=method)
        for var in ("x", "y", "W1", "W2"):
            net.monitor("P", var, every=steps)
        dt = T * 1000 / steps
        results = nf.compile(net.build(), dt=dt * ms,
                             dtype="float64").run((T * 1000 + dt) * ms, seed=4)
        end = {var: results.trace("P", var)[1][-1] for var in ("x", "y", "W1", "W2")}
        x = np.exp((MU - s1**2 / 2) * T + s1 * end["W1"])
        y = np.exp((MU - s1**2 / 2 - s2**2 / 2) * T + s1 * end["W1"] + s2 * end["W2"])
        errors.append([np.mean(np.abs(end["x"] - x)), np.mean(np.abs(end["y"] - y))])
    for column in np.transpose(errors):
        slope = np.polyfit(np.log([T / n for n in STEP_COUNTS]), np.log(column), 1)[0]
        assert abs(slope - order) < 0.2, (errors, slope)


# ---- Ornstein–Uhlenbeck -------------------------------------------------------------------------

OU = "dx/dt = -x/tau + s*sqrt(2/tau)*xi : mV"
OU_PARAMS = dict(tau=10 * ms, s=2 * mV)  # stationary standard deviation s


@pytest.mark.parametrize("method,dt", [("auto", 0.1), ("exact", 5.0)])
def test_ornstein_uhlenbeck_stationary_variance(method, dt):
    """Started in the stationary law, sampled every 5 tau (nearly independent samples): 80000
    samples, so the variance is known to 0.5%.  At dt = tau/2 only `exact` keeps it (Euler–Maruyama
    is 33% off)."""
    net = nf.Network("ou")
    net.population("P", 4000, OU, params=OU_PARAMS, init=dict(x=nf.normal(0 * mV, 2 * mV)),
                   method=method)
    net.monitor("P", "x", every=int(round(50 / dt)))
    sim = nf.compile(net.build(), dt=dt * ms, dtype="float64")
    assert f"method={'euler_maruyama' if method == 'auto' else method}" in sim.ir
    _, x = sim.run(1000 * ms, seed=3).trace("P", "x")
    assert x.shape == (20, 4000)
    assert abs(np.var(x) / 2.0**2 - 1) < 0.03
    assert abs(np.mean(x)) < 0.05


# ---- the noise itself ---------------------------------------------------------------------------

NOISES = """
dW1/dt = xi_1*second**-0.5 : 1
dV1/dt = 2*xi_1*second**-0.5 : 1
dW2/dt = xi_2*second**-0.5 : 1
"""
STEPS = 2000


@lru_cache(maxsize=None)
def increments(seed: int) -> dict[str, np.ndarray]:
    """Per-step increments [step, neuron] of W1, V1 (same noise xi_1, twice as strong) and W2
    (xi_2); the threshold draws rand() in the same step, so its spikes must not follow the noise."""
    net = nf.Network("noise")
    net.population("P", 50, NOISES, threshold="rand() < 0.5", method="euler_maruyama")
    for var in ("W1", "V1", "W2"):
        net.monitor("P", var)
    net.monitor_spikes("P")
    results = nf.compile(net.build(), dt=0.1 * ms, dtype="float64").run(STEPS * 0.1 * ms, seed=seed)
    out = {var: np.diff(results.trace("P", var)[1], axis=0) for var in ("W1", "V1", "W2")}
    t, i = results.spikes("P")
    spikes = np.zeros((STEPS, 50))
    spikes[np.rint(t / 0.1).astype(int), i] = 1
    out["spikes"] = spikes[:STEPS - 1]  # the spikes of step k see the increments of step k
    return out


def test_noise_is_standard_and_independent_across_neurons_sources_and_rand():
    noise = increments(0)
    w1, v1, w2 = noise["W1"], noise["V1"], noise["W2"]
    dt = 1e-4  # s: W is in units of sqrt(second)
    assert abs(np.mean(w1)) < 5 * np.sqrt(dt / w1.size)
    assert abs(np.var(w1) / dt - 1) < 0.03
    # one noise, two equations: the same draws
    np.testing.assert_allclose(v1, 2 * w1, rtol=1e-9, atol=1e-15)
    # five standard deviations of a correlation between independent series
    bound = 5 / np.sqrt(len(w1))
    across_neurons = np.corrcoef(w1.T)[~np.eye(w1.shape[1], dtype=bool)]
    assert np.max(np.abs(across_neurons)) < bound
    # another noise source; the threshold's rand() of the same step
    for other in (w2, noise["spikes"]):
        correlation = [np.corrcoef(w1[:, k], other[:, k])[0, 1] for k in range(w1.shape[1])]
        assert np.max(np.abs(correlation)) < bound


def gbm_paths(seed: int) -> np.ndarray:
    net = nf.Network("gbm")
    net.population("P", 20, GBM, params=GBM_PARAMS, init=dict(x=1.0), method="milstein")
    net.monitor("P", "x")
    return nf.compile(net.build(), dt=1 * ms,
                      dtype="float64").run(50 * ms, seed=seed).trace("P", "x")[1]


def test_same_seed_same_paths():
    a, b, c = gbm_paths(5), gbm_paths(5), gbm_paths(6)
    assert np.array_equal(a, b)
    assert not np.allclose(a[1:], c[1:])
    assert np.min(np.abs(np.diff(a[1:, :], axis=1))) > 0  # neurons differ


def test_same_seed_same_paths_in_another_process():
    """The noise may not depend on anything that changes between processes, such as Python's
    string hashes."""
    script = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); "
              "from tests.passes.test_sde import gbm_paths; "
              "np.save(sys.stdout.buffer, gbm_paths(5))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONHASHSEED=str(1 + hash("salt") % 1000), JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", script, root], capture_output=True, env=env,
                         check=True).stdout
    assert np.array_equal(np.load(io.BytesIO(out)), gbm_paths(5))
