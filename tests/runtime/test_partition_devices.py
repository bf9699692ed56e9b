"""One network partitioned over two devices (two host devices forced in a fresh process: the
XLA flag must be set before JAX starts): every monitor's results equal those of the same model
on one device with the same seed, bit for bit; what cannot be partitioned is refused with a
located error."""
import pytest

import neuroflow as nf
from neuroflow.passes import run_pipeline
from neuroflow.units import ms
from tests.runtime.workers import ROOT, report_of

# Each model runs on one device and partitioned over two; the worker reports, per model, the
# spike count and whether spikes, traces, rates and the final state of every neuron are equal.
# Most population sizes are odd, so the second device's block is padded.  `coba`:
# conductance-based LIF with native kernels where they build; `delays`: one delay per
# projection (a spike ring) and one per synapse (an input ring), on the event and ell kernels
# (not csr: XLA's scatter may add a neuron's inputs in another order on a device's part of the
# synapses, see docs/scale.md); `rings`: delays that let the spikes be exchanged every 7 steps;
# `noise`: an SDE (randn per neuron and step), a threshold with rand() and a Poisson input,
# whose numbers are keyed by global neuron index.
WORKER = """
import json
import jax
import numpy as np
import neuroflow as nf
from neuroflow.units import mV, ms, Hz
from tests.runtime.workers import small_coba

def coba():
    return small_coba(401, rate=True, traced=(0, 7, 250, 400)).build()

def driven_pair(name, n_a):  # a driven population A of n_a neurons and a leaky one B of 151
    net = nf.Network(name)
    A = net.population("A", n_a, "dv/dt = (I - v)/(10*ms) : 1", threshold="v > 1",
                       reset="v = 0", params={"I": nf.uniform(0.9, 1.3)},
                       init={"v": nf.uniform(0, 1)})
    B = net.population("B", 151, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    return net, A, B

def delays():  # A splits into whole bytes: its monitor records the exchanged bits as they are
    net, A, B = driven_pair("delays", 256)
    net.projection(A, B, on_pre="v += 0.3", connect=nf.fixed_prob(0.1), delay=1.5 * ms,
                   kernel="event", name="fixed")
    net.projection(A[100:], B[20:140], on_pre="v += w", weights=nf.uniform(0.1, 0.4),
                   connect=nf.fixed_prob(0.1), delay=nf.uniform(0.5 * ms, 3 * ms), name="spread")
    net.projection(B, A[:150], on_pre="v -= 0.05", connect=nf.fixed_prob(0.1), kernel="ell",
                   delay=0.7 * ms, name="back")
    net.monitor_spikes(A)
    net.monitor_spikes(B)
    net.monitor(B, "v", indices=[0, 75, 150])
    return net.build()

def rings():  # every projection delays its spikes 7 steps or more: exchanged every 7 steps
    net, A, B = driven_pair("rings", 203)
    net.projection(A, B, on_pre="v += 0.3", connect=nf.fixed_prob(0.1), delay=1.5 * ms,
                   name="fixed")
    net.projection(B, A[:150], on_pre="v -= 0.05", connect=nf.fixed_prob(0.1), kernel="ell",
                   delay=0.7 * ms, name="back")
    net.monitor_spikes(A)
    net.monitor_rate(B)
    net.monitor(B, "v", indices=[0, 75, 150])
    return net.build()

def noise():
    net = nf.Network("noise")
    P = net.population("P", 157, "dv/dt = (0.5 - v)/(10*ms) + 0.4*xi/sqrt(10*ms) : 1",
                       threshold="v > 1 or rand() < 0.001", reset="v = 0",
                       method="euler_maruyama")
    net.poisson_input(P, "v", 50, 20 * Hz, 0.05)
    net.projection(P, P, on_pre="v += 0.02", connect=nf.fixed_prob(0.1), name="rec")
    net.monitor_spikes(P)
    net.monitor(P, "v", indices=[3, 100, 156])
    return net.build()

def same(a, b):
    pairs = [pair for pop in a.spike_monitored for pair in zip(a.spikes(pop), b.spikes(pop))]
    pairs += [pair for pop, var in a.traced for pair in zip(a.trace(pop, var), b.trace(pop, var))]
    pairs += [pair for pop in a.rate_monitored
              for pair in zip(a.rate_trace(pop, 1.0), b.rate_trace(pop, 1.0))]
    return len(pairs) > 0 and all(np.array_equal(x, y) for x, y in pairs)

def later_half(results, pop):
    t, i = results.spikes(pop)
    return t[t >= 20], i[t >= 20]

report = {"devices": len(jax.devices()), "models": {}}
for build in (coba, delays, rings, noise):
    model = build()
    one = nf.compile(model, dt=0.1 * ms)
    two = nf.compile(model, dt=0.1 * ms, devices=2)
    a, b = one.run(40 * ms, seed=5), two.run(40 * ms, seed=5)
    spikes = sum(len(a.spikes(pop)[0]) for pop in a.spike_monitored)
    # a partitioned run resumed from where it stopped goes on as the whole run does
    half = two.run(20 * ms, seed=5)
    rest = two.run(20 * ms, resume=half.final)
    resumed = all(np.array_equal(x, y) for pop in a.spike_monitored
                  for x, y in zip(later_half(a, pop), rest.spikes(pop)))
    # where the run ended, as one device holds it
    ended = a.final.t_ms == b.final.t_ms and all(
        np.array_equal(a.final.population(pop)[var], b.final.population(pop)[var])
        for pop in a.sizes for var in a.final.population(pop))
    # the tables of the last seed are kept: another seed draws its own, the first one's return
    reseeded = same(one.run(40 * ms, seed=6), two.run(40 * ms, seed=6))
    again = same(a, two.run(40 * ms, seed=5))
    report["models"][build.__name__] = {"spikes": spikes, "same": same(a, b),
                                        "resumed": resumed, "ended": ended,
                                        "reseeded": reseeded, "again": again,
                                        "partition": two.ir.splitlines()[-1]}
# what `sim.memory()` says each device holds, against the bytes placed on the first device
big = nf.compile(small_coba(4000).build(), dt=0.1 * ms, devices=2)
estimate = big.memory(10 * ms)
state, params, conn = big.partition.initial(0, {})
params = big.partition.split_params(params)
placed = sum(shard.data.nbytes for leaf in jax.tree_util.tree_leaves((state, params, conn))
             for shard in leaf.addressable_shards if shard.device == jax.devices()[0])
chunks = sum(p.bytes for p in estimate.parts if p.kind == "monitors" and not p.on_host)
report["memory"] = {"per_device": estimate.per_device - chunks, "placed": placed,
                    "whole": estimate.held, "text": estimate.text()}
print("RESULT " + json.dumps(report))
"""


