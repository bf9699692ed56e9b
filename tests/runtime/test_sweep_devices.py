"""Sweeps split over several devices: two host devices forced in a fresh process (the XLA flag
must be set before JAX starts), each member equal bit for bit to its own run."""
import pytest

import neuroflow as nf
from neuroflow.runtime._sharding import batch_layout
from tests.runtime.workers import report_of

# A small COBA-like network (conductance-based LIF, excitatory and inhibitory projections drawn
# at random, native kernels where they build) swept over 2 devices, evenly (4 runs) and not
# (3 runs), each run compared with its own `run`: spikes and the voltage trace, bit for bit.
WORKER = """
import json
import jax
import numpy as np
import neuroflow as nf
from neuroflow.runtime._sharding import batch_layout
from neuroflow.units import mV, ms
from tests.runtime.workers import small_coba

net = small_coba()
sim = nf.compile(net.build(), dt=0.1 * ms)
layouts = [batch_layout(jax.devices(), runs) for runs in (1, 3, 4)]
report = {"devices": len(jax.devices()), "native": bool(sim.program.native), "cases": [],
          "layouts": [(layout.devices, layout.padded) for layout in layouts]}
for currents in ([18, 21, 24, 27], [19, 23, 26]):
    swept = sim.sweep(30 * ms, {"P.I": [c * mV for c in currents]}, seed=3)
    for current, member in zip(currents, swept):
        alone = sim.run(30 * ms, seed=3, params={"P.I": current * mV})
        pairs = [*zip(alone.spikes("P"), member.spikes("P")),
                 *zip(alone.trace("P", "v"), member.trace("P", "v"))]
        same = [np.array_equal(a, b) for a, b in pairs]
        report["cases"].append({"runs": len(currents), "I": current, "same": all(same),
                                "spikes": int(len(alone.spikes("P")[0]))})
print("RESULT " + json.dumps(report))
"""


def test_a_sweep_over_two_devices_equals_single_runs_bit_for_bit():
    report = report_of(WORKER)
    assert report["devices"] == 2
    # one run takes one device; 3 runs are padded to 4, two per device
    assert report["layouts"] == [[1, 1], [2, 4], [2, 4]]
    assert len(report["cases"]) == 7
    for case in report["cases"]:
        assert case["spikes"] > 0, case  # a silent network would compare nothing
        assert case["same"], case
    # the drive shapes the activity: different members really are different runs
    assert len({case["spikes"] for case in report["cases"]}) > 3


def test_a_sweep_needs_real_devices():
    with pytest.raises(nf.ModelError, match="devices"):
        batch_layout([], 2)
    with pytest.raises(nf.ModelError, match="devices"):
        batch_layout(["cpu:0"], 2)


def test_the_progress_bar_counts_the_steps_of_every_run(monkeypatch):
    # the bar itself is checked, not what it printed: tqdm redraws at most every 0.1 s and
    # erases itself when closed, so a quick sweep may print only its first line
    from neuroflow.runtime import simulate
    from neuroflow.units import ms
    from tests.conftest import load_example
    bars, made = [], simulate.progress_bar
    monkeypatch.setattr(simulate, "progress_bar",
                        lambda *args: bars.append(made(*args)) or bars[-1])
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms)
    sim.sweep(10 * ms, {"G.taum": [5 * ms, 10 * ms, 20 * ms]}, progress=True)
    assert len(bars) == 1 and "sweeping 3 runs on 1 device" in bars[0].desc
    assert bars[0].total == bars[0].n == 300
