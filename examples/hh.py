"""A Hodgkin–Huxley neuron (classic squid axon) driven by a constant current.

Run it:  neuroflow run examples/hh.py --plot hh.png     or     python examples/hh.py
"""
import neuroflow as nf
from neuroflow.units import cm2, mS, mV, ms, uA, uF

dt = 0.01 * ms
duration = 100 * ms
dtype = "float64"  # as hh.nfl: `neuroflow run` reads it too

EQUATIONS = """
    dv/dt = (I - gNa*m**3*h*(v - ENa) - gK*n**4*(v - EK) - gL*(v - EL)) / Cm : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    alpha_m = 1/exprel(-(v + 40*mV)/(10*mV)) / ms : Hz
    beta_m = 4*exp(-(v + 65*mV)/(18*mV)) / ms : Hz
    alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV)) / ms : Hz
    beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV))) / ms : Hz
    alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV)) / ms : Hz
    beta_n = 0.125*exp(-(v + 65*mV)/(80*mV)) / ms : Hz
"""

net = nf.Network("hh")
hh = net.population("HH", 1, equations=EQUATIONS,
                    params=dict(Cm=1 * uF / cm2, gNa=120 * mS / cm2, gK=36 * mS / cm2,
                                gL=0.3 * mS / cm2, ENa=50 * mV, EK=-77 * mV, EL=-54.4 * mV,
                                I=10 * uA / cm2),
                    init=dict(v=-65 * mV, m=0.052932, h=0.596121, n=0.317677), method="rk4")
net.monitor(hh, "v", every=1)
model = net.build()

if __name__ == "__main__":
    results = nf.compile(model, dt=dt, dtype=dtype).run(duration)
    t, v = results.trace("HH", "v")
    crossings = t[1:][(v[:-1, 0] < 0) & (v[1:, 0] >= 0)]
    print(f"{len(crossings)} spikes at", ", ".join(f"{c:.2f}" for c in crossings), "ms")
