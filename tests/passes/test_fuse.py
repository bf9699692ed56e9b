"""The `fuse` pass: which operations join a population's block, where it runs, and on what."""
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.units import mV, ms
from tests.conftest import load_example
from tests.passes.irtext import after, lines

BEFORE = "resolve,canonicalize,integrate,delays,kernels"


def lowered(model, tail="fuse,schedule"):
    model = model.add(ir.Clock(0.1)) if "clock" not in model else model
    return run_pipeline(model, f"{BEFORE},{tail}", verify_each=True)


def lif(effect="ge += w", reset="v = Vr", equations=None, **extra):
    net = nf.Network("n")
    eqs = equations or """
        dv/dt = (ge*(Ee - v) + El - v) / taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
    """
    p = net.population("P", 50, eqs, threshold="v > Vt", reset=reset, refractory=2 * ms,
                       params=dict(taum=20 * ms, Ee=0 * mV, El=-49 * mV, Vt=-50 * mV, Vr=-60 * mV,
                                   taue=5 * ms),
                       init=dict(v=-60 * mV), **extra)
    weight = 0.5 if "ge" in effect else 0.01
    net.projection(p, p, on_pre=effect, connect=nf.fixed_prob(0.1), weights=weight, name="rec")
    net.monitor_spikes(p)
    return net.build()


def test_coba_block_runs_update_threshold_and_reset_where_the_update_was():
    model = lowered(load_example("coba")["model"])
    block = model.get("P.fused")
    assert block.ops == ("P.update", "P.threshold", "P.reset") and block.backend == "native"
    order = model.get("schedule").order
    assert order == ("P.v.monitor", "P.fused", "P.spike_monitor", "excitatory", "inhibitory")
    assert "fused P [P.update, P.threshold, P.reset] backend=native" in ir.print(model)


def test_reset_stays_after_projections_that_read_what_it_writes():
    # `v += w*(Ee - v)` reads v after the threshold, before Brian2's reset of v
    model = lowered(lif(effect="v += w*(Ee - v)"))
    assert model.get("P.fused").ops == ("P.update", "P.threshold")
    order = model.get("schedule").order
    assert order.index("rec") < order.index("P.reset")


def test_reset_reading_a_variable_the_projection_writes_stays_apart():
    model = lowered(lif(reset="v = Vr + ge*mV"))
    assert model.get("P.fused").ops == ("P.update", "P.threshold")


def test_fusing_before_or_after_schedule_gives_the_same_order():
    model = load_example("coba")["model"]
    first = lowered(model, "fuse,schedule").get("schedule")
    second = lowered(model, "schedule,fuse").get("schedule")
    assert first == second


def test_noise_and_reads_of_the_past_run_on_xla():
    noisy = lif(equations="""
        dv/dt = (ge*(Ee - v) + El - v) / taum + 2*mV*xi/sqrt(taum) : volt (unless refractory)
        dge/dt = -ge / taue : 1
    """)
    assert lowered(noisy).get("P.fused").backend == "xla"
    past = lif(equations="""
        dv/dt = (ge*(Ee - v) + El - v) / taum + 0.1*(v(t - 1*ms) - v)/taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
    """)  # noqa: E501
    assert lowered(past).get("P.fused").backend == "xla"


def test_options_native_and_exclude():
    model = load_example("coba")["model"]
    assert lowered(model, "fuse{native=false},schedule").get("P.fused").backend == "xla"
    excluded = lowered(model, "fuse{exclude=P},schedule")
    assert not excluded.find(ir.FusedUpdate) and "P.update" in excluded.get("schedule").order
    with pytest.raises(ir.ModelError, match="'Q', which is not a population"):
        lowered(model, "fuse{exclude=Q},schedule")


def test_verify_rejects_blocks_that_do_not_fit():
    model = lowered(load_example("coba")["model"])
    schedule = model.get("schedule")
    with pytest.raises(ir.IRError, match="on their own"):
        ir.verify(model.replace(schedule.replace(order=schedule.order + ("P.reset",))))
    with pytest.raises(ir.IRError, match="fuses a state update"):
        ir.verify(model.replace(model.get("P.fused").replace(ops=("P.threshold", "P.update"))))
    with pytest.raises(ValueError, match="native or xla"):
        ir.FusedUpdate("P", ("P.update",), "gpu")


def test_text_form_round_trips():
    model = lowered(load_example("coba")["model"])
    assert ir.print(ir.parse_text(ir.print(model))) == ir.print(model)


# ---- text in, text out ---------------------------------------------------------------------------
# An integrated model with its kernels chosen; `fuse` and `schedule` only add their lines.

