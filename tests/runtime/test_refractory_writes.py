"""Brian2's conditional write: a variable held while refractory (`unless refractory`) ignores what
synapses and Poisson input add during the refractory period; other variables do not."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.units import Hz, mV, ms


@pytest.mark.parametrize("drive", ["projection", "poisson"])
def test_held_variable_ignores_input_while_refractory(drive):
    net = nf.Network("held")
    B = net.population("B", 1, "dv/dt = 0*mV/ms : volt (unless refractory)\ndg/dt = 0/ms : 1",
                       threshold="v > 5*mV", reset="v = 0*mV", refractory=1 * ms,
                       init=dict(v=10 * mV))
    if drive == "projection":
        A = net.population("A", 1, threshold="True")
        net.projection(A, B, "v += w", weights=1 * mV)
        net.projection(A, B, "g += w", weights=1.0)
    else:  # every source spikes in every step: rate*dt = 1
        net.poisson_input(B, "v", N=1, rate=10000 * Hz, weight=1 * mV)
        net.poisson_input(B, "g", N=1, rate=10000 * Hz, weight=1.0)
    net.monitor(B, "v")
    net.monitor(B, "g")
    results = nf.compile(net.build(), dt=0.1 * ms, dtype="float64").run(1.5 * ms)
    v, g = results.trace("B", "v")[1][:, 0], results.trace("B", "g")[1][:, 0]
    # spike in step 0 (v = 10 mV): refractory in steps 0-9, so the input of step 10 is the first
    # that counts (recorded at the start of step 11)
    np.testing.assert_allclose(v[1:11], 0.0)
    np.testing.assert_allclose(v[11:], np.arange(1, len(v) - 10))
    np.testing.assert_allclose(g, np.arange(len(g)))  # not held: every step adds
