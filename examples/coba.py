"""The COBA benchmark network (Brette et al. 2007): 4000 conductance-based LIF neurons,
3200 excitatory and 800 inhibitory, connected with probability 2%.

Run it:  neuroflow run examples/coba.py --plot raster.png     or     python examples/coba.py
"""
import neuroflow as nf
from neuroflow.units import mV, ms, second

dt = 0.1 * ms
duration = 1 * second

net = nf.Network("coba")
P = net.population("P", 4000, equations="""
    dv/dt  = (ge*(Ee - v) + gi*(Ei - v) + (El - v) + I) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
""", threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
    params=dict(taum=20 * ms, Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, I=20 * mV,
                Vt=-50 * mV, Vr=-60 * mV, taue=5 * ms, taui=10 * ms),
    init=dict(v=nf.normal(-55 * mV, 2 * mV)))
exc, inh = P[:3200], P[3200:]
net.projection(exc, P, on_pre="ge += 0.6", connect=nf.fixed_prob(0.02), name="excitatory")
net.projection(inh, P, on_pre="gi += 6.7", connect=nf.fixed_prob(0.02), name="inhibitory")
net.monitor_spikes(P)
net.monitor(P, "v", indices=[0, 1, 2])
model = net.build()

if __name__ == "__main__":
    results = nf.compile(model, dt=dt).run(duration, seed=0)
    print(f"excitatory: {results.rate(exc):.1f} Hz, inhibitory: {results.rate(inh):.1f} Hz")
