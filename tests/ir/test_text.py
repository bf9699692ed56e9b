"""The IR's textual form: print -> parse -> print is the identity and parse(print(m)) == m,
on every example model (as built and after the pipelines) and on hand-written snippets."""
import runpy
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.ir import (Const, Dimension, LinearSystem, LogNormal, Normal, ParseError, Population,
                          Ref, StateUpdate, Statement, Type, Uniform, parse_text)
from neuroflow.passes import DEFAULT_PIPELINE, run_pipeline
from neuroflow.units import mV, ms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py"))
TIME = Dimension.of(s=1)
VOLTAGE = Dimension.of(m=2, kg=1, s=-3, A=-1)

PIPELINES = {
    "built": None,
    "default": DEFAULT_PIPELINE,
    "rk4": "resolve,canonicalize,integrate{method=rk4},kernels,fuse,schedule",
    "euler": "resolve,canonicalize,integrate{method=euler},kernels,fuse{native=false},schedule",
    "specialized": "resolve,canonicalize{specialize=true},integrate,kernels{default=dense},"
                   "schedule",
}


@lru_cache(maxsize=None)
def example_model(name: str) -> ir.Model:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__test__")["model"]


@lru_cache(maxsize=None)
def lowered(name: str, pipeline: str) -> ir.Model:
    model = example_model(name)
    return model if PIPELINES[pipeline] is None else run_pipeline(model, PIPELINES[pipeline],
                                                                  verify_each=True)


def assert_round_trip(model: ir.Model) -> str:
    text = ir.print(model)
    back = parse_text(text)
    assert ir.print(back) == text
    assert back == model
    assert back.name == model.name
    assert [n.id for n in back.nodes] == [n.id for n in model.nodes]
    return text


def test_there_are_examples():
    assert {"coba", "cuba", "hh", "lif_fi"} <= set(EXAMPLE_NAMES)


@pytest.mark.parametrize("pipeline", list(PIPELINES))
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_round_trip(name, pipeline):
    model = lowered(name, pipeline)
    text = assert_round_trip(model)
    ir.verify(parse_text(text))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_pipelines_do_what_the_text_says(name):
    """Guards the round-trip tests above against vacuity: the lowered text really differs."""
    built, default = ir.print(lowered(name, "built")), ir.print(lowered(name, "default"))
    assert "ode " in built and "update " not in built and "schedule [" not in built
    assert "ode " not in default and "update " in default and "schedule [" in default
    assert "method=rk4" in ir.print(lowered(name, "rk4"))
    assert "method=euler" in ir.print(lowered(name, "euler"))


# ---- hand-written snippets -------------------------------------------------------------------

SNIPPETS = {
    "linear system": """\
neuroflow-ir 1
model lin
population P size=3 method=exact
state P.v : float[3]<mV> = [-70.0, -65.5, 0.0]
state P.w : float[3]<pA> = 0.0
param P.tau : float[]<ms> = 10.0
param P.a : float[]<nS> = -0.5
param P.R : float[]<mV/pA> = 0.001
update P method=exact hold=[v, w] {
  exact [v, w] A=[-1.0/tau, R/tau; a/tau, -2.0/tau] b=[-70.0<mV>/tau, 0.0<pA/ms>]
}
""",
    "statements and temporaries": """\
neuroflow-ir 1
model tmp
population P size=2 method=euler
state P.v : float[2]<mV> = normal(-55.0, 2.5)
param P.El : float[]<mV> = -60.0
param P.tau : float[]<ms> = 0.5
update P method=euler {
  _dv = (El - v)/tau
  v = v + dt*_dv
}
threshold P : v > -50.0<mV> and not t < 5.0<ms>
reset P : v = -60.0<mV>; v -= 1.0<mV>
refractory P : 2.5<ms>
""",
    # mV*ms has no name of its own: it prints as a product, whichever the printer picks.
    "negative constants and dimensions": f"""\
neuroflow-ir 1
model neg
population P size=4 method=auto
state P.v : float[4]<mV> = -0.0
state P.x : float[4]<1> = [-1.5, 2.0, -3e-05, 1e+16]
param P.k : float[]<1/ms> = -0.25
param P.g : float[]<nS/um^2> = 1.2
param P.s : float[]<mV/ms^1/2> = -1.0
ode P.v = -v*k - -2.0<mV/ms> + (-3.0<mV>)**2.0/1.0<{VOLTAGE * TIME}> + x*0.0<mV/ms>
ode P.x = -(x*k) + -k**2.0*1.0<ms>
""",
    "distributions and projections": """\
neuroflow-ir 1
model net
population E size=8 method=auto
population I size=2 method=auto
state E.v : float[8]<mV> = uniform(-60.0, -50.0)
state E.ge : float[8]<nS> = lognormal(0.0, 0.5)
state I.v : float[2]<mV> = exponential(2.0)
param E.Vt : float[8]<mV> = [-50.0, -51.0, -52.0, -53.0, -54.0, -55.0, -56.0, -57.0]
threshold E : v > Vt
threshold I : v > -50.0<mV>
projection ee : E[0:4] -> E[2:8] connect=fixed_prob(0.5) w:float[]<nS>=normal(0.5, 0.1) on_pre={ge += w} delay=1.5 kernel=dense
projection ie : I[0:2] -> E[0:8] connect=fixed_fan_in(1) w:float[]<nS>=-0.25 on_pre={ge -= 2.0*w} delay=0.0 kernel=event
projection ei : E[0:8] -> I[0:2] connect=all_to_all() w:float[]<mV>=0.1 on_pre={v += w} delay=0.0 kernel=auto
projection oo : E[0:2] -> I[0:2] connect=one_to_one() w:float[]<mV>=1.0 on_pre={v += w} delay=0.25 kernel=auto
monitor spikes E
monitor rate I
monitor state E.v indices=[0, 7] every=10
monitor state I.v indices=[] every=1
schedule [E.v.monitor, I.v.monitor, E.threshold, I.threshold, E.spike_monitor, I.rate_monitor, ee, ie, ei, oo]
""",  # noqa: E501
    "monitors of some neurons and of segments": """\
neuroflow-ir 1
model parts
population P size=8 method=auto
state P.v : float[8]<mV> = 0.0
threshold P : v > 1.0<mV>
part A = P[0:3] monitors=[rate]
part B = P[3:8] monitors=[spikes, rate]
monitor spikes P[3:8]
monitor rate P bounds=[0, 3, 8]
""",
    "subexpressions and calls": """\
neuroflow-ir 1
model hh
population HH size=1 method=rk4
state HH.v : float[1]<mV> = -65.0
state HH.m : float[1]<1> = 0.05
sub HH.alpha : float[1]<1/ms> = 1.0/exprel(-(v + 40.0<mV>)/10.0<mV>)/1.0<ms>
sub HH.beta : float[1]<1/ms> = 4.0*exp(-(v + 65.0<mV>)/18.0<mV>)/1.0<ms>
ode HH.m = alpha*(1.0 - m) - beta*m
ode HH.v = clip(-v, -1.0<mV>, maximum(v, 0.0<mV>))/1.0<ms> + sqrt(abs(v)*1.0<mV>)/1.0<ms>
""",
}


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippets_round_trip(name):
    text = SNIPPETS[name]
    model = parse_text(text)
    assert ir.print(model) == text
    assert parse_text(ir.print(model)) == model
    ir.verify(model)


