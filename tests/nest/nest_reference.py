"""Spike times of NEST 3.10's own neuron models under a step current: the reference for the
ports in `neuroflow/stdlib/nest.nfl`.  Runs in a venv with `nest-simulator` (Python 3.11):

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


def rate(model: str, current: float, resolution: float, neurons: int) -> float:
    nest.ResetKernel()
    nest.set(resolution=resolution, print_time=False, rng_seed=12345)
    population = nest.Create(model, neurons, params={"I_e": current})
    recorder = nest.Create("spike_recorder")
    nest.Connect(population, recorder)
    nest.Simulate(DURATION)
    return recorder.n_events / neurons / (DURATION / 1000.0)


def main() -> None:
    nest.verbosity = nest.VerbosityLevel.ERROR
    result = {"nest_version": nest.__version__, "duration_ms": DURATION, "models": {}}
    for model, (current, resolution) in CASES.items():
        result["models"][model] = {"I_e_pA": current, "resolution_ms": resolution,
                                   "spike_times_ms": spikes(model, current, resolution)}
    result["rates"] = {model: {"I_e_pA": current, "resolution_ms": resolution, "neurons": neurons,
                               "rate_hz": rate(model, current, resolution, neurons)}
                       for model, (current, resolution, neurons) in RATE_CASES.items()}
    with open(sys.argv[1], "w") as out:  # NEST prints its banner on stdout
        json.dump(result, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
