"""Spike-timing-dependent plasticity (after Song, Miller and Abbott 2000, as in Brian2's STDP
example): 1000 Poisson inputs at 15 Hz onto 10 conductance-based LIF neurons through
plastic synapses; pair-based STDP (slightly biased to depression) reshapes the weights, which
start uniform in [0, wmax].  The steps Apre are five times Brian2's, so that the weights move
within the one second this script runs; it prints their distribution every 250 ms.  The twin
of examples/stdp.nfl (the same IR).

Run it:  neuroflow run examples/stdp.py     or     python examples/stdp.py
"""
import numpy as np

import neuroflow as nf
from neuroflow.units import Hz, ms, mV, second

dt = 0.1 * ms
duration = 1 * second
wmax = 0.01
Apre = 0.05 * wmax

net = nf.Network("stdp")
In = net.population("In", 1000, threshold="rand() < rate*dt", params=dict(rate=15 * Hz))
P = net.population("P", 10, """
    dv/dt = (ge*(Ee - v) + El - v)/taum : volt
    dge/dt = -ge/taue : 1
""", threshold="v > vt", reset="v = vr",
    params=dict(taum=10 * ms, taue=5 * ms, Ee=0 * mV, El=-74 * mV, vt=-54 * mV, vr=-60 * mV),
    init=dict(v=-60 * mV))
net.projection(In, P, model="""
    w : 1
    dapre/dt = -apre/taupre : 1 (event-driven)
    dapost/dt = -apost/taupost : 1 (event-driven)
""", on_pre="""
    ge += w
    apre += Apre
    w = clip(w + apost, 0, wmax)
""", on_post="""
    apost += Apost
    w = clip(w + apre, 0, wmax)
""", params=dict(taupre=20 * ms, taupost=20 * ms, wmax=wmax, Apre=Apre,
                 Apost=-Apre * (20 * ms) / (20 * ms) * 1.05),
    init=dict(w=nf.uniform(0, wmax)), name="plastic")
net.monitor_spikes(P)
net.monitor_rate(P)
model = net.build()

if __name__ == "__main__":
    sim = nf.compile(model, dt=dt)
    bins = np.linspace(0, wmax, 6)
    results = None
    for quarter in range(4):
        results = sim.run(duration / 4, seed=1, resume=None if results is None else results.final)
        w = results.final.synapses("plastic")["w"]
        counts, _ = np.histogram(w, bins=bins)
        print(f"t = {results.final.t_ms:4.0f} ms: mean w/wmax = {w.mean() / wmax:.3f},"
              f" weights in 5 bins from 0 to wmax: {counts.tolist()}")
    print(f"output rate: {results.rate(P):.1f} Hz")
