"""The memory estimate against the exact sizes of the arrays a compiled model allocates, and a
run too large for the machine refused before anything is allocated."""
import resource

import jax
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax._memory import InsufficientMemory, row_width
from neuroflow.units import mV, ms


def nbytes(tree) -> int:
    return sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(tree))


def network():
    """One projection per stored kernel, with rules whose synapse counts are fixed (fan-in,
    fan-out, one-to-one) so that every layout's size is known exactly, plus a delayed projection
    (a spike buffer), per-synapse delays (an input buffer) and monitors."""
    net = nf.Network("layouts")
    lif = dict(equations="dv/dt = (I - v) / (10*ms) : volt\n dg/dt = -g / (5*ms) : 1",
               threshold="v > 1*mV", reset="v = 0*mV", params=dict(I=2 * mV))
    a = net.population("A", 300, **lif)
    b = net.population("B", 200, **lif)
    net.projection(a, b, on_pre="g += 0.1", connect=nf.fixed_fan_in(20), kernel="csr",
                   name="to_csr")
    net.projection(a, b, on_pre="g += w", weights=nf.uniform(0, 1), connect=nf.fixed_fan_in(20),
                   kernel="ell", name="to_ell")
    net.projection(a, b, on_pre="g += 0.1", connect=nf.fixed_fan_out(33), kernel="event",
                   name="to_event")
    net.projection(a, b, on_pre="g += w", weights=nf.uniform(0, 1), connect=nf.fixed_fan_out(7),
                   kernel="event", delay=nf.uniform(0 * ms, 2 * ms), name="to_delayed")
    net.projection(b, a, on_pre="g += 0.2", connect=nf.fixed_prob(0.1), kernel="dense",
                   delay=1 * ms, name="to_dense")
    net.projection(b, b, on_pre="g += 0.2", connect=nf.one_to_one(), kernel="one_to_one",
                   name="to_self")
    net.projection(a, b, on_pre="g += 0.1", connect=nf.fixed_prob(0.1), kernel="procedural",
                   name="to_procedural")
    net.projection(b, a, on_pre="g += 0.1", connect=nf.fixed_fan_out(9), kernel="procedural",
                   name="to_procedural_fan_out")
    net.monitor_spikes(a)
    net.monitor(b, "v", indices=[0, 5, 9])
    return net.build()


def test_the_estimate_is_the_size_of_the_compiled_arrays():
    sim = nf.compile(network(), dt=0.1 * ms)
    found = sim.memory(20 * ms, chunk_steps=50)
    state, params, conn = sim.program.initial(0)
    parts = {(p.kind, p.name): p.bytes for p in found.parts if p.when == "held"}
    for name, arrays in conn.items():
        assert parts[("connectivity", name)] == nbytes(arrays), name
    for pop, values in state["pops"].items():
        assert parts.get(("state", pop), 0) == nbytes(values), pop
    for name, buffer in state["buffers"].items():
        assert parts[("delay buffers", name)] == nbytes(buffer), name
    assert set(state["buffers"]) == {"to_dense", "to_delayed"}
    for pop, values in params.items():
        assert parts.get(("parameters", pop), 0) == nbytes(values), pop
    # the monitors' chunks as the step returns them, two at a time on the device
    _, outputs = jax.eval_shape(sim.program.step, state, params, conn, {})
    on_device = [b for (kind, name), b in parts.items()
                 if kind == "monitors" and not name.endswith("(host)")]
    per_step = sum(leaf.size * leaf.dtype.itemsize for leaf in jax.tree_util.tree_leaves(outputs))
    assert len(on_device) == 2 and sum(on_device) == 2 * 50 * per_step


@pytest.mark.parametrize("example", ["stdp.nfl", "two_areas.nfl", "brunel2000.nfl"])
def test_random_tables_of_the_examples_are_estimated_closely(example):
    """Plastic synapses (their tables are state, their index by post neuron connectivity) and
    tables padded to a random largest fan-out: within 10% of what is drawn."""
    from tests.conftest import EXAMPLES
    sim = nf.compile(nf.load(EXAMPLES / example), dt=0.1 * ms)
    kinds = sim.memory(10 * ms).by_kind()
    state, _, conn = sim.program.initial(0)
    assert kinds["connectivity"] == pytest.approx(nbytes(conn), rel=0.1)
    held = nbytes(state["pops"]) + nbytes(state.get("synapses", {}))
    assert kinds["state"] == pytest.approx(held, rel=0.1)


def test_a_sweep_holds_a_state_per_run_and_the_connectivity_once():
    sim = nf.compile(network(), dt=0.1 * ms)
    one, four = sim.memory(20 * ms), sim.memory(20 * ms, batch=4)
    kinds_one, kinds_four = one.by_kind(), four.by_kind()
    assert kinds_four["state"] == 4 * kinds_one["state"]
    assert kinds_four["connectivity"] == kinds_one["connectivity"]


