"""`schedule` decides which projections a native fused block's call adds (`adds=[...]`), text in,
text out; verification refuses a list the block cannot add or the schedule contradicts."""
import pytest

from neuroflow import ir
from tests.passes.irtext import after, lines

# An integrated, fused model with its kernels chosen: P's block spikes and resets v (held while
# refractory); `exc` and `inh` add w into ge and take it from gi, the others are each refused.
BASE = """\
neuroflow-ir 1
model adds
population P size=50 method=auto
state P.v : float[50]<mV> = -60.0
state P.ge : float[50]<1> = 0.0
state P.gi : float[50]<1> = 0.0
param P.taum : float[]<ms> = 20.0
param P.Vt : float[]<mV> = -50.0
param P.Vr : float[]<mV> = -60.0
threshold P : v > Vt
reset P : v = Vr
refractory P : 5.0<ms>
population Q size=10 method=auto
state Q.v : float[10]<mV> = -60.0
{projections}
monitor spikes P
clock dt=0.1
update P method=euler hold=[v] {{
  v = v + dt*((-60.0<mV> - v)*(1.0 + ge + gi)/taum)
  ge = ge - dt*ge/5.0<ms>
  gi = gi - dt*gi/10.0<ms>
}}
fused P [P.update, P.threshold, P.reset] backend=native
"""

PROJECTIONS = {
    "exc": "P[0:40] -> P[0:50] connect=fixed_prob(0.1) w:float[]<1>=0.5 on_pre={ge += w}"
           " delay=0.0 kernel=event",
    "inh": "P[40:50] -> P[0:50] connect=fixed_prob(0.1) w:float[]<1>=2.0 on_pre={gi -= w}"
           " delay=0.0 kernel=event",
    "scaled": "P[0:50] -> P[0:50] connect=fixed_prob(0.1) w:float[]<1>=0.5"
              " on_pre={ge += 2.0*w} delay=0.0 kernel=event",
    "into_v": "P[0:50] -> P[0:50] connect=fixed_prob(0.1) w:float[]<mV>=0.5 on_pre={v += w}"
              " delay=0.0 kernel=event",
    "csr": "P[0:50] -> P[0:50] connect=fixed_prob(0.1) w:float[]<1>=0.5 on_pre={ge += w}"
           " delay=0.0 kernel=csr",
    "onto_q": "P[0:50] -> Q[0:10] connect=fixed_prob(0.1) w:float[]<mV>=0.5 on_pre={v += w}"
              " delay=0.0 kernel=event",
    "delayed": "P[0:50] -> P[0:50] connect=fixed_prob(0.1) w:float[]<1>=0.5 on_pre={ge += w}"
               " delay=1.0 kernel=event",
}


def model(*names: str) -> str:
    return BASE.format(projections="\n".join(f"projection {n} : {PROJECTIONS[n]}"
                                             for n in names))


def block(text: str) -> list[str]:
    return lines(text, "fused", "schedule")


def test_the_projections_after_the_block_are_added_in_the_schedules_order():
    assert block(after(model("exc", "inh"), "schedule")) == [
        "fused P [P.update, P.threshold, P.reset] backend=native adds=[exc, inh]",
        "schedule [P.fused, P.spike_monitor, exc, inh]"]


def test_nothing_is_added_past_another_populations_threshold():
    # Q's threshold runs between P's block and the projections (Brian2's order)
    text = after(model("exc").replace("population Q size=10 method=auto\n", "population Q size=10"
                                      " method=auto\nthreshold Q : v > -50.0<mV>\n"), "schedule")
    assert block(text) == ["fused P [P.update, P.threshold, P.reset] backend=native",
                           "schedule [P.fused, Q.threshold, P.spike_monitor, exc]"]


@pytest.mark.parametrize("refused", ["scaled", "into_v", "csr", "onto_q", "delayed"])
def test_a_projection_the_call_cannot_add_ends_the_list(refused):
    # `scaled`: a factor on w; `into_v`: v is held while refractory; `csr`: not `event`;
    # `onto_q`: onto another population; `delayed`: its spikes wait in a ring
    text = after(model("exc", refused, "inh"), "delays,schedule")
    assert block(text)[0].endswith("backend=native adds=[exc]")
    assert block(after(model(refused, "exc"), "delays,schedule"))[0].endswith("backend=native")


def test_the_override_leaves_every_projection_a_call_of_its_own():
    text = after(model("exc", "inh"), "schedule{block_adds=false}")
    assert block(text)[0] == "fused P [P.update, P.threshold, P.reset] backend=native"


def test_a_block_on_xla_adds_nothing():
    on_xla = model("exc").replace("backend=native", "backend=xla")
    assert "adds=" not in after(on_xla, "schedule")


def test_verification_refuses_adds_the_block_cannot_make_or_the_schedule_contradicts():
    scheduled = after(model("exc", "csr", "inh"), "schedule")
    assert "adds=[exc]" in scheduled
    with pytest.raises(ir.IRError, match="cannot add projection 'csr'.*not 'event'"):
        ir.verify(ir.parse_text(scheduled.replace("adds=[exc]", "adds=[exc, csr]")))
    reordered = scheduled.replace("P.spike_monitor, exc, csr", "P.spike_monitor, csr, exc")
    with pytest.raises(ir.IRError, match=r"the schedule runs \['csr'\] right after"):
        ir.verify(ir.parse_text(reordered))
    unscheduled = "\n".join(line for line in scheduled.splitlines()
                            if not line.startswith("schedule")) + "\n"
    with pytest.raises(ir.IRError, match="no schedule"):
        ir.verify(ir.parse_text(unscheduled))
    with pytest.raises(ir.IRError, match="cannot add projection 'nowhere'.*not a projection"):
        ir.verify(ir.parse_text(scheduled.replace("adds=[exc]", "adds=[nowhere]")))


def test_a_partitioned_model_adds_nothing_in_its_blocks():
    # each device runs the projections on their own (the spikes are exchanged between them)
    text = after(model("exc", "inh"), "schedule,partition{devices=2}")
    assert block(text)[0] == "fused P [P.update, P.threshold, P.reset] backend=native"
    partitioned = ir.parse_text(text)
    block_adding = partitioned.get("P.fused").replace(adds=("exc",))
    with pytest.raises(ir.IRError, match="partitioned model runs them on their own"):
        ir.verify(partitioned.replace(block_adding))
