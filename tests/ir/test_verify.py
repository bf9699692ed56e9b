"""`ir.verify`: every example verifies; each kind of broken IR is rejected with an `IRError`
that names the offending node (its id) and shows its IR line.

Broken models are made from valid ones by changing one line of the IR text, or by
`Model.replace` / `Model.add` on a built model.
"""
import re
import runpy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.ir import (IRError, ModelError, Parameter, PopSlice, Projection, Schedule,
                          StateMonitor, StateVar, Type, parse_text)
from neuroflow.ir._verify import _CHECKS
from neuroflow.ir._verifybase import locate
from neuroflow.passes import run_pipeline

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py"))


@lru_cache(maxsize=None)
def example_model(name: str) -> ir.Model:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__test__")["model"]


# A valid model as built (ODEs) and lowered (a state update and a schedule), written out
# by hand so that each broken variant below differs from it in one place.
BUILT = """\
neuroflow-ir 1
model cuba
population P size=40 method=auto
state P.v : float[40]<mV> = uniform(-60.0, -50.0)
state P.ge : float[40]<mV> = 0.0
state P.gi : float[40]<mV> = 0.0
ode P.v = (ge + gi - (v - El))/taum unless refractory
ode P.ge = -ge/taue
ode P.gi = -gi/taui
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.taui : float[]<ms> = 10.0
param P.Vt : float[]<mV> = -50.0
param P.Vr : float[]<mV> = -60.0
param P.El : float[40]<mV> = normal(-49.0, 1.0)
sub P.Isyn : float[40]<mV/ms> = (ge + gi)/taum
threshold P : v > Vt
reset P : v = Vr
refractory P : 5.0<ms>
projection excitatory : P[0:32] -> P[0:40] connect=fixed_prob(0.02) w:float[]<mV>=1.62 on_pre={ge += w} delay=0.0 kernel=auto
projection inhibitory : P[32:40] -> P[0:40] connect=fixed_prob(0.02) w:float[]<mV>=-9.0 on_pre={gi += w} delay=0.5 kernel=auto
monitor spikes P
monitor state P.v indices=[0, 1, 39] every=1
"""  # noqa: E501

LOWERED = """\
neuroflow-ir 1
model cuba
population P size=40 method=auto
state P.v : float[40]<mV> = uniform(-60.0, -50.0)
state P.ge : float[40]<mV> = 0.0
state P.gi : float[40]<mV> = 0.0
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.taui : float[]<ms> = 10.0
param P.Vt : float[]<mV> = -50.0
param P.Vr : float[]<mV> = -60.0
param P.El : float[]<mV> = -49.0
threshold P : v > Vt
reset P : v = Vr
refractory P : 5.0<ms>
projection excitatory : P[0:32] -> P[0:40] connect=fixed_prob(0.02) w:float[]<mV>=1.62 on_pre={ge += w} delay=0.0 kernel=event
projection inhibitory : P[32:40] -> P[0:40] connect=fixed_prob(0.02) w:float[]<mV>=-9.0 on_pre={gi += w} delay=0.0 kernel=dense
monitor spikes P
monitor state P.v indices=[0, 1, 2] every=1
update P method=exact hold=[v] {
  _r = 1.0/taum
  exact [v, ge] A=[-_r, _r; 0.0, -1.0/taue] b=[El*_r, 0.0<mV/ms>]
  gi = gi + dt*(-gi/taui)
}
schedule [P.v.monitor, P.update, P.threshold, P.spike_monitor, excitatory, inhibitory, P.reset]
"""  # noqa: E501

BASES = {"built": BUILT, "lowered": LOWERED}


def edit(base: str, old: str, new: str) -> ir.Model:
    text = BASES[base]
    assert text.count(old) == 1, f"{old!r} is not one place in the {base} IR"
    return parse_text(text.replace(old, new))


@pytest.mark.parametrize("base", list(BASES))
def test_the_bases_verify(base):
    model = parse_text(BASES[base])
    assert ir.verify(model) is model  # returns its argument, so calls chain


