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
EXACT = ["iaf_psc_exp", "iaf_psc_alpha", "iaf_cond_exp", "iaf_cond_alpha", "izhikevich",
         "mat2_psc_exp"]


def port_results(model: str, current: float, dt: float, neurons: int = 1, seed: int = 0):
    text = f"""
import "nest.nfl"
network check {{
    population P[{neurons}] = {model}(I_e = {current}*pA)
    monitor spikes P
}}
"""
    sim = nf.compile(nf.load_text(text, f"<{model} test>").model, dt=dt * ms, dtype="float64")
    return sim.run(REFERENCE["duration_ms"] * ms, seed=seed)


def port_spikes(model: str, dt: float) -> np.ndarray:
    return port_results(model, REFERENCE["models"][model]["I_e_pA"], dt).spikes("P")[0]


@pytest.mark.parametrize("model", EXACT)
def test_port_fires_at_nests_spike_times(model):
    nest = np.asarray(REFERENCE["models"][model]["spike_times_ms"])
    ours = port_spikes(model, 0.1)
    assert len(nest) > 10 and len(ours) == len(nest)
    np.testing.assert_allclose(ours + 0.1, nest, atol=1e-6)  # the same step for every spike


@pytest.mark.parametrize("model", ["aeif_cond_exp", "aeif_cond_alpha"])
def test_aeif_port_fires_within_two_steps_of_nest(model):
    """NEST resets the AdEx neuron in the middle of a step (see nest.nfl); at dt = 0.01 ms the
    port's end-of-step reset loses little, and every spike lies within two of NEST's steps."""
    case = REFERENCE["models"][model]
    nest = np.asarray(case["spike_times_ms"])
    ours = port_spikes(model, 0.01)
    assert len(nest) > 10 and len(ours) == len(nest)
    assert np.max(np.abs(ours + 0.01 - nest)) <= 2 * case["resolution_ms"] + 1e-9


def test_hh_psc_alpha_port_fires_within_two_steps_of_nest():
    """NEST integrates adaptively and stamps a spike at the end of the 0.1 ms step in which the
    membrane started to fall above 0 mV; the port at dt = 0.01 ms."""
    nest = np.asarray(REFERENCE["models"]["hh_psc_alpha"]["spike_times_ms"])
    ours = port_spikes("hh_psc_alpha", 0.01)
    assert len(nest) > 50 and len(ours) == len(nest)
    assert (np.max(np.abs(ours + 0.01 - nest))
            <= 2 * REFERENCE["models"]["hh_psc_alpha"]["resolution_ms"] + 1e-9)


def test_gif_cond_exp_port_fires_at_nests_rate():
    """Escape noise: the mean rate of many neurons, within 10% of NEST's."""
    case = REFERENCE["rates"]["gif_cond_exp"]
    rate = port_results("gif_cond_exp", case["I_e_pA"], case["resolution_ms"],
                        case["neurons"]).rate("P")
    assert abs(rate - case["rate_hz"]) < 0.1 * case["rate_hz"], (rate, case["rate_hz"])
