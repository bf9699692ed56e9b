"""COBAHH: benchmark 3 of Brette et al. (2007), 4000 Hodgkin–Huxley neurons (Traub–Miles
kinetics) with exponentially decaying conductance synapses, 3200 excitatory and 800
inhibitory, connected with probability 2%; exponential Euler at dt = 0.1 ms.

The membrane patch has an area of 20 000 um2, so the densities of the published model
become: Cm = 1 uF/cm2 -> 200 pF, gl = 5e-5 S/cm2 -> 10 nS, gNa = 100 mS/cm2 -> 20 uS,
gKd = 30 mS/cm2 -> 6 uS.  Spikes are upward crossings of -20 mV, with a 3 ms refractory
period that only blocks the threshold (no reset: the HH currents repolarise the cell).

Run it:  neuroflow run benchmarks/models/cobahh.py --plot raster.png
`build(n)` returns the network with `n` neurons (80% excitatory) for other sizes.
"""
import neuroflow as nf
from neuroflow.units import ms, mV, nS, pF, second, uS

dt = 0.1 * ms
duration = 1 * second

EQUATIONS = """
    dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) - gNa*m**3*h*(v - ENa) - gKd*n**4*(v - EK)) / Cm : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    dge/dt = -ge / taue : siemens
    dgi/dt = -gi / taui : siemens
    alpha_m = 1.28 / exprel((13*mV - v + VT) / (4*mV)) / ms : Hz
    beta_m = 1.4 / exprel((v - VT - 40*mV) / (5*mV)) / ms : Hz
    alpha_h = 0.128 * exp((17*mV - v + VT) / (18*mV)) / ms : Hz
    beta_h = 4 / (1 + exp((40*mV - v + VT) / (5*mV))) / ms : Hz
    alpha_n = 0.16 / exprel((15*mV - v + VT) / (5*mV)) / ms : Hz
    beta_n = 0.5 * exp((10*mV - v + VT) / (40*mV)) / ms : Hz
"""  # noqa: E501
PARAMS = dict(Cm=200 * pF, gl=10 * nS, El=-60 * mV, EK=-90 * mV, ENa=50 * mV,
              gNa=20 * uS, gKd=6 * uS, VT=-63 * mV, Ee=0 * mV, Ei=-80 * mV,
              taue=5 * ms, taui=10 * ms)


def build(n: int = 4000, p: float = 0.02, *, record_v: bool = False):
    """The COBAHH network with `n` neurons (the first 80% excitatory) and connection probability
    `p`."""
    net = nf.Network("cobahh")
    P = net.population("P", n, equations=EQUATIONS, threshold="v > -20*mV", refractory=3 * ms,
                       params=PARAMS, method="exponential_euler",
                       # v = El + (5 randn - 5) mV, ge = (1.5 randn + 4) * 10 nS,
                       # gi = (12 randn + 20) * 10 nS
                       init=dict(v=nf.normal(-65 * mV, 5 * mV), ge=nf.normal(40 * nS, 15 * nS),
                                 gi=nf.normal(200 * nS, 120 * nS), m=0.0, h=0.0, n=0.0))
    n_exc = int(n * 0.8)
    exc, inh = P[:n_exc], P[n_exc:]
    net.projection(exc, P, on_pre="ge += 6*nS", connect=nf.fixed_prob(p), name="excitatory")
    net.projection(inh, P, on_pre="gi += 67*nS", connect=nf.fixed_prob(p), name="inhibitory")
    net.monitor_spikes(P)
    if record_v:
        net.monitor(P, "v", indices=[0, 1, 2])
    return net.build(), exc, inh


model, exc, inh = build()

if __name__ == "__main__":
    results = nf.compile(model, dt=dt).run(duration, seed=0)
    print(f"excitatory: {results.rate(exc):.1f} Hz, inhibitory: {results.rate(inh):.1f} Hz")
