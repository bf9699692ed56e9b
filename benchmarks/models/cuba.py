"""CUBA: benchmark 2 of Brette et al. (2007) as in `examples/cuba.py` — current-based LIF
neurons with exponential synaptic currents (a linear system, integrated exactly), 80%
excitatory, connected with probability `p`.

`build(n, p)` returns `(model, exc, inh)`; `build()` is the 4000-neuron network of the
example (without its voltage trace unless `record_v=True`).
"""
import neuroflow as nf
from neuroflow.units import ms, mV, second

dt = 0.1 * ms
duration = 1 * second

EQUATIONS = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
"""
PARAMS = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV)


def build(n: int = 4000, p: float = 0.02, *, record_v: bool = False):
    net = nf.Network("cuba")
    P = net.population("P", n, equations=EQUATIONS, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, params=PARAMS,
                       init=dict(v=nf.uniform(-60 * mV, -50 * mV)))
    n_exc = int(n * 0.8)
    exc, inh = P[:n_exc], P[n_exc:]
    net.projection(exc, P, on_pre="ge += 1.62*mV", connect=nf.fixed_prob(p), name="excitatory")
    net.projection(inh, P, on_pre="gi += -9*mV", connect=nf.fixed_prob(p), name="inhibitory")
    net.monitor_spikes(P)
    if record_v:
        net.monitor(P, "v", indices=[0, 1, 2])
    return net.build(), exc, inh


model, exc, inh = build()
