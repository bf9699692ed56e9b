"""The `merge` pass, text in, text out: which populations become one, and how the rest
follows."""
import re
import textwrap

import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.passes.merge import merge_plan

# Two populations of one neuron model after `integrate`: their taum and initial v differ.
BASE = """\
neuroflow-ir 1
model ei
population E size=4 method=auto
state E.v : float[4]<mV> = -60.0
state E.ge : float[4]<1> = 0.0
param E.taum : float[]<ms> = 20.0
param E.El : float[]<mV> = -49.0
param E.Vt : float[]<mV> = -50.0
threshold E : v > Vt
reset E : v = El - 11.0<mV>
refractory E : 2.0<ms>
population I size=2 method=auto
state I.v : float[2]<mV> = [-55.0, -58.0]
state I.ge : float[2]<1> = 0.0
param I.taum : float[]<ms> = 10.0
param I.El : float[]<mV> = -49.0
param I.Vt : float[]<mV> = -50.0
threshold I : v > Vt
reset I : v = El - 11.0<mV>
refractory I : 2.0<ms>
projection EI : E[0:4] -> I[0:2] connect=fixed_prob(0.5) w:float[]<1>=0.5 on_pre={ge += w} \
delay=0.0 kernel=auto
projection IE : I[0:2] -> E[1:3] connect=fixed_prob(0.5) w:float[]<1>=0.2 on_pre={ge += w} \
delay=0.0 kernel=auto
monitor spikes E
monitor rate I
monitor state I.v indices=[1] every=1
clock dt=0.1
update E method=exponential_euler hold=[v] {
  _a_v = (-1.0*ge - 1.0)/taum
  v = v + (_a_v*v + El/taum)*(dt*exprel(_a_v*dt))
  ge = ge*exp(-dt/5.0<ms>)
}
update I method=exponential_euler hold=[v] {
  _a_v = (-1.0*ge - 1.0)/taum
  v = v + (_a_v*v + El/taum)*(dt*exprel(_a_v*dt))
  ge = ge*exp(-dt/5.0<ms>)
}
"""

MERGED = """\
neuroflow-ir 1
model ei
population E_I size=6 method=auto
part E = E_I[0:4] monitors=[spikes]
state E_I.v : float[6]<mV> = [-60.0, -60.0, -60.0, -60.0, -55.0, -58.0]
state E_I.ge : float[6]<1> = 0.0
param E_I.taum : float[6]<ms> = [20.0, 20.0, 20.0, 20.0, 10.0, 10.0]
param E_I.El : float[]<mV> = -49.0
param E_I.Vt : float[]<mV> = -50.0
threshold E_I : v > Vt
reset E_I : v = El - 11.0<mV>
refractory E_I : 2.0<ms>
part I = E_I[4:6] monitors=[rate, state v]
projection EI : E_I[0:4] -> E_I[4:6] connect=fixed_prob(0.5) w:float[]<1>=0.5 on_pre={ge += w} \
delay=0.0 kernel=auto
projection IE : E_I[4:6] -> E_I[1:3] connect=fixed_prob(0.5) w:float[]<1>=0.2 on_pre={ge += w} \
delay=0.0 kernel=auto
monitor spikes E_I[0:4]
monitor rate E_I bounds=[0, 4, 6]
monitor state E_I.v indices=[5] every=1
clock dt=0.1
update E_I method=exponential_euler hold=[v] {
  _a_v = (-1.0*ge - 1.0)/taum
  v = v + (_a_v*v + El/taum)*(dt*exprel(_a_v*dt))
  ge = ge*exp(-dt/5.0<ms>)
}
"""


def merged(text: str, pipeline: str = "merge") -> str:
    return ir.print(run_pipeline(ir.verify(ir.parse_text(text)), pipeline, verify_each=True))


def edited(*changes: tuple[str, str]) -> str:
    """BASE with each `(old, new)` replaced; `{P}` and `{n}` stand for each population and its
    size."""
    text = BASE
    for old, new in changes:
        for pop, size in (("E", 4), ("I", 2)):
            assert old.format(P=pop, n=size) in text, old
            text = text.replace(old.format(P=pop, n=size), new.format(P=pop, n=size))
    return text


def parts(text: str) -> list[str]:
    return [line.split()[1] for line in text.splitlines() if line.startswith("part ")]


def test_identical_dynamics_become_one_population():
    assert merged(BASE) == MERGED


def test_merged_text_round_trips_and_verifies():
    model = ir.verify(ir.parse_text(MERGED))
    assert ir.print(model) == MERGED
    assert model.get("I") == ir.Part("I", ir.PopSlice("E_I", 4, 6), rate=True, traces=("v",))