# (base, old text, new text, id the error must name, words the message must contain)
BROKEN = {
    "duplicate id": (
        "built", "param P.Vr : float[]<mV> = -60.0\n",
        "param P.Vr : float[]<mV> = -60.0\nparam P.Vr : float[]<mV> = -65.0\n", "P.Vr",
        "duplicate id"),
    "population and projection share an id": (
        "built", "monitor spikes P\n",
        "monitor spikes P\npopulation excitatory size=3 method=auto\n",
        "excitatory", "duplicate id"),
    "population size 0": ("built", "size=40", "size=0", "P", "size must be positive"),
    "unknown population": ("built", "reset P :", "reset Q :", "Q.reset", "unknown population 'Q'"),
    "projection to an unknown population": (
        "built", "P[32:40] -> P[0:40]", "P[32:40] -> Q[0:40]", "inhibitory",
        "unknown population 'Q'"),
    "monitor of an unknown population": ("built", "monitor spikes P", "monitor spikes E",
                                         "E.spike_monitor", "unknown population 'E'"),
    "unknown name": ("built", "threshold P : v > Vt", "threshold P : v > V_t", "P.threshold",
                     "unknown name 'V_t'"),
    "unknown name in a projection effect": (
        "built", "on_pre={ge += w}", "on_pre={ge += w*x}", "excitatory", "unknown name 'x'"),
    "ODE for a parameter": ("built", "ode P.gi = -gi/taui", "ode P.taui = -gi/taui", "P.dtaui/dt",
                            "'taui' is not a state variable"),
    "ODE for an undeclared name": ("built", "ode P.gi = -gi/taui", "ode P.gx = -gi/taui",
                                   "P.dgx/dt", "'gx' is not a state variable"),
    "two ODEs for one variable": ("built", "ode P.gi = -gi/taui\n",
                                  "ode P.gi = -gi/taui\node P.gi = -gi/taue\n",
                                  "P.dgi/dt", "duplicate id"),
    "an ODE next to a state update": (
        "lowered", "monitor spikes P\n", "monitor spikes P\node P.gi = -gi/taui\n", "P.update",
        "P.gi"),
    "subexpression cycle": (
        "built", "sub P.Isyn : float[40]<mV/ms> = (ge + gi)/taum\n",
        "sub P.Isyn : float[40]<mV/ms> = (ge + gi)/taum + J\n"
        "sub P.J : float[40]<mV/ms> = 2.0*Isyn\n",
        "P.Isyn", "cycle"),
    "subexpression in the wrong unit": (
        "built", "sub P.Isyn : float[40]<mV/ms>", "sub P.Isyn : float[40]<mV>", "P.Isyn", "mV/ms"),
    "threshold that is not a condition": ("built", "threshold P : v > Vt", "threshold P : v - Vt",
                                          "P.threshold", "condition"),
    "'and' of a number": ("built", "threshold P : v > Vt", "threshold P : v > Vt and v",
                          "P.threshold", "needs a condition"),
    "ODE right-hand side in the wrong unit": ("built", "ode P.ge = -ge/taue", "ode P.ge = -ge*taue",
                                              "P.dge/dt", "mV/ms"),
    "comparison of two units": ("built", "threshold P : v > Vt", "threshold P : v > taum",
                                "P.threshold", "unit mismatch"),
    "exponent with a unit": ("built", "ode P.ge = -ge/taue", "ode P.ge = -ge/taue**v", "P.dge/dt",
                             "exponent"),
    "projection slice beyond the population": (
        "built", "P[32:40] -> P[0:40]", "P[32:41] -> P[0:40]", "inhibitory", "exceeds the size 40"),
    "projection target slice beyond the population": (
        "built", "P[0:32] -> P[0:40]", "P[0:32] -> P[1:41]", "excitatory", "exceeds the size 40"),
    "effect on a variable the post population lacks": (
        "built", "on_pre={gi += w}", "on_pre={g_i += w}", "inhibitory", "'g_i'"),
    "weights of the wrong count": ("built", "w:float[]<mV>=-9.0", "w:float[3]<mV>=[-9.0, -9.0]",
                                   "inhibitory", "weight"),
    "effect in the wrong unit": ("built", "w:float[]<mV>=-9.0", "w:float[]<nS>=-9.0", "inhibitory",
                                 "adds a value in nS to 'gi', which is in mV"),
    "unknown kernel": ("lowered", "kernel=dense", "kernel=sparse", "inhibitory",
                       "unknown kernel 'sparse'"),
    "negative delay": ("built", "delay=0.5", "delay=-0.5", "inhibitory", "delay must be >= 0"),
    "state monitor of an unknown variable": ("built", "monitor state P.v", "monitor state P.u",
                                             "P.u.monitor", "unknown variable 'u'"),
    "state monitor index out of range": ("built", "indices=[0, 1, 39]", "indices=[0, 1, 40]",
                                         "P.v.monitor", "[0, 40)"),
    "state monitor every 0": ("built", "every=1", "every=0", "P.v.monitor", "every >= 1"),
    "spike monitor of neurons beyond the population": (
        "built", "monitor spikes P", "monitor spikes P[30:41]", "P.spike_monitor",
        "[30:41], which is not a slice"),
    "rate bounds that do not start at 0": (
        "built", "monitor spikes P\n", "monitor rate P bounds=[1, 40]\n", "P.rate_monitor",
        "do not split"),
    "rate bounds that do not increase": (
        "built", "monitor spikes P\n", "monitor rate P bounds=[0, 20, 20, 40]\n", "P.rate_monitor",
        "bounds [0, 20, 20, 40] do not split"),
    "rate bounds that do not end at the size": (
        "built", "monitor spikes P\n", "monitor rate P bounds=[0, 20, 39]\n", "P.rate_monitor",
        "do not split"),
    "parameter with too few values": (
        "built", "param P.Vt : float[]<mV> = -50.0", "param P.Vt : float[40]<mV> = [-50.0, -51.0]",
        "P.Vt", "2 values"),
    "parameter with values for another size": (
        "built", "param P.Vt : float[]<mV> = -50.0", "param P.Vt : float[2]<mV> = [-50.0, -51.0]",
        "P.Vt", "shape (2,)"),
    "state with the wrong number of values": (
        "built", "state P.gi : float[40]<mV> = 0.0", "state P.gi : float[40]<mV> = [0.0, 0.0, 0.0]",
        "P.gi", "3 values"),
    "unless refractory without a refractory period": ("built", "refractory P : 5.0<ms>\n", "",
                                                      "P.dv/dt", "no refractory period"),
    "refractory period that is not a time": ("built", "refractory P : 5.0<ms>",
                                             "refractory P : 5.0<mV>",
                                             "P.refractory", "must be a time"),
    "reset of an unknown variable": ("built", "reset P : v = Vr", "reset P : u = Vr", "P.reset",
                                     "'u'"),
    "reset in the wrong unit": ("built", "reset P : v = Vr", "reset P : v = taum", "P.reset", "ms"),
    "schedule naming unknown ids": (
        "lowered", "schedule [P.v.monitor,", "schedule [P.v.monitor, P.ghost,", "schedule",
        "P.ghost"),
    "wrong function arity": ("built", "ode P.ge = -ge/taue", "ode P.ge = -exp(ge, ge)/taue",
                             "P.dge/dt", "takes 1 argument"),
    "zero-argument function given one": ("built", "threshold P : v > Vt",
                                         "threshold P : rand(v) > 0.5",
                                         "P.threshold", "takes 0 argument"),
    "unknown function": ("built", "ode P.ge = -ge/taue", "ode P.ge = -expp(ge/1.0<mV>)*ge/taue",
                         "P.dge/dt", "unknown function 'expp'"),
    "function of a quantity with units": ("built", "ode P.ge = -ge/taue",
                                          "ode P.ge = -exp(ge)/taue", "P.dge/dt", "dimensionless"),
    "clip of two units": (
        "built", "sub P.Isyn : float[40]<mV/ms> = (ge + gi)/taum", "sub P.Isyn : "
        "float[40]<mV/ms> = clip((ge + gi)/taum, 0.0<mV/ms>, 1.0<mV>)", "P.Isyn", "one dimension"),
    "exact system of the wrong shape": (
        "lowered", "b=[El*_r, 0.0<mV/ms>]", "b=[El*_r]", "P.update", "2x2 matrix"),
    "update of an unknown variable": ("lowered", "  gi = gi + dt", "  gx = gi + dt", "P.update",
                                      "'gx'"),
    "update in the wrong unit": ("lowered", "  gi = gi + dt*(-gi/taui)", "  gi = gi + (-gi/taui)",
                                 "P.update", "adds a value in mV/ms to 'gi', which is in mV"),
    "update reading an undefined temporary": ("lowered", "A=[-_r, _r;", "A=[-_r, _q;", "P.update",
                                              "unknown name '_q'"),
    "hold of an unknown variable": ("lowered", "hold=[v]", "hold=[w]", "P.update", "holds 'w'"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_ir_is_rejected(case):
    base, old, new, node_id, words = BROKEN[case]
    model = edit(base, old, new)
    with pytest.raises(IRError) as info:
        ir.verify(model)
    err = info.value
    message = str(err)
    assert node_id in message, message
    assert words in message, message
    # the message shows the offending node's IR line (for duplicates: the second)
    if words != "cycle":
        lines = [n.text().splitlines()[0] for n in model.nodes if n.id == node_id]
        assert any(line in message for line in lines), message


def test_resolve_reports_verifier_errors_as_model_errors():
    model = edit("built", "threshold P : v > Vt", "threshold P : v > V_t")
    with pytest.raises(ModelError) as info:
        run_pipeline(model)
    assert not isinstance(info.value, IRError)
    assert "unknown name 'V_t'" in str(info.value)
    assert info.value.hint == "did you mean 'Vt'?"


# ---- breaking a built model with replace() / add() -----------------------------------------------

@pytest.fixture(scope="module")
def cuba():
    return example_model("cuba")


def test_replace_population_size(cuba):
    for size in (0, -3):
        broken = cuba.replace(cuba.population("P").replace(size=size))
        with pytest.raises(IRError, match=rf"P: population size must be positive, got {size}"):
            ir.verify(broken)


def test_shrinking_a_population_breaks_its_per_neuron_values(cuba):
    broken = cuba.replace(cuba.population("P").replace(size=3200))
    with pytest.raises(IRError,
                       match=r"shape \(4000,\) is neither shared \(\) nor per neuron \(3200,\)"):
        ir.verify(broken)


def test_add_duplicate(cuba):
    with pytest.raises(IRError, match=r"P\.taum: duplicate id"):
        ir.verify(cuba.add(Parameter("P", "taum", Type("float", ()), 1.0)))


def test_add_monitor_of_unknown_variable_and_bad_indices(cuba):
    with pytest.raises(IRError, match=r"P\.w\.monitor: monitors unknown variable 'w'"):
        ir.verify(cuba.add(StateMonitor("P", "w", (0,))))
    with pytest.raises(IRError, match=r"P\.ge\.monitor: indices must lie in \[0, 4000\)"):
        ir.verify(cuba.add(StateMonitor("P", "ge", (0, -1))))
    with pytest.raises(IRError, match=r"P\.ge\.monitor"):
        ir.verify(cuba.add(StateMonitor("P", "ge", (4000,))))


def test_where_with_branches_in_two_units(cuba):
    v = ir.Ref("v")
    cond = ir.Binary(">", v, ir.Ref("Vt"))
    dim = cuba.get("P.v").type.dim
    good = ir.Subexpression("P", "clamped", Type("float", (4000,), dim),
                            ir.Where(cond, v, ir.Ref("Vt")))
    assert ir.verify(cuba.add(good))
    bad = good.replace(expr=ir.Where(cond, v, ir.Ref("taum")))
    with pytest.raises(IRError, match=r"P\.clamped: the branches of .* have different units"):
        ir.verify(cuba.add(bad))


def test_add_state_for_unknown_population(cuba):
    with pytest.raises(IRError, match=r"Q\.x: refers to unknown population 'Q'"):
        ir.verify(cuba.add(StateVar("Q", "x", Type("float", ()))))


def test_replace_projection_fields(cuba):
    proj = cuba.get("excitatory")
    assert isinstance(proj, Projection)
    cases = [
        (proj.replace(kernel="gpu"), "unknown kernel 'gpu'"),
        (proj.replace(delay=-0.1), "delay must be >= 0"),
        (proj.replace(pre=PopSlice("P", 3900, 4001)), "exceeds the size 4000"),
        (proj.replace(effect=ir.Statement("u", "+=", ir.Ref("w"))), "'u'"),
    ]
    for node, words in cases:
        with pytest.raises(IRError) as info:
            ir.verify(cuba.replace(node))
        assert words in str(info.value)
        assert "excitatory" in str(info.value)  # the projection's id, also in its source origin


def test_add_schedule_with_unknown_ids(cuba):
    with pytest.raises(IRError, match=r"schedule: schedules unknown operations \['P\.update'\]"):
        ir.verify(cuba.add(Schedule(("P.threshold", "P.update"))))


# ---- one verification rule per node type ---------------------------------------------------------

def test_every_node_kind_has_a_verification_rule():
    assert set(_CHECKS) == set(ir.NODE_KINDS)


@pytest.mark.parametrize("base", list(BASES))
def test_each_node_is_checked_once_by_the_rule_of_its_type(base, monkeypatch):
    checked = []

    def recording(kind, rule):
        def check(node, model):
            checked.append((kind, node))
            rule(node, model)
        return check

    for kind, rule in list(_CHECKS.items()):
        monkeypatch.setitem(_CHECKS, kind, recording(kind, rule))
    model = parse_text(BASES[base])
    ir.verify(model)
    assert checked == [(type(node), node) for node in model.nodes]


def test_a_rule_in_the_table_is_what_verify_runs(monkeypatch):
    def refuse(node, model):
        raise IRError(f"{node.id}: refused by the test's rule")

    monkeypatch.setitem(_CHECKS, ir.Threshold, refuse)
    with pytest.raises(IRError, match=r"P\.threshold: refused by the test's rule"):
        ir.verify(parse_text(BUILT))


@dataclass(frozen=True, slots=True)
class Probe(ir.Node):
    """A node type the verifier has no rule for."""

    pop: str

    @property
    def id(self) -> str:
        return f"{self.pop}.probe"

    def text(self) -> str:
        return f"probe {self.pop}"


@dataclass(frozen=True, slots=True)
class LoudThreshold(ir.Threshold):
    """A subclass of a node type that has a rule: it needs its own, as in the backend's table."""


def test_a_node_type_without_a_rule_is_refused_not_passed():
    model = parse_text(BUILT)
    with pytest.raises(IRError, match=r"P\.probe: no verification rule for node type Probe") as err:
        ir.verify(model.add(Probe("P")))
    assert "_CHECKS" in err.value.hint
    loud = LoudThreshold("P", model.get("P.threshold").cond)
    with pytest.raises(IRError, match=r"no verification rule for node type LoudThreshold"):
        ir.verify(model.replace(loud))


# ---- the examples verify -------------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_verify_as_built_and_lowered(name):
    model = example_model(name)
    assert ir.verify(model) is model
    lowered = run_pipeline(model, verify_each=True)
    assert ir.verify(lowered) is lowered
    assert lowered != model


# ---- mistakes once let through: each is now refused with its own message -----------------------

def test_self_referencing_subexpression():
    model = edit("built", "sub P.Isyn : float[40]<mV/ms> = (ge + gi)/taum",
                 "sub P.Isyn : float[40]<mV/ms> = (ge + gi)/taum + 0.5*Isyn")
    with pytest.raises(IRError, match=r"P\.Isyn: subexpression 'Isyn' refers to itself"):
        ir.verify(model)


def test_exact_system_of_unknown_variable():
    model = edit("lowered", "exact [v, ge]", "exact [v, gx]")
    with pytest.raises(IRError, match=r"P\.update: exact system integrates 'gx', which is not a"
                       " state variable of P"):
        ir.verify(model)


@pytest.mark.parametrize("old, new, message", [
    ("A=[-_r, _r;", "A=[-taum, _r;",
     "matrix entry (0, 0) of the exact system is in ms, expected 1/ms"),
    ("b=[El*_r,", "b=[El,", "offset 0 of the exact system is in mV, expected mV/ms"),
])
def test_exact_system_in_the_wrong_units(old, new, message):
    with pytest.raises(IRError, match=r"P\.update: " + re.escape(message)):
        ir.verify(edit("lowered", old, new))


@pytest.mark.parametrize("rule, message", [
    ("one_to_one()", "one_to_one needs as many pre as post neurons, got 8 and 40"),
    ("fixed_fan_in(9)", "fixed_fan_in: k = 9 exceeds the 8 pre neurons"),
    ("fixed_fan_out(41)", "fixed_fan_out: k = 41 exceeds the 40 post neurons"),
])
def test_connectivity_rule_that_cannot_fit(rule, message):
    model = edit("built", "P[32:40] -> P[0:40] connect=fixed_prob(0.02)",
                 f"P[32:40] -> P[0:40] connect={rule}")
    with pytest.raises(IRError, match=r"inhibitory: " + re.escape(message)):
        ir.verify(model)


def test_negative_refractory_period():
    with pytest.raises(IRError, match=r"P\.refractory: refractory period must not be negative,"
                       " got -5.0 ms"):
        ir.verify(edit("built", "refractory P : 5.0<ms>", "refractory P : -5.0<ms>"))


def test_verify_error_names_the_node_even_with_a_source_location():
    net = nf.Network()
    net.population("P", 3, "dv/dt = -v/tau : 1", params=dict(tau=nf.units.ms * 10),
                   threshold="v > Vt")
    with pytest.raises(IRError) as info:
        ir.verify(net.build())
    assert "P.threshold" in str(info.value)


def test_an_error_points_into_its_own_block_only():
    """The culprit is looked for on the node's line and the lines of its block (indented
    deeper), never on a later, unrelated line of the file."""
    text = "reset {\n    v = Vr\n    w += b\n}\nmonitor w\n"
    assert (locate(ir.Loc("f.nfl", 1, 1, text), "w").line,
            locate(ir.Loc("f.nfl", 1, 1, text), "w").column) == (3, 5)
    assert locate(ir.Loc("f.nfl", 2, 5, text), "w") == ir.Loc("f.nfl", 2, 5, text)
