"""Rerun NEST 3.10 and compare the ports in `neuroflow/stdlib/nest.nfl` with it, in one command:

    python tests/nest/compare.py [--write]

NEST runs in its own venv (made on first use in ~/.cache/neuroflow-nest with
`pip install nest-simulator`); `--write` also refreshes `tests/nest/nest_spikes.json`,
the reference the test suite uses (spike times under a step current, rates, f-I curves, and
V_m at rest under synaptic input, protocol B).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VENV = Path.home() / ".cache" / "neuroflow-nest"


def nest_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "nest-simulator"], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="refresh tests/nest/nest_spikes.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "nest_spikes.json"
        subprocess.run([str(nest_python()), str(HERE / "nest_reference.py"), str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        reference = json.loads(out.read_text())
        if args.write:
            (HERE / "nest_spikes.json").write_text(out.read_text())
    sys.path.insert(0, str(HERE.parents[1]))
    from tests.nest.test_nest_ports import (port_counts, port_results,  # noqa: E402 (path set)
                                            port_spikes, synaptic_membrane)

    print(f"NEST {reference['nest_version']}, {reference['duration_ms']:g} ms, "
          "step current, dt 0.1 ms")
    for model, case in reference["models"].items():
        nest = np.asarray(case["spike_times_ms"])
        dt = case["resolution_ms"]
        ours = port_spikes(model, dt) + dt
        n = min(len(nest), len(ours))
        worst = np.max(np.abs(ours[:n] - nest[:n])) if n else float("nan")
        print(f"{model:<16} I_e {case['I_e_pA']:6.1f} pA: NEST {len(nest):3d} spikes,"
              f" neuroflow {len(ours):3d}, largest time difference {worst:.3g} ms")
    for model, case in reference["rates"].items():
        ours = port_results(model, case["I_e_pA"], case["resolution_ms"], case["neurons"]).rate("P")
        print(f"{model:<16} I_e {case['I_e_pA']:6.1f} pA: NEST {case['rate_hz']:.2f} Hz,"
              f" neuroflow {ours:.2f} Hz ({case['neurons']} neurons)")
    print("f-I curves: spike counts in 1 s at dt 0.1 ms")
    for model, case in reference["fi"].items():
        print(f"{model:<16} I_e {case['I_e_pA']} pA: NEST {case['counts']},"
              f" neuroflow {port_counts(model)}")
    synaptic = reference["synaptic"]
    print(f"protocol B: at rest, excitatory spikes at {synaptic['excitatory_ms']} ms, inhibitory"
          f" at {synaptic['inhibitory_ms']} ms, delay {synaptic['delay_ms']:g} ms, dt 0.1 ms")
    with tempfile.TemporaryDirectory() as folder:
        for model, case in synaptic["models"].items():
            ours = synaptic_membrane(model, Path(folder))
            error = np.max(np.abs(ours - np.asarray(case["V_m_mV"])))
            print(f"{model:<16} weights {case['weights']}: largest |V_m - NEST| {error:.2e} mV"
                  f" (excursion {np.ptp(case['V_m_mV']):.3f} mV)")


if __name__ == "__main__":
    main()

