"""The CUBA benchmark network (Brette et al. 2007): 4000 current-based LIF neurons with
exponential synaptic currents; all equations are linear, so `auto` integrates them exactly.

Run it:  neuroflow run examples/cuba.py --plot raster.png     or     python examples/cuba.py
"""
import neuroflow as nf
from neuroflow.units import mV, ms, second

dt = 0.1 * ms
duration = 1 * second

net = nf.Network("cuba")
P = net.population("P", 4000, equations="""
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
""", threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
    params=dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV),
    init=dict(v=nf.uniform(-60 * mV, -50 * mV)))
exc, inh = P[:3200], P[3200:]
net.projection(exc, P, on_pre="ge += 1.62*mV", connect=nf.fixed_prob(0.02), name="excitatory")
net.projection(inh, P, on_pre="gi += -9*mV", connect=nf.fixed_prob(0.02), name="inhibitory")
net.monitor_spikes(P)
net.monitor(P, "v", indices=[0, 1, 2])
model = net.build()

if __name__ == "__main__":
    results = nf.compile(model, dt=dt).run(duration, seed=0)
    print(f"excitatory: {results.rate(exc):.1f} Hz, inhibitory: {results.rate(inh):.1f} Hz")