LIF = """\
neuroflow-ir 1
model lif
population P size=50 method=auto
state P.v : float[50]<mV> = -60.0
state P.ge : float[50]<mV> = 0.0
param P.taum : float[]<ms> = 20.0
param P.taue : float[]<ms> = 5.0
param P.El : float[]<mV> = -49.0
param P.Vt : float[]<mV> = -50.0
param P.Vr : float[]<mV> = -60.0
threshold P : v > Vt
reset P : v = Vr
refractory P : 5.0<ms>
projection rec : P[0:50] -> P[0:50] connect=fixed_prob(0.1) w:float[]<mV>=0.5 \
on_pre={ge += w} delay=0.0 kernel=event
monitor spikes P
monitor state P.v indices=[0] every=1
clock dt=0.1
update P method=exact hold=[v] {
  exact [v, ge] A=[-1.0/taum, 1.0/taum; 0.0, -1.0/taue] b=[El/taum, 0.0]
}
"""


def test_schedule_lists_the_operations_in_brian2s_order():
    # state monitors, updates, thresholds, spike monitors, propagation, resets
    assert after(LIF, "schedule") == (
        LIF + "schedule [P.v.monitor, P.update, P.threshold, P.spike_monitor, rec, P.reset]\n")


def test_update_threshold_and_reset_become_one_block_where_the_update_was():
    # `rec` writes ge, which the reset neither reads nor writes: the reset may move up
    # (`schedule` lists `rec` as added by the native block's call: tests/passes/test_schedule_adds)
    fused = LIF + """\
fused P [P.update, P.threshold, P.reset] backend=native
schedule [P.v.monitor, P.fused, P.spike_monitor, rec]
"""
    assert after(LIF, "fuse,schedule{block_adds=false}") == fused
    assert after(LIF, "fuse,schedule") == fused.replace("native", "native adds=[rec]")
    on_xla = fused.replace("backend=native", "backend=xla")
    assert after(LIF, "fuse{native=false},schedule") == on_xla
    assert after(LIF, "fuse{exclude=P},schedule") == after(LIF, "schedule")


def test_the_reset_stays_after_a_projection_into_the_variable_it_resets():
    text = LIF.replace("on_pre={ge += w}", "on_pre={v += w}")
    assert after(text, "fuse,schedule") == text + """\
fused P [P.update, P.threshold] backend=native
schedule [P.v.monitor, P.fused, P.spike_monitor, rec, P.reset]
"""


def test_random_numbers_keep_a_block_on_xla():
    text = LIF.replace("threshold P : v > Vt", "threshold P : v > Vt + 2.0<mV>*rand()")
    assert lines(after(text, "fuse"), "fused") == [
        "fused P [P.update, P.threshold, P.reset] backend=xla"]


EI = """\
neuroflow-ir 1
model ei
population E size=4 method=auto
state E.v : float[4]<mV> = -60.0
param E.tau : float[]<ms> = 20.0
threshold E : v > -50.0<mV>
reset E : v = -60.0<mV>
population I size=2 method=auto
state I.v : float[2]<mV> = -60.0
param I.tau : float[]<ms> = 10.0
threshold I : v > -50.0<mV>
projection EI : E[0:4] -> I[0:2] connect=all_to_all() w:float[]<mV>=0.5 on_pre={v += w} \
delay=0.0 kernel=all_to_all
projection IE : I[0:2] -> E[0:4] connect=all_to_all() w:float[]<mV>=-0.5 on_pre={v += w} \
delay=0.0 kernel=all_to_all
monitor spikes E
monitor rate I
monitor state I.v indices=[1] every=1
clock dt=0.1
update E method=exact {
  _a_v = -1.0/tau
  v = v*exp(_a_v*dt)
}
update I method=exact {
  _a_v = -1.0/tau
  v = v*exp(_a_v*dt)
}
"""


def test_two_populations_are_scheduled_phase_by_phase_and_fused_one_block_each():
    assert after(EI, "schedule") == EI + """\
schedule [I.v.monitor, E.update, I.update, E.threshold, I.threshold, E.spike_monitor, \
I.rate_monitor, EI, IE, E.reset]
"""
    # IE adds to E.v, which E's reset writes: that reset stays after the projections; I has none
    assert after(EI, "fuse,schedule") == EI + """\
fused E [E.update, E.threshold] backend=native
fused I [I.update, I.threshold] backend=native
schedule [I.v.monitor, E.fused, I.fused, E.spike_monitor, I.rate_monitor, EI, IE, E.reset]
"""
