"""The `fuse` pass: which operations join a population's block, where it runs, and on what."""
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import run_pipeline
from neuroflow.units import mV, ms
from tests.conftest import load_example

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
                       params=dict(taum=20 * ms, Ee=0 * mV, El=-49 * mV, Vt=-50 * mV, Vr=-60 * mV, taue=5 * ms),
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
    """)
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
