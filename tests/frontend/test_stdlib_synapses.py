"""The synapse channels of the standard library against their analytic responses."""
import numpy as np

import neuroflow as nf
from neuroflow.units import ms

MODEL = """
import "synapses.nfl"
neuron Cell {
    parameters { C = 200*pF; gL = 10*nS; El = -70*mV }
    equations { dv/dt = (gL*(El - v) + syn.I)/C : volt }
    initial { v = -70*mV; syn.x = 2*nS }
    syn = DualExpConductance(tau_rise = 1*ms, tau_decay = 5*ms)
    method: rk4
}
network one {
    population P[1] = Cell()
    monitor P.syn.g
}
"""


def test_dual_exponential_conductance_follows_its_analytic_shape():
    model = nf.load_text(MODEL, "<dual exp>").model
    t, g = nf.compile(model, dt=0.01 * ms, dtype="float64").run(30 * ms).trace("P", "syn_g")
    expected = 2.0 * 5.0 / (5.0 - 1.0) * (np.exp(-t / 5.0) - np.exp(-t / 1.0))  # nS
    np.testing.assert_allclose(g[:, 0], expected, atol=1e-8)
