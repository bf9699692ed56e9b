"""The NEST ports of the standard library against NEST 3.10's own spike times.

`nest_spikes.json` was written by `nest_reference.py` running NEST itself (rerun both with
`python tests/nest/compare.py`).  NEST stamps a spike with the end of its step, neuroflow
with the start, so the ports' times plus dt must equal NEST's.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.units import ms

REFERENCE = json.loads((Path(__file__).parent / "nest_spikes.json").read_text())
EXACT = ["iaf_psc_exp", "iaf_psc_alpha", "iaf_cond_exp", "izhikevich"]


def port_spikes(model: str, dt: float) -> np.ndarray:
    case = REFERENCE["models"][model]
    text = f"""
import "nest.nfl"
network check {{
    population P[1] = {model}(I_e = {case["I_e_pA"]}*pA)
    monitor spikes P
}}
"""
    sim = nf.compile(nf.load_text(text, f"<{model} test>").model, dt=dt * ms, dtype="float64")
    return sim.run(REFERENCE["duration_ms"] * ms).spikes("P")[0]


@pytest.mark.parametrize("model", EXACT)
def test_port_fires_at_nests_spike_times(model):
    nest = np.asarray(REFERENCE["models"][model]["spike_times_ms"])
    ours = port_spikes(model, 0.1)
    assert len(nest) > 10 and len(ours) == len(nest)
    np.testing.assert_allclose(ours + 0.1, nest, atol=1e-6)  # the same step for every spike


def test_aeif_port_fires_as_often_as_nest():
    """NEST resets the AdEx neuron in the middle of a step; the port at the end of it (see
    nest.nfl), so times drift by up to a step per spike while the count stays NEST's."""
    nest = np.asarray(REFERENCE["models"]["aeif_cond_exp"]["spike_times_ms"])
    ours = port_spikes("aeif_cond_exp", 0.1)
    assert len(ours) == len(nest)
    assert np.max(np.abs(ours + 0.1 - nest)) < 1.5
    assert abs(ours[0] + 0.1 - nest[0]) <= 0.2  # the first spike, before any reset: within two steps
