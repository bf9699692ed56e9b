"""The integrate pass: method choice (convergence orders: test_integrators_order.py)."""
import pytest

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

