"""f–I curve of leaky integrate-and-fire neurons: 41 neurons, one input current each.

Run it:  neuroflow run examples/lif_fi.py     or     python examples/lif_fi.py
"""
import numpy as np

import neuroflow as nf
from neuroflow.units import mV, ms, second

dt = 0.1 * ms
duration = 1 * second

net = nf.Network("lif_fi")
G = net.population("G", 41, equations="""
    dv/dt = (El - v + I) / taum : volt (unless refractory)
    I : volt (constant)
""", threshold="v > Vt", reset="v = Vr", refractory=2 * ms,
    params=dict(I=np.arange(41) * mV, taum=10 * ms, El=-70 * mV, Vt=-50 * mV, Vr=-70 * mV),
    init=dict(v=-70 * mV), method="exact")
net.monitor_spikes(G)
model = net.build()

if __name__ == "__main__":
    results = nf.compile(model, dt=dt, dtype="float64").run(duration)
    counts = results.spike_counts("G")
    for current, count in zip(range(41), counts):
        print(f"I = {current:2d} mV: {count:3d} spikes")
