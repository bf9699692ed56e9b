"""Worker: Wang (2002) in Brian2 2.11, C++ standalone, as its example `frompapers/Wang_2002.py`
builds it (the same equations and constants as `benchmarks/models/wang2002.py`); prints
`RESULT {json}` with the loop time Brian2 reports (`device._last_run_time`) and the rates of
the two selective pools after the stimulus onset.

    ~/.cache/neuroflow-bench/brian2-py3.13/bin/python wang2002_brian2.py [--duration 3000]
"""
import argparse
import json
import os
import tempfile
import time

import _wang2002


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=3000.0, help="ms")
    parser.add_argument("--coherence", type=float, default=25.6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import brian2 as b2
    import numpy as np
    from brian2 import (Hz, NeuronGroup, PoissonGroup, PoissonInput, SpikeMonitor, Synapses,
                        kHz, ms, mV, nF, nS)
    start = time.perf_counter()
    b2.prefs.logging.file_log = False
    b2.set_device("cpp_standalone", directory=os.path.join(tempfile.mkdtemp(), "wang"))
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(args.seed)
    n_e, n_i, pool = _wang2002.N_E, _wang2002.N_I, _wang2002.POOL
    jp, jm = _wang2002.Jp, _wang2002.Jm
    shared = dict(El=-70 * mV, V_E=0 * mV, V_I=-70 * mV, tau_AMPA=2 * ms, tau_GABA=5 * ms,
                  Vt=-50 * mV, Vr=-55 * mV, tau_NMDA_rise=2 * ms, tau_NMDA_decay=100 * ms,
                  alpha=0.5 * kHz)
    neuron, gating = _wang2002.NEURON, _wang2002.GATING + "label : integer (constant)\n"
    E = NeuronGroup(n_e, neuron + gating, threshold="V > Vt", reset="V = Vr", refractory=2 * ms,
                    method="euler", namespace=dict(shared, Cm=0.5 * nF, gL=25 * nS,
                                                   gN=0.165 * nS))
    inh = NeuronGroup(n_i, neuron, threshold="V > Vt", reset="V = Vr", refractory=1 * ms,
                      method="euler", namespace=dict(shared, Cm=0.2 * nF, gL=20 * nS,
                                                     gN=0.13 * nS))
    E.label = np.repeat([0, 1, 2], [pool, pool, n_e - 2 * pool])
    E.V, inh.V = -52 * mV, -52 * mV
    E.s_NMDA_tot, inh.s_NMDA_tot = 0.2, 0.2
    delay = 0.5 * ms
    ee = Synapses(E, E, "w : siemens", on_pre="s_AMPA += w", delay=delay)
    ee.connect()
    ee.w = 0.05 * nS
    ee.w["label_pre == label_post and label_pre < 2"] = 0.05 * nS * jp
    ee.w["label_pre != label_post and label_post < 2"] = 0.05 * nS * jm
    ei = Synapses(E, inh, on_pre="s_AMPA += 0.04*nS", delay=delay)
    ei.connect()
    ie = Synapses(inh, E, on_pre="s_GABA += 1.3*nS", delay=delay)
    ie.connect()
    ii = Synapses(inh, inh, on_pre="s_GABA += 1.0*nS", delay=delay)
    ii.connect()
    nmda = Synapses(E, E, on_pre="x_pre += 1", delay=delay)
    nmda.connect(j="i")
    pools = NeuronGroup(3, "s : 1")
    to_pools = Synapses(E, pools, "s_post = s_NMDA_pre : 1 (summed)")
    to_pools.connect(j="label_pre")
    total_e = Synapses(pools, E, "w : 1 (constant)\ns_NMDA_tot_post = w*s_pre : 1 (summed)")
    total_e.connect()
    total_e.w = 1
    total_e.w["i == label_post and label_post < 2"] = jp
    total_e.w["i != label_post and label_post < 2"] = jm
    total_i = Synapses(pools, inh, "s_NMDA_tot_post = s_pre : 1 (summed)")
    total_i.connect()
    drive = [PoissonInput(E, "s_AMPA_ext", 1000, 2.4 * Hz, 2.1 * nS),
             PoissonInput(inh, "s_AMPA_ext", 1000, 2.4 * Hz, 1.62 * nS)]
    stimuli = []
    for k, sign in enumerate((1, -1)):
        stim = PoissonGroup(pool, rates=0 * Hz)
        stim.run_regularly(f"rates = int(t > 1000*ms and t < 3000*ms)*(40*Hz + {sign}"
                           f"*{args.coherence}/100*40*Hz + 4*Hz*randn())", dt=50 * ms)
        onto = Synapses(stim, E[k * pool:(k + 1) * pool], on_pre="s_AMPA_ext += 2.1*nS")
        onto.connect(j="i")
        stimuli += [stim, onto]
    spikes = SpikeMonitor(E)
    net = b2.Network(b2.collect(), drive, stimuli)  # `collect` misses the objects in lists
    net.run(args.duration * ms)
    total = time.perf_counter() - start
    t, i = np.asarray(spikes.t / ms), np.asarray(spikes.i[:])
    late = t >= 2000.0
    rates = [float(((i >= a) & (i < a + pool) & late).sum() / pool
                   / ((args.duration - 2000.0) / 1000)) for a in (0, pool)]
    print("RESULT " + json.dumps({"tool": "brian2-standalone", "loop_s": b2.device._last_run_time,
                                  "total_s": total, "rates_late_hz": rates,
                                  "brian2": b2.__version__}))


if __name__ == "__main__":
    main()