def test_merging_again_changes_nothing():
    assert merged(MERGED) == MERGED


def test_rate_monitors_of_parts_become_one_rate_monitor_that_counts_each_part_apart():
    out = merged(BASE.replace("monitor spikes E\n", "monitor rate E\n"))
    assert "\nmonitor rate E_I bounds=[0, 4, 6]\n" in out and "monitor spikes" not in out
    assert ("part E = E_I[0:4] monitors=[rate]" in out
            and "part I = E_I[4:6] monitors=[rate, state v]" in out)
    assert merged(BASE.replace("monitor rate I\n", "")).count("monitor rate") == 0


def test_the_spike_monitor_records_from_the_first_part_with_spikes_to_the_last():
    both = merged(BASE.replace("monitor rate I\n", "monitor spikes I\n"))
    assert "\nmonitor spikes E_I\n" in both and "monitor rate" not in both  # the whole population
    only_i = BASE.replace("monitor spikes E\n", "").replace("monitor rate I\n",
                                                            "monitor spikes I\nmonitor rate I\n")
    last = merged(only_i)
    assert "\nmonitor spikes E_I[4:6]\nmonitor rate E_I bounds=[0, 4, 6]\n" in last
    assert "part I = E_I[4:6] monitors=[spikes, rate, state v]" in last


@pytest.mark.parametrize("monitor", ["monitor spikes E[0:2]", "monitor rate E bounds=[0, 1, 4]"])
def test_a_monitor_of_some_neurons_or_segments_keeps_its_population_alone(monitor):
    text = BASE.replace("monitor spikes E", monitor)
    assert merged(text) == ir.print(ir.parse_text(text))
    assert "monitor counts segments" in merge_plan(ir.parse_text(text))[1]["E"]


def test_values_shared_equal_per_neuron_concatenated_distributions_kept():
    text = BASE.replace("state E.v : float[4]<mV> = -60.0",
                        "state E.v : float[4]<mV> = normal(-55.0, 2.0)")
    text = text.replace("state I.v : float[2]<mV> = [-55.0, -58.0]",
                        "state I.v : float[2]<mV> = normal(-55.0, 2.0)")
    text = text.replace("param E.El : float[]<mV> = -49.0",
                        "param E.El : float[4]<mV> = [1.0, 2.0, 3.0, 4.0]")
    text = text.replace("param I.El : float[]<mV> = -49.0", "param I.El : float[]<mV> = 5.0")
    out = merged(text)
    assert "state E_I.v : float[6]<mV> = normal(-55.0, 2.0)" in out
    assert "param E_I.El : float[6]<mV> = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]" in out
    assert "param E_I.Vt : float[]<mV> = -50.0" in out and "state E_I.ge : float[6]<1> = 0.0" in out


def test_a_shared_subexpression_stays_shared_unless_it_reads_what_became_per_neuron():
    text = edited(("refractory {P} : 2.0<ms>", "refractory {P} : 2.0<ms>\n"
                                                "sub {P}.rate : float[]<1/ms> = 1.0/taum"
                                                "\nsub {P}.drop : float[]<mV> = El - Vt"))
    out = merged(text)
    assert ("sub E_I.rate : float[6]<1/ms> = 1.0/taum" in out
            and "sub E_I.drop : float[]<mV> = El - Vt" in out)
    same = merged(text.replace("param I.taum : float[]<ms> = 10.0",
                               "param I.taum : float[]<ms> = 20.0"))
    assert "sub E_I.rate : float[]<1/ms> = 1.0/taum" in same


@pytest.mark.parametrize("other", ["uniform(-60.0, -50.0)", "normal(-55.0, 3.0)", "[-55.0, -58.0]"])
def test_a_distribution_merges_only_with_the_same_distribution(other):
    text = BASE.replace("state E.v : float[4]<mV> = -60.0",
                        "state E.v : float[4]<mV> = normal(-55.0, 2.0)")
    text = text.replace("state I.v : float[2]<mV> = [-55.0, -58.0]",
                        f"state I.v : float[2]<mV> = {other}")
    assert merged(text) == ir.print(ir.parse_text(text))