@pytest.mark.parametrize("n", [1000, 20000])
def test_the_width_of_a_random_table_is_the_expected_largest_fan_out(n):
    """fixed_prob draws a random fan-out per row: the estimate is the padded expected maximum."""
    rule = nf.ir.FixedProb(80 / n)
    widths = []
    for seed in range(3):
        pre, _ = rule.draw(n, n, np.random.default_rng(seed))
        widths.append(-(-np.bincount(pre, minlength=n).max() // 16) * 16)
    assert abs(row_width(rule, n, n, by_pre=True) - np.mean(widths)) <= 16


def test_an_all_to_all_network_of_200k_neurons_is_refused_before_allocation():
    net = nf.Network("dense")
    p = net.population("P", 200_000, "dv/dt = -v / tau : volt", threshold="v > 1*mV",
                       reset="v = 0*mV", params=dict(tau=10 * ms))
    net.projection(p, p, on_pre="v += 0.001*mV", connect=nf.all_to_all(), name="all")
    net.monitor_spikes(p)
    sim = nf.compile(net.build(), dt=0.1 * ms)
    found = sim.memory(10 * ms)
    assert found.peak > 4e10 * 8  # 4e10 synapses, drawn as pre and post indices
    if ir.memory_limit() is None or ir.memory_limit() > found.peak:
        sim.memory_limit = 64 * 2**30  # a machine this large: refuse at a limit instead
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InsufficientMemory) as refused:
        sim.run(10 * ms)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200  # nothing of the synapses' size was allocated
    message = str(refused.value)
    assert "nothing was allocated" in message and "drawing" in message and "GiB" in message
    assert "procedural" in refused.value.hint and "sharding" in refused.value.hint
    assert isinstance(refused.value, MemoryError)
    with pytest.raises(InsufficientMemory):
        sim.sweep(10 * ms, {"P.tau": [10 * ms, 20 * ms]})


def test_a_dry_run_prints_the_estimate_and_runs_nothing(capsys):
    from neuroflow.cli import main
    from tests.conftest import EXAMPLES
    assert main(["run", str(EXAMPLES / "coba.nfl"), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    # the event tables of COBA's projections: rows of pre neurons and a padding row
    assert "event [3201 x" in printed and "event [801 x" in printed
    assert "peak" in printed and "simulated" not in printed


def test_the_ir_command_prints_the_estimate_as_comments_after_the_ir(capsys):
    from neuroflow.cli import main
    from tests.conftest import EXAMPLES
    assert main(["ir", str(EXAMPLES / "coba.nfl"), "--memory"]) == 0
    printed = capsys.readouterr().out
    text, _, comments = printed.partition("// memory estimate")
    nf.ir.parse_text(text)  # the IR above the comments reads back
    assert "10000 steps" in comments and "connectivity" in comments


def test_an_accelerator_is_checked_against_its_own_memory():
    """On an accelerator the device's arrays are held against its `memory_stats()` limit, and
    what stays on the host (recorded spikes) against the machine's memory."""
    from types import SimpleNamespace

    from neuroflow.backend.jax._memory import refuse_unless_it_fits
    sim = nf.compile(network(), dt=0.1 * ms)
    found = sim.memory(20 * ms)
    on_device = found.device_peak()
    assert 0 < on_device < found.peak  # the spikes' host records are not on the device

    def device(limit):
        return SimpleNamespace(platform="gpu", memory_stats=lambda: {"bytes_limit": limit},
                               __str__=lambda self: "gpu:0")

    refuse_unless_it_fits(found, device(on_device))  # fits exactly
    with pytest.raises(InsufficientMemory, match="needs about"):
        refuse_unless_it_fits(found, device(on_device - 1))
    assert ir.memory_limit() > 2**28  # this machine has a readable amount of memory


def test_a_million_neuron_procedural_coba_is_estimated_before_anything_is_drawn():
    """COBA at 10^6 neurons, fan-in 80, procedural: the estimate allocates nothing of the
    network's size, fits in 4 GiB, and its state and connectivity are the arrays a run draws."""
    from tests.conftest import EXAMPLES
    text = (EXAMPLES / "coba.nfl").read_text()
    for old, new in (("P[4000]", "P[1000000]"), ("P[:3200]", "P[:800000]"),
                     ("P[3200:]", "P[800000:]"), ("fixed_prob(0.02)", "fixed_prob(0.00008)")):
        assert old in text
        text = text.replace(old, new)
    pipeline = nf.passes.DEFAULT_PIPELINE.replace("kernels", "kernels{default=procedural}")
    sim = nf.compile(nf.load_text(text), dt=0.1 * ms, pipeline=pipeline)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    found = sim.memory(1000 * ms, spike_rate_hz=22.0)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 50  # MiB
    assert found.peak < 4 * 2**30
    assert found.drawing == 0  # nothing is drawn for procedural connectivity
    state, _, conn = sim.program.initial(0)
    parts = {(p.kind, p.name): p.bytes for p in found.parts if p.when == "held"}
    for name, arrays in conn.items():
        assert parts[("connectivity", name)] == nbytes(arrays), name
    assert parts[("state", "P")] == nbytes(state["pops"]["P"])
