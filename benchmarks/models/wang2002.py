"""Wang (2002), the decision network of Brian2's example `frompapers/Wang_2002.py`: 1600
excitatory and 400 inhibitory LIF neurons (Euler), AMPA and GABA synapses driven by spikes
with 0.5 ms delays, saturating NMDA gating summed continuously, external Poisson input at
2.4 kHz per neuron, and two selective pools of 240 neurons that receive a noisy stimulus from
`stim_on` to `stim_off` whose two means differ by the coherence.

The NMDA gating `s` of each excitatory neuron is driven by its own spikes (`x += 1`, delayed
0.5 ms); as in Brian2's example it is first summed per pool (E1, E2, the rest) into the three
neurons of `Pools`, and each neuron's total is then a weighted sum of the three (Jp within a
selective pool, Jm across, 1 for the rest): two small couplings instead of a 1600 x 1600 one.

`build(coherence, duration, seed)` returns the model; the stimulus rates are drawn here from
`seed`, one value per 50 ms, as Brian2's `run_regularly` draws them.
"""
import numpy as np

import neuroflow as nf
from neuroflow.units import Hz, kHz, ms, mV, nF, nS, second
from peers._wang2002 import GATING, N_E, N_I, NEURON, POOL, Jm, Jp

GATING_E = GATING + "label : 1 (constant)\n"  # the pool of each excitatory neuron
SHARED = dict(El=-70 * mV, V_E=0 * mV, V_I=-70 * mV, tau_AMPA=2 * ms, tau_GABA=5 * ms,
              Vt=-50 * mV, Vr=-55 * mV)


def stimulus(coherence: float, duration, seed: int, on=1 * second, off=3 * second):
    """The rates of the two stimulus pools, one value per 50 ms (0 outside `on`..`off`)."""
    rng = np.random.default_rng(seed)
    starts = np.arange(int(round(float(duration / (50 * ms))))) * 50.0  # ms
    active = (starts > float(on / ms)) & (starts < float(off / ms))
    mu = 40.0 * np.array([1 + coherence / 100, 1 - coherence / 100])  # Hz
    rates = mu[:, None] + 4.0 * rng.standard_normal((2, len(starts)))
    return np.where(active, rates, 0.0) * Hz


def build(coherence: float = 25.6, duration=3 * second, seed: int = 0) -> nf.ir.Model:
    net = nf.Network("wang2002")
    E = net.population("E", N_E, NEURON + GATING_E, threshold="V > Vt", reset="V = Vr",
                       refractory=2 * ms, method="euler", init=dict(V=-52 * mV, s_NMDA_tot=0.2),
                       params=dict(SHARED, Cm=0.5 * nF, gL=25 * nS, gN=0.165 * nS,
                                   tau_NMDA_rise=2 * ms, tau_NMDA_decay=100 * ms,
                                   alpha=0.5 * kHz,
                                   label=np.repeat([0.0, 1.0, 2.0],
                                                   [POOL, POOL, N_E - 2 * POOL])))
    inh = net.population("I", N_I, NEURON, threshold="V > Vt", reset="V = Vr", refractory=1 * ms,
                       method="euler", init=dict(V=-52 * mV, s_NMDA_tot=0.2),
                       params=dict(SHARED, Cm=0.2 * nF, gL=20 * nS, gN=0.13 * nS))
    delay = 0.5 * ms
    selective = ("where(label_post < 2, where(label_pre == label_post, Jp, Jm), 1.0)"
                 .replace("Jp", repr(Jp)).replace("Jm", repr(Jm)))
    net.projection(E, E, "s_AMPA += w", weights=f"0.05*nS*{selective}", delay=delay,
                   name="EE_AMPA")
    net.projection(E, inh, "s_AMPA += 0.04*nS", delay=delay, name="EI_AMPA")
    net.projection(inh, E, "s_GABA += 1.3*nS", delay=delay, name="IE_GABA")
    net.projection(inh, inh, "s_GABA += 1.0*nS", delay=delay, name="II_GABA")
    net.projection(E, E, "x += w", weights=1.0, connect=nf.one_to_one(), delay=delay,
                   name="EE_NMDA")
    pools = net.population("Pools", 3, "s : 1")
    net.projection(E, pools, model="w : 1\ns_post = w*s_NMDA_pre : 1 (summed)",
                   weights="where(label_pre == j, 1.0, 0.0)", name="NMDA_sum")
    net.projection(pools, E, model="w : 1\ns_NMDA_tot_post = w*s_pre : 1 (summed)",
                   weights=f"where(label_post < 2, where(i == label_post, {Jp!r}, {Jm!r}), 1.0)",
                   name="NMDA_total_E")
    net.projection(pools, inh, model="w : 1\ns_NMDA_tot_post = w*s_pre : 1 (summed)",
                   weights=1.0, name="NMDA_total_I")
    net.poisson_input(E, "s_AMPA_ext", N=1000, rate=2.4 * Hz, weight=2.1 * nS)
    net.poisson_input(inh, "s_AMPA_ext", N=1000, rate=2.4 * Hz, weight=1.62 * nS)
    rates = stimulus(coherence, duration, seed)
    for k, name in enumerate(("Stim1", "Stim2")):
        stim = net.population(name, POOL, threshold="rand() < rate*dt")
        net.timed_input(stim, "rate", rates[k], period=50 * ms)
        net.projection(stim, E[k * POOL:(k + 1) * POOL], "s_AMPA_ext += 2.1*nS",
                       connect=nf.one_to_one(), name=f"{name}_E")
    net.monitor_spikes(E)
    net.monitor_rate(E)
    return net.build()
