"""Wang (2002) as Brian2's example `frompapers/Wang_2002.py` writes it: the equations and
constants both `models/wang2002.py` (neuroflow) and `wang2002_brian2.py` (Brian2) build from, in
Brian2's equation syntax, which both read.  Plain strings and numbers: no simulator imported."""

N_E, N_I, POOL = 1600, 400, 240  # excitatory, inhibitory, neurons of each selective pool
Jp = 1.7  # relative strength within a selective pool
Jm = 1.0 - 0.15 * (Jp - 1.0) / (1.0 - 0.15)  # across pools

NEURON = """
dV/dt = (-gL*(V - El) - I_AMPA - I_NMDA - I_GABA - I_AMPA_ext)/Cm : volt (unless refractory)
I_AMPA = s_AMPA*(V - V_E) : amp
ds_AMPA/dt = -s_AMPA/tau_AMPA : siemens
I_NMDA = gN*s_NMDA_tot*(V - V_E)/(1 + exp(-0.062*V/mV)/3.57) : amp
s_NMDA_tot : 1
I_GABA = s_GABA*(V - V_I) : amp
ds_GABA/dt = -s_GABA/tau_GABA : siemens
I_AMPA_ext = s_AMPA_ext*(V - V_E) : amp
ds_AMPA_ext/dt = -s_AMPA_ext/tau_AMPA : siemens
"""
# the NMDA gating of each excitatory neuron, driven by its own spikes (x += 1, delayed)
GATING = """
ds_NMDA/dt = -s_NMDA/tau_NMDA_decay + alpha*x*(1 - s_NMDA) : 1
dx/dt = -x/tau_NMDA_rise : 1
"""
