"""Parameter sweeps: one batched program, each member equal to its own run."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow.units import mV, ms
from tests.conftest import load_example


@pytest.mark.parametrize("native", [True, False], ids=["runs in turn", "vmap"])
def test_sweep_equals_separate_runs_and_follows_the_analytic_rate(native):
    # with native kernels the runs of a batch go one after the other, else under jax.vmap
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms, dtype="float64",
                     native=native)
    taus = [5.0, 10.0, 20.0]
    swept = sim.sweep(500 * ms, params={"G.taum": [t * ms for t in taus], "G.Vr": [-70 * mV] * 3})
    assert len(swept) == 3
    for tau, result in zip(taus, swept):
        alone = sim.run(500 * ms, params={"G.taum": tau * ms})
        np.testing.assert_array_equal(result.spike_counts("G"), alone.spike_counts("G"))
        np.testing.assert_array_equal(result.spikes("G")[0], alone.spikes("G")[0])
        # the drive I = 30 mV (neuron 30): the analytic period of an LIF is
        # tau*ln(I/(I - 20 mV)) + 2 ms
        period = tau * np.log(30 / 10) + 2.0
        assert abs(result.spike_counts("G")[30] - 500 / period) <= 2


def test_sweep_needs_lists_of_one_length():
    sim = nf.compile(load_example("lif_fi")["model"], dt=0.1 * ms)
    with pytest.raises(nf.ModelError, match="common"):
        sim.sweep(10 * ms, params={"G.taum": [5 * ms, 10 * ms], "G.Vr": [-70 * mV]})