def test_each_population_joins_the_first_group_it_fits():
    # F is E again with another name; I draws v from another distribution, so F joins E
    text = BASE.replace("state E.v : float[4]<mV> = -60.0",
                        "state E.v : float[4]<mV> = normal(-55.0, 2.0)")
    text = text.replace("state I.v : float[2]<mV> = [-55.0, -58.0]",
                        "state I.v : float[2]<mV> = uniform(-60.0, -50.0)")
    f = re.sub(r"\bE\b", "F", text[text.index("population E"):text.index("population I")])
    text = text.replace("projection EI", f + "projection EI")
    text += BASE[BASE.index("update E"):BASE.index("update I")].replace("update E", "update F")
    out = merged(text)
    assert ("population E_F size=8" in out and parts(out) == ["E", "F"]
            and "population I size=2" in out)
    assert "projection IE : I[0:2] -> E_F[1:3]" in out


@pytest.mark.parametrize("change", [
    ("threshold {P} : v > Vt", "threshold {P} : v > Vt + 0.1<mV>*i"),  # the neuron index
    ("threshold {P} : v > Vt", "threshold {P} : v > Vt - 0.1<mV>*N"),  # the population size
    ("threshold {P} : v > Vt", "threshold {P} : v(t - 1.0<ms>) > Vt"),  # a read of the past
    ("state {P}.ge : float[{n}]<1> = 0.0", "state {P}.ge : float[]<1> = 0.0"),  # a shared variable
    ("param {P}.Vt : float[]<mV> = -50.0",  # one draw each
     "param {P}.Vt : float[]<mV> = normal(-50.0, 1.0)"),
    ("threshold {P} : v > Vt",  # timed inputs
     "input {P}.I_ext : float[]<mV> period=1.0 values=[1.0, 2.0]\nthreshold {P} : v > Vt - I_ext"),
])
def test_populations_that_merge_with_no_other(change):
    text = edited(change)
    assert merged(text) == ir.print(ir.parse_text(text))


@pytest.mark.parametrize("change", [
    ("threshold I : v > Vt", "threshold I : v > Vt + 1.0<mV>"),
    ("reset I : v = El - 11.0<mV>", "reset I : v = El - 12.0<mV>"),
    ("refractory I : 2.0<ms>", "refractory I : 3.0<ms>"),
    ("update I method=exponential_euler", "update I method=euler"),
    ("population I size=2 method=auto", "population I size=2 method=rk4"),
    ("param I.Vt : float[]<mV> = -50.0",
     "param I.Vt : float[]<mV> = -50.0\nparam I.extra : float[]<mV> = 1.0"),
    ("monitor state I.v indices=[1] every=1", "monitor state I.v indices=[1] every=1\n"
                                              "monitor state E.v indices=[0] every=2"),
])
def test_different_dynamics_or_monitor_steps_stay_apart(change):
    text = BASE.replace(*change)
    assert merged(text) == ir.print(ir.parse_text(text))


def test_parameters_of_an_exact_system_matrix_must_be_shared_and_equal():
    exact = ("ge = ge*exp(-dt/5.0<ms>)\n}", "}")
    system = ("  v = v + (_a_v*v + El/taum)*(dt*exprel(_a_v*dt))\n",
              "  exact [v, ge] A=[-1.0/taum, 0.0<mV/ms>; 0.0<1/mV/ms>, -1.0/taum]"
              " b=[El/taum, 0.0<1/ms>]\n")
    text = BASE.replace(*exact).replace(*system).replace("  _a_v = (-1.0*ge - 1.0)/taum\n", "")
    assert "population E size=4" in merged(text)  # taum differs: a matrix per neuron
    same_taum = text.replace("param I.taum : float[]<ms> = 10.0",
                             "param I.taum : float[]<ms> = 20.0")
    out = merged(same_taum.replace("param I.El : float[]<mV> = -49.0",
                                   "param I.El : float[]<mV> = -45.0"))
    assert "param E_I.taum : float[]<ms> = 20.0" in out and "param E_I.El : float[6]<mV>" in out


def test_the_plan_says_why_populations_stay_alone():
    assert merge_plan(ir.parse_text(BASE)) == ([["E", "I"]], {})
    index = ir.parse_text(edited(("threshold {P} : v > Vt", "threshold {P} : v > Vt + 0.1<mV>*i")))
    reason = "it uses the neuron index i or the size N"
    assert merge_plan(index) == ([], {"E": reason, "I": reason})
    assert (merge_plan(ir.parse_text(BASE), {"I"})[1]
            == {"E": "no other population has the same dynamics",
                "I": "merge{exclude=...} names it"})
    drawn = BASE.replace("state E.v : float[4]<mV> = -60.0",
                         "state E.v : float[4]<mV> = normal(-55.0, 2.0)")
    apart = ir.parse_text(drawn)
    assert "distributions" in merge_plan(apart)[1]["I"]