def test_snippet_values_are_read_as_written():
    lin = parse_text(SNIPPETS["linear system"])
    update = lin.get("P.update")
    assert isinstance(update, StateUpdate) and update.hold == ("v", "w")
    (system,) = update.body
    assert isinstance(system, LinearSystem)
    assert system.targets == ("v", "w")
    assert system.offset[1] == Const(0.0, Dimension.of(A=1, s=-1))
    assert lin.get("P.v").init == (-70.0, -65.5, 0.0)
    assert lin.get("P.a").value == -0.5

    neg = parse_text(SNIPPETS["negative constants and dimensions"])
    assert str(neg.get("P.v").init) == "-0.0"
    assert neg.get("P.x").init == (-1.5, 2.0, -3e-05, 1e16)
    assert neg.get("P.k").value == -0.25
    assert neg.get("P.s").type == Type("float", (), VOLTAGE / TIME ** Fraction(1, 2))

    net = parse_text(SNIPPETS["distributions and projections"])
    assert net.get("E.v").init == Uniform(-60.0, -50.0)
    assert net.get("E.ge").init == LogNormal(0.0, 0.5)
    ee = net.get("ee")
    assert ee.weight == Normal(0.5, 0.1) and ee.delay == 1.5 and ee.kernel == "dense"
    assert (ee.pre.population, ee.pre.start, ee.pre.stop) == ("E", 0, 4)
    assert (ee.post.start, ee.post.stop) == (2, 8)
    assert net.get("ie").effect == Statement("ge", "-=", ir.Binary("*", Const(2.0), Ref("w")))
    assert net.get("I.v.monitor").indices == () and net.get("E.v.monitor").every == 10


def test_monitor_neurons_and_bounds_are_read_as_written():
    model = parse_text(SNIPPETS["monitors of some neurons and of segments"])
    assert model.get("P.spike_monitor") == ir.SpikeMonitor("P", (3, 8))
    # one rate monitor, its id kept
    assert model.get("P.rate_monitor") == ir.RateMonitor("P", (0, 3, 8))
    whole = parse_text("neuroflow-ir 1\nmodel m\npopulation P size=2 method=auto\n"
                       "monitor rate P bounds=[]\n")
    assert (whole.get("P.rate_monitor") == ir.RateMonitor("P")
            and ir.print(whole).endswith("monitor rate P\n"))


def test_parse_is_lenient_about_layout_but_prints_canonically():
    loose = ("\nneuroflow-ir 1\nmodel m\n\n  population   P  size=2  method=auto  \n\n"
             "state P.v : float[2]<mV> = 5\nthreshold P : v>1.0<mV>  # spikes\r\n")
    model = parse_text(loose)
    assert ir.print(model) == ("neuroflow-ir 1\nmodel m\npopulation P size=2 method=auto\n"
                               "state P.v : float[2]<mV> = 5.0\nthreshold P : v > 1.0<mV>\n")
    assert model.get("P.v").init == 5.0


