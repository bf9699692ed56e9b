"""A generated block's call that also adds its population's spikes through the `event`
projections onto itself (`FusedUpdate.adds`, set by `schedule`): the same run, to the bit, as one
kernel call per projection (`schedule{block_adds=false}`), and only where nothing in between could
tell the difference."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.backend.jax import _native
from neuroflow.passes import DEFAULT_PIPELINE
from neuroflow.units import ms, mV

pytestmark = pytest.mark.skipif(not _native.available(),
                                reason="no C++ compiler: native code is not built")

EQUATIONS = """
    dv/dt  = (ge*(Ee - v) + gi*(Ei - v) + (El - v) + I) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
"""
SEPARATE = DEFAULT_PIPELINE.replace("schedule", "schedule{block_adds=false}")
PARAMS = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Ee=0 * mV, Ei=-80 * mV, El=-60 * mV,
              I=20 * mV, Vt=-50 * mV, Vr=-60 * mV)


def network(n: int = 800, *, delayed: bool = False, other: bool = False, trace: bool = False):
    """COBA-like: shared weights onto ge (`+=`), weights per synapse onto gi (`-=`)."""
    net = nf.Network("adds")
    P = net.population("P", n, equations=EQUATIONS, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, params=PARAMS,
                       init=dict(v=nf.uniform(-60 * mV, -50 * mV), ge=nf.uniform(0.0, 0.1)))
    exc, inh = P[:n * 4 // 5], P[n * 4 // 5:]
    net.monitor_spikes(P)
    net.projection(exc, P[n // 10:], on_pre="ge += 0.4", connect=nf.fixed_prob(0.05),
                   kernel="event", name="excitatory")
    net.projection(inh, P, on_pre="gi -= w", weights=nf.uniform(-7.0, -3.0),
                   connect=nf.fixed_prob(0.05), kernel="event", name="inhibitory")
    if delayed:
        net.projection(exc, P, on_pre="ge += 0.1", connect=nf.fixed_prob(0.02), delay=1 * ms,
                       kernel="event", name="delayed")
    if other:
        Q = net.population("Q", 50, equations="dv/dt = -v / (10*ms) : 1", threshold="v > 1",
                           reset="v = 0", init=dict(v=nf.uniform(0.0, 1.2)))
        net.projection(Q, P, on_pre="ge += 0.2", connect=nf.fixed_prob(0.2), kernel="event",
                       name="from_q")
    if trace:
        net.monitor(P, "ge", indices=[0, 1, 2, 400])
    return net.build()


def runs(model, dtype, duration=200 * ms):
    """The run with the block's adds, the names it adds, and the run with one call each (the
    override `schedule{block_adds=false}`)."""
    merged = nf.compile(model, dt=0.1 * ms, dtype=dtype)
    added = merged.program.added_by_blocks
    # the call adds what the printed IR says it adds
    assert set(merged.program.model.get("P.fused").adds) == added
    separate = nf.compile(model, dt=0.1 * ms, dtype=dtype, pipeline=SEPARATE)
    assert not separate.program.added_by_blocks and not separate.program.model.get("P.fused").adds
    return merged.run(duration, seed=4), added, separate.run(duration, seed=4)


def assert_identical(a, b):
    for x, y in zip(a.spikes("P"), b.spikes("P")):
        np.testing.assert_array_equal(x, y)
    for name, value in a.final.population("P").items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(b.final.population("P")[name]),
                                      err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_block_adds_its_projections_bit_for_bit(dtype):
    a, added, b = runs(network(), dtype)
    assert added == {"excitatory", "inhibitory"}
    assert len(a.spikes("P")[0]) > 500  # enough activity for every row to be added many times
    assert_identical(a, b)


def test_what_the_block_does_not_add():
    """A delayed projection reads a ring: a call of its own after the block's adds.  A trace of
    the target (read at the start of the next step) is the same."""
    a, added, b = runs(network(delayed=True, trace=True), "float32")
    assert added == {"excitatory", "inhibitory"}
    assert_identical(a, b)
    np.testing.assert_array_equal(a.trace("P", "ge")[1], b.trace("P", "ge")[1])


def test_nothing_is_added_past_another_populations_update():
    """Q's block comes between P's block and P's projections in the schedule: the projections
    keep their calls (a block adds only what directly follows it)."""
    a, added, b = runs(network(other=True), "float32", 100 * ms)
    assert added == set()
    assert_identical(a, b)