def test_a_network_partitioned_over_two_devices_runs_as_on_one():
    report = report_of(WORKER, timeout=900)
    assert report["devices"] == 2
    assert set(report["models"]) == {"coba", "delays", "rings", "noise"}
    memory = report["memory"]  # each device's share: within 5% of what it holds, about half
    assert 0.95 <= memory["per_device"] / memory["placed"] <= 1.05, memory
    assert memory["per_device"] < 0.6 * memory["whole"] and "per device" in memory["text"]
    for name, found in report["models"].items():
        assert found["spikes"] > 20, (name, found)  # a silent network would compare nothing
        assert found["same"], (name, found)
        assert found["resumed"], (name, found)
        assert found["ended"], (name, found)
        assert found["reseeded"] and found["again"], (name, found)
    assert report["models"]["coba"]["partition"] == "partition devices=2 exchange=1 owned=[P:201]"
    # the smallest delay (0.7 ms) sets the interval between exchanges; 400 steps are 57
    # intervals and a shorter one
    assert report["models"]["rings"]["partition"].startswith("partition devices=2 exchange=7 ")


def _rate_network():
    net = nf.Network("rates")
    units = net.population("R", 6, "dx/dt = (-x + I_rec)/tau : 1\nI_rec : 1",
                           params={"tau": 10 * ms})
    net.projection(units, units, model="w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)",
                   weights=nf.normal(0, 0.6), connect=nf.all_to_all(), name="rec")
    return net.build()