def test_printed_text_is_stable():
    """The documented format of one model, by hand: catches accidental format changes."""
    net = nf.Network("tiny")
    net.population("P", 2, "dv/dt = (El - v)/tau : volt", threshold="v > -50*mV", reset="v = El",
                   params=dict(El=-60 * mV, tau=10 * ms),
                   init=dict(v=np.array([-60.0, -55.0]) * mV))
    assert ir.print(net.build()) == """\
neuroflow-ir 1
model tiny
population P size=2 method=auto
state P.v : float[2]<mV> = [-60.0, -55.0]
ode P.v = (El - v)/tau
param P.El : float[]<mV> = -60.0
param P.tau : float[]<ms> = 10.0
threshold P : v > -50.0*mV
reset P : v = El
"""


# ---- malformed text ----------------------------------------------------------------------------

BASE = SNIPPETS["statements and temporaries"]


def edited(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


@pytest.mark.parametrize("text, line", [
    (BASE.replace("neuroflow-ir 1\n", ""), 1),
    (edited("size=2", "size=two"), 3),
    (edited("param P.El : float[]<mV> = -60.0", "param P.El : double[]<mV> = -60.0"), 5),
    (edited("  v = v + dt*_dv", "  v = v + dt*"), 9),
    (edited("threshold P : v > -50.0<mV>", "threshold P : v > > -50.0<mV>"), 11),
    (edited("reset P : v = -60.0<mV>;", "reset P : v := -60.0<mV>;"), 12),
    (edited("refractory P : 2.5<ms>\n", "refractory P : 2.5<ms>\nfrobnicate P\n"), 14),
    (BASE.replace("}\n", ""), 10),  # the block runs into the next line
])
def test_malformed_text_raises_parse_error_with_line(text, line):
    with pytest.raises(ParseError) as info:
        parse_text(text, origin="bad.ir")
    err = info.value
    assert err.loc is not None and err.loc.origin == "bad.ir"
    assert err.loc.line == line, str(err)
    assert f"bad.ir:{line}:" in str(err)


@pytest.mark.parametrize("text", [
    edited("size=2 method=euler", "size=2 method=euler\nprojection x : P[2:1] -> P[0:2] "
                                  "connect=all_to_all() w:float[]<1>=1.0 on_pre={v += w} "
                                  "delay=0.0 kernel=auto"),
    edited("float[]<ms> = 0.5", "float[]<parsec> = 0.5"),
    edited("normal(-55.0, 2.5)", "gauss(-55.0, 2.5)"),
    edited("normal(-55.0, 2.5)", "uniform(1.0, 0.0)"),
])
def test_invalid_fields_raise_parse_error(text):
    with pytest.raises(ParseError, match="invalid IR"):
        parse_text(text)


def test_invalid_field_error_points_at_its_line():
    text = edited("normal(-55.0, 2.5)", "gauss(-55.0, 2.5)")
    with pytest.raises(ParseError) as info:
        parse_text(text)
    assert info.value.loc.line == 4


def test_comment_lines_are_ignored():
    text = edited("state P.v", "# the membrane potential\nstate P.v")
    assert parse_text(text) == parse_text(BASE)


def self_projection(net_name: str, projection_name: str | None):
    net = nf.Network(net_name)
    P = net.population("P", 2, "dv/dt = -v/tau : volt", params=dict(tau=10 * ms),
                       threshold="v > 1*mV")
    net.projection(P, P, on_pre="v += 1*mV", name=projection_name)
    return net.build()


@pytest.mark.parametrize("net_name, projection_name", [("my-net", None), ("net", "E->I"),
                                                       ("net", "e.i")])
def test_names_the_ir_text_cannot_hold_are_rejected(net_name, projection_name):
    with pytest.raises(nf.ModelError, match="is not a valid identifier"):
        self_projection(net_name, projection_name)


@pytest.mark.parametrize("net_name, projection_name", [("_net2", "E_to_I"), ("Net", "__p")])
def test_unusual_but_valid_names_round_trip(net_name, projection_name):
    model = self_projection(net_name, projection_name)
    assert projection_name in ir.print(model)
    assert parse_text(ir.print(model)) == model


def test_model_equality_ignores_locations_but_not_values():
    model = lowered("cuba", "built")
    back = parse_text(ir.print(model))
    assert any(n.loc is not None for n in model.nodes) and all(n.loc is None for n in back.nodes)
    assert back == model
    pop = model.population("P")
    assert model.replace(pop.replace(size=pop.size + 1)) != model
    assert model.replace(pop.replace(method="rk4")) != model
    assert parse_text(ir.print(model).replace("model cuba", "model cuba2")) != model
    assert isinstance(pop, Population)
    assert parse_text(ir.print(model).replace("= 20.0", "= 20.5")) != model  # taum
