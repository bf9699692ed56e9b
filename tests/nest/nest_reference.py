"""Spike times of NEST 3.10's own neuron models under a step current, their f-I curves, and V_m
at rest under synaptic input (protocol B): the reference for the ports in
`neuroflow/stdlib/nest.nfl`.  Runs
in a venv with `nest-simulator` (Python 3.11):

    python -m venv ~/.cache/neuroflow-nest && ~/.cache/neuroflow-nest/bin/pip install nest-simulator
    ~/.cache/neuroflow-nest/bin/python tests/nest/nest_reference.py tests/nest/nest_spikes.json

`python tests/nest/compare.py` does all of it in one command and prints the comparison.
"""
import json
import sys

import nest

# model -> (constant input current I_e in pA, resolution in ms); currents chosen so each
# model fires regularly.
CASES = {
    "iaf_psc_exp": (400.0, 0.1),
    "iaf_psc_alpha": (400.0, 0.1),
    "iaf_cond_exp": (300.0, 0.1),
    "izhikevich": (10.0, 0.1),
    "aeif_cond_exp": (800.0, 0.1),
    "iaf_cond_alpha": (300.0, 0.1),
    "aeif_cond_alpha": (800.0, 0.1),
    "hh_psc_alpha": (1000.0, 0.1),
    "mat2_psc_exp": (500.0, 0.1),
}
DURATION = 1000.0  # ms


def spikes(model: str, current: float, resolution: float) -> list[float]:
    nest.ResetKernel()
    nest.set(resolution=resolution, print_time=False)
    neuron = nest.Create(model, params={"I_e": current})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    nest.Simulate(DURATION)
    return [float(t) for t in recorder.get("events")["times"]]


# Stochastic models: the mean rate (Hz) of many neurons under one current.
RATE_CASES = {"gif_cond_exp": (150.0, 0.1, 2000)}  # I_e (pA), resolution (ms), neurons


SEEDS = [12345 + k for k in range(8)]  # the spread of the mean rate over NEST's seeds


def rate(model: str, current: float, resolution: float, neurons: int, seed: int = 12345) -> float:
    nest.ResetKernel()
    nest.set(resolution=resolution, print_time=False, rng_seed=seed)
    population = nest.Create(model, neurons, params={"I_e": current})
    recorder = nest.Create("spike_recorder")
    nest.Connect(population, recorder)
    nest.Simulate(DURATION)
    return recorder.n_events / neurons / (DURATION / 1000.0)


# Protocol B: each model at rest (NEST's defaults, I_e = 0) receives excitatory spikes from a
# spike_generator at EXCITATORY ms and one inhibitory spike at INHIBITORY ms, through
# static_synapse with delay DELAY; V_m is recorded every step.  Weights: pA for current-based
# models, nS for conductance-based ones (the inhibitory weight negative, as NEST wants it).
EXCITATORY = [10.0, 20.0, 20.5, 30.0]
INHIBITORY = [50.0]
DELAY = 1.0
SYNAPTIC_DURATION = 80.0
SYNAPTIC_CASES = {  # model -> (excitatory weight, inhibitory weight)
    "iaf_psc_exp": (300.0, -300.0),
    "iaf_psc_alpha": (300.0, -300.0),
    "iaf_cond_exp": (10.0, -10.0),
    "iaf_cond_alpha": (10.0, -10.0),
    "aeif_cond_exp": (10.0, -10.0),
    "aeif_cond_alpha": (10.0, -10.0),
    "mat2_psc_exp": (300.0, -300.0),
    "hh_psc_alpha": (100.0, -100.0),
    "izhikevich": (5.0, -5.0),
    "gif_cond_exp": (10.0, -10.0),  # far below its threshold: no escape noise, no spike
}


def synaptic(model: str, weights: tuple[float, float], resolution: float = 0.1) -> dict:
    nest.ResetKernel()
    nest.set(resolution=resolution, print_time=False)
    neuron = nest.Create(model)
    for times, weight in zip((EXCITATORY, INHIBITORY), weights):
        generator = nest.Create("spike_generator", params={"spike_times": times})
        nest.Connect(generator, neuron, syn_spec={"weight": weight, "delay": DELAY})
    meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": resolution})
    nest.Connect(meter, neuron)
    nest.Simulate(SYNAPTIC_DURATION)
    events = meter.get("events")
    return {"weights": list(weights), "resolution_ms": resolution,
            "times_ms": [float(t) for t in events["times"]],
            "V_m_mV": [float(v) for v in events["V_m"]]}


# f-I curves: spike counts in DURATION at dt 0.1 ms, one neuron per current (pA), from below
# the rheobase to fast firing.
FI_CURRENTS = {
    "iaf_psc_exp": [300.0, 380.0, 450.0, 600.0, 1000.0],
    "iaf_psc_alpha": [300.0, 380.0, 450.0, 600.0, 1000.0],
    "iaf_cond_exp": [200.0, 260.0, 300.0, 500.0, 1000.0],
    "iaf_cond_alpha": [200.0, 260.0, 300.0, 500.0, 1000.0],
    "izhikevich": [2.0, 5.0, 10.0, 20.0, 40.0],
    "aeif_cond_exp": [300.0, 500.0, 800.0, 1200.0, 2000.0],
    "aeif_cond_alpha": [300.0, 500.0, 800.0, 1200.0, 2000.0],
    "hh_psc_alpha": [100.0, 300.0, 600.0, 1000.0, 2000.0],
    "mat2_psc_exp": [100.0, 250.0, 500.0, 800.0, 1200.0],
}


def counts(model: str, currents: list[float], resolution: float = 0.1) -> list[int]:
    nest.ResetKernel()
    nest.set(resolution=resolution, print_time=False)
    neurons = nest.Create(model, len(currents))
    for neuron, current in zip(neurons, currents):
        neuron.set(I_e=current)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    nest.Simulate(DURATION)
    senders = recorder.get("events")["senders"]
    return [int((senders == neuron.global_id).sum()) for neuron in neurons]


def main() -> None:
    nest.verbosity = nest.VerbosityLevel.ERROR
    result = {"nest_version": nest.__version__, "duration_ms": DURATION, "models": {}}
    for model, (current, resolution) in CASES.items():
        result["models"][model] = {"I_e_pA": current, "resolution_ms": resolution,
                                   "spike_times_ms": spikes(model, current, resolution)}
    result["rates"] = {model: {"I_e_pA": current, "resolution_ms": resolution, "neurons": neurons,
                               "rate_hz": rate(model, current, resolution, neurons),
                               "seed_rates_hz": [rate(model, current, resolution, neurons, seed)
                                                 for seed in SEEDS]}
                       for model, (current, resolution, neurons) in RATE_CASES.items()}
    result["fi"] = {model: {"I_e_pA": currents, "counts": counts(model, currents)}
                    for model, currents in FI_CURRENTS.items()}
    result["synaptic"] = {"excitatory_ms": EXCITATORY, "inhibitory_ms": INHIBITORY,
                          "delay_ms": DELAY, "duration_ms": SYNAPTIC_DURATION,
                          "models": {model: synaptic(model, weights)
                                     for model, weights in SYNAPTIC_CASES.items()}}
    with open(sys.argv[1], "w") as out:  # NEST prints its banner on stdout
        json.dump(result, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