def _lowered(model, pipeline):
    return run_pipeline(model.add(nf.ir.Clock(0.1)), pipeline)


def test_a_summed_coupling_is_refused_with_its_name_and_a_way_out():
    with pytest.raises(nf.ModelError, match="coupling 'rec'.*summed") as err:
        _lowered(_rate_network(), nf.passes.DEFAULT_PIPELINE + ",partition{devices=2}")
    assert "one device" in err.value.hint


def test_the_refusal_points_at_the_coupling_in_a_model_file():
    model = nf.load(ROOT / "examples" / "gap_junctions.nfl")
    with pytest.raises(nf.ModelError) as err:
        nf.compile(model, dt=0.1 * ms,
                   pipeline=nf.passes.DEFAULT_PIPELINE + ",partition{devices=2}")
    text = str(err.value)
    assert "gap_junctions.nfl:32:9: coupling 'gap'" in text
    assert "Igap_post = w*(v_pre - v_post)" in text


def _lif(n=10, kernel="auto"):
    net = nf.Network("lif")
    P = net.population("P", n, "dv/dt = (1.2 + 0.01*i/N - v)/(10*ms) : 1", threshold="v > 1",
                       reset="v = 0")
    net.projection(P, P, on_pre="v += 0.1", connect=nf.fixed_prob(0.5), kernel=kernel,
                   name="rec")
    return net.build()


def test_the_partition_is_printed_and_read_back():
    lowered = _lowered(_lif(), nf.passes.DEFAULT_PIPELINE + ",partition{devices=3}")
    text = nf.ir.print_model(lowered)
    assert "partition devices=3 exchange=1 owned=[P:4]" in text.splitlines()
    assert nf.ir.print_model(nf.ir.parse_text(text)) == text
    # a fused block reading the neuron's index runs on XLA, where the index is the global one
    assert "backend=xla" in text
    assert _lowered(_lif(), nf.passes.DEFAULT_PIPELINE + ",partition").get("partition") is None


def test_projections_reading_a_shared_ring_set_the_interval_by_their_delays():
    net = nf.Network("shared")
    P = net.population("P", 10, "dv/dt = (1.2 - v)/(10*ms) : 1", threshold="v > 1",
                       reset="v = 0")
    Q = net.population("Q", 10, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    for name, target, delay in (("pp", P, 1.5), ("pq", Q, 1.5), ("slow", Q, 2.0)):
        net.projection(P, target, on_pre="v += 0.1", connect=nf.fixed_prob(0.5),
                       delay=delay * ms, name=name)
    text = nf.ir.print_model(_lowered(net.build(),
                                      nf.passes.DEFAULT_PIPELINE + ",partition{devices=2}"))
    assert "buffer P kind=spikes steps=20 readers=[pp:15, pq:15, slow:20]" in text
    assert "partition devices=2 exchange=15 owned=[P:5, Q:5]" in text.splitlines()


def test_kernels_without_a_table_of_synapses_are_refused():
    with pytest.raises(nf.ModelError, match="'rec' uses the 'procedural' kernel") as err:
        _lowered(_lif(kernel="procedural"), nf.passes.DEFAULT_PIPELINE + ",partition{devices=2}")
    assert "kernel='event'" in err.value.hint


def test_a_wrong_partition_is_caught_by_the_verifier():
    lowered = _lowered(_lif(), nf.passes.DEFAULT_PIPELINE)
    with pytest.raises(nf.ir.IRError, match="gives each of 2 devices 3 neurons"):
        nf.ir.verify(lowered.add(nf.ir.Partition(2, 1, (("P", 3),))))
    with pytest.raises(nf.ModelError, match="'rec' are needed 1 step") as err:
        _lowered(_lif(), nf.passes.DEFAULT_PIPELINE + ",partition{devices=2,exchange=3}")
    assert "exchange=1" in err.value.hint


def test_more_devices_than_jax_sees_is_a_clear_error():
    with pytest.raises(nf.ModelError, match="JAX sees"):
        nf.compile(_lif(), dt=0.1 * ms, devices=64)
    with pytest.raises(nf.ModelError, match="devices"):
        nf.compile(_lif(), dt=0.1 * ms, devices=["cpu"])
