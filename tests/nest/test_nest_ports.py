"""The NEST ports of the standard library against NEST 3.10's own spike times under a step
current (every spike in NEST's step, at NEST's dt = 0.1 ms), and its V_m at rest under synaptic
input from spike generators (protocol B, within 0.01 mV).

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
         "mat2_psc_exp", "aeif_cond_exp", "aeif_cond_alpha", "hh_psc_alpha"]


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


def port_counts(model: str) -> list[int]:
    """Spike counts of the port along NEST's f-I curve: one neuron per current."""
    currents = REFERENCE["fi"][model]["I_e_pA"]
    text = f"""
import "nest.nfl"
network fi {{
    population P[{len(currents)}] = {model}(I_e = [{", ".join(map(repr, currents))}]*pA)
    monitor spikes P
}}
"""
    sim = nf.compile(nf.load_text(text, f"<{model} f-I>").model, dt=0.1 * ms, dtype="float64")
    _, neurons = sim.run(REFERENCE["duration_ms"] * ms).spikes("P")
    return np.bincount(neurons, minlength=len(currents)).tolist()


@pytest.mark.parametrize("model", list(REFERENCE["fi"]))
def test_port_f_i_curve_has_nests_counts(model):
    assert port_counts(model) == REFERENCE["fi"][model]["counts"]


def test_gif_cond_exp_port_fires_at_nests_rate():
    """Escape noise: the mean rate of many neurons, within the spread of NEST's over its seeds
    (four standard deviations of eight seeds' rates from their mean; about 0.5% of the rate)."""
    case = REFERENCE["rates"]["gif_cond_exp"]
    rate = port_results("gif_cond_exp", case["I_e_pA"], case["resolution_ms"],
                        case["neurons"]).rate("P")
    seeds = np.asarray(case["seed_rates_hz"])
    assert abs(rate - seeds.mean()) < 4 * seeds.std(ddof=1), (rate, seeds)


# Protocol B: at rest, excitatory spikes and one inhibitory spike from spike generators, delay
# 1 ms.  A NEST spike_generator's time t is t - dt here (NEST stamps the end of a step); NEST
# records V_m at the end of each step, a state monitor at the start of the next: the same value.
SYNAPTIC = REFERENCE["synaptic"]
E = 2.718281828459045
EFFECTS = {  # how a spike of weight w enters each kind of port: (target, weight per unit)
    "psc_exp": (("I_syn_ex", "pA"), ("I_syn_in", "pA")),
    "psc_alpha": (("dI_syn_ex_dt", "pA"), ("dI_syn_in_dt", "pA")),
    "cond_exp": (("g_ex", "nS"), ("g_in", "nS")),
    "cond_alpha": (("dg_ex_dt", "nS"), ("dg_in_dt", "nS")),
    "izhikevich": (("V_m", "mV"), ("V_m", "mV")),  # NEST adds the weight to V_m
}
# an alpha synapse adds w*e/tau_syn to the derivative of its current or conductance
TAU_SYN = {"iaf_psc_alpha": (2.0, 2.0), "iaf_cond_alpha": (0.2, 2.0),
           "aeif_cond_alpha": (0.2, 2.0), "hh_psc_alpha": (0.2, 2.0)}


def synaptic_trace(model: str) -> tuple[np.ndarray, np.ndarray]:
    case = SYNAPTIC["models"][model]
    dt = case["resolution_ms"]
    kind = model.split("_", 1)[-1]
    projections = []
    for (target, unit), weight, source, k in zip(EFFECTS[kind], case["weights"], "EI", (0, 1)):
        weight = abs(weight) if "cond" in kind else weight  # NEST: g_in grows by |w|
        value = f"{weight!r}*{unit}"
        if model in TAU_SYN:
            value += f"*{E!r}/({TAU_SYN[model][k]!r}*ms)"
        projections.append(f"projection {source} -> P {{\n on_pre: {target} += w\n"
                           f" weights: {value}\n delay: {SYNAPTIC['delay_ms']!r}*ms\n}}")
    sources = [", ".join(repr(t - dt) for t in SYNAPTIC[key])
               for key in ("excitatory_ms", "inhibitory_ms")]
    text = f"""
import "nest.nfl"
network protocol_b {{
    population P[1] = {model}()
    population E[1] = spike_generator(times = [{sources[0]}]*ms, indices = load("zeros.npy"))
    population I[1] = spike_generator(times = [{sources[1]}]*ms, indices = [0])
    {projections[0]}
    {projections[1]}
    monitor P.V_m
}}
"""
    return text, case


def synaptic_membrane(model: str, folder: Path, pipeline: str | None = None) -> np.ndarray:
    """The port's V_m at NEST's recording times under protocol B."""
    text, case = synaptic_trace(model)
    np.save(folder / "zeros.npy", np.zeros(len(SYNAPTIC["excitatory_ms"])))
    (folder / "protocol_b.nfl").write_text(text)
    dt = case["resolution_ms"]
    options = {} if pipeline is None else dict(pipeline=pipeline)
    sim = nf.compile(nf.load(folder / "protocol_b.nfl").model, dt=dt * ms, dtype="float64",
                     **options)
    _, v = sim.run((SYNAPTIC["duration_ms"] + dt) * ms).trace("P", "V_m")
    return v[np.round(np.asarray(case["times_ms"]) / dt).astype(int), 0]


@pytest.mark.parametrize("model", list(SYNAPTIC["models"]))
def test_port_follows_nests_membrane_under_synaptic_input(model, tmp_path):
    nest = np.asarray(SYNAPTIC["models"][model]["V_m_mV"])
    assert np.ptp(nest) > 0.5  # the input moves the membrane
    np.testing.assert_allclose(synaptic_membrane(model, tmp_path), nest, rtol=0, atol=0.01)


def test_exponential_euler_misses_a_quarter_of_a_conductance_input(tmp_path):
    """What the adaptive method of the conductance ports is for (issue 18)."""
    nest = np.asarray(SYNAPTIC["models"]["iaf_cond_exp"]["V_m_mV"])
    pipeline = nf.passes.DEFAULT_PIPELINE.replace("integrate",
                                                  "integrate{method=exponential_euler}")
    euler = synaptic_membrane("iaf_cond_exp", tmp_path, pipeline)
    assert np.max(np.abs(euler - nest)) > 0.1 * np.ptp(nest)