def test_exclude_leaves_populations_alone_and_names_must_exist():
    assert merged(BASE, "merge{exclude=I}") == BASE
    assert merged(BASE, "merge{exclude=E+I}") == BASE
    with pytest.raises(ir.ModelError, match="'Ex', which is not a population") as err:
        merged(BASE, "merge{exclude=Ex}")
    assert "did you mean 'E'" in str(err.value)
    with pytest.raises(ir.ModelError,
                       match="merge has no option 'exclude_'|pass 'merge' has no option"):
        merged(BASE, "merge{exclude_=E}")


def test_the_merged_name_never_clashes():
    clash = BASE.replace("projection EI :", "projection E_I :")
    assert "population E_I_2 size=6" in merged(clash)


def test_merge_runs_between_integrate_and_fuse():
    with pytest.raises(ir.ModelError, match="merge needs an integrated model"):
        merged(BASE[:BASE.index("update I")] + "ode I.v = (El - v)/taum\n")
    with pytest.raises(ir.ModelError, match="merge runs before fuse and schedule"):
        merged(BASE, "fuse,merge")


def test_verify_checks_the_parts():
    # a rate of I for any of its slices
    split = MERGED.replace("bounds=[0, 4, 6]", "bounds=[0, 4, 5, 6]")
    with pytest.raises(ir.IRError, match="starts at 5, but the parts before it end at 4"):
        ir.verify(ir.parse_text(split.replace("part I = E_I[4:6]", "part I = E_I[5:6]")))
    with pytest.raises(ir.IRError, match="the parts of 'E_I' end at 5, not at its size 6"):
        ir.verify(ir.parse_text(split.replace("part I = E_I[4:6]", "part I = E_I[4:5]")))
    with pytest.raises(ir.IRError, match="no state monitor of them"):
        ir.verify(ir.parse_text(MERGED.replace("monitors=[rate, state v]",
                                               "monitors=[rate, state ge]")))
    with pytest.raises(ir.IRError, match=r"no spike monitor of 'E_I' records E_I\[0:4\]"):
        ir.verify(ir.parse_text(MERGED.replace("monitor spikes E_I[0:4]\n", "")))
    with pytest.raises(ir.IRError, match=r"no spike monitor of 'E_I' records E_I\[0:4\]"):
        ir.verify(ir.parse_text(MERGED.replace("monitor spikes E_I[0:4]",
                                               "monitor spikes E_I[1:6]")))
    with pytest.raises(ir.IRError, match=r"(?s)no rate monitor of 'E_I' counts E_I\[4:6\] apart"
                                         r".*include 4 and 6"):
        ir.verify(ir.parse_text(MERGED.replace("bounds=[0, 4, 6]", "bounds=[0, 5, 6]")))
    with pytest.raises(ir.IRError, match=r"no rate monitor of 'E_I' counts E_I\[4:6\] apart"):
        ir.verify(ir.parse_text(MERGED.replace("monitor rate E_I bounds=[0, 4, 6]\n", "")))


def test_two_areas_becomes_one_population_in_one_fused_block():
    model = nf.load(nf.__path__[0] + "/../examples/two_areas.nfl").model.add(ir.Clock(0.1))
    out = run_pipeline(model, "resolve,canonicalize,integrate,merge,delays,kernels,fuse,schedule",
                       verify_each=True)
    assert [p.name for p in out.populations] == ["A_E_A_I_B_E_B_I"]
    assert parts(ir.print(out)) == ["A_E", "A_I", "B_E", "B_I"]
    assert len(out.find(ir.FusedUpdate)) == 1
    assert out.get("A_to_B").pre == ir.PopSlice("A_E_A_I_B_E_B_I", 0, 800)
    assert out.get("A_to_B").post == ir.PopSlice("A_E_A_I_B_E_B_I", 1000, 1800)
    text = textwrap.dedent("""\
        part A_E = A_E_A_I_B_E_B_I[0:800] monitors=[spikes, state v]
        part A_I = A_E_A_I_B_E_B_I[800:1000] monitors=[rate]
        part B_E = A_E_A_I_B_E_B_I[1000:1800] monitors=[spikes]
        part B_I = A_E_A_I_B_E_B_I[1800:2000]""")
    assert [line for line in ir.print(out).splitlines()
            if line.startswith("part ")] == text.splitlines()
    monitors = [line for line in ir.print(out).splitlines() if line.startswith("monitor ")]
    assert monitors[:2] == ["monitor spikes A_E_A_I_B_E_B_I[0:1800]",
                            "monitor rate A_E_A_I_B_E_B_I bounds=[0, 800, 1000, 1800, 2000]"]
