"""The lowering of spike and rate monitors, against numpy on random spikes."""
from types import SimpleNamespace

import jax
import numpy as np
import pytest

from neuroflow import ir
from neuroflow.backend.jax import _native
from neuroflow.backend.jax._lower import SLICED_SEGMENTS, _lower_rate_monitor, _lower_spike_monitor

SPIKES = np.random.default_rng(0).random((5, 64)) < 0.3  # 5 steps of 64 neurons


def outputs(monitor: ir.Node, lowering, native: bool = False) -> dict:
    """What `monitor` records in each of the 5 steps (`native`: with the C++ kernels)."""
    def step(spikes):
        program = SimpleNamespace(native=native, gradients=None)
        ctx = SimpleNamespace(spikes={"P": spikes}, outputs={}, program=program)
        lowering(monitor, ctx)
        return ctx.outputs
    return jax.jit(jax.vmap(step))(SPIKES)


@pytest.mark.parametrize("bounds", [(0, 64), (0, 3, 10, 64), tuple(range(0, 65, 8))])
def test_a_rate_monitor_with_bounds_counts_each_segment(bounds):
    # both ways of counting are tested
    assert (len(bounds) - 1 > SLICED_SEGMENTS) == (len(bounds) == 9)
    counts = outputs(ir.RateMonitor("P", bounds), _lower_rate_monitor)["rate"]["P"]
    assert counts.dtype == np.int32 and counts.shape == (5, len(bounds) - 1)
    np.testing.assert_array_equal(counts, np.add.reduceat(SPIKES, bounds[:-1], axis=1))


@pytest.mark.parametrize("native", [False, True])
def test_a_rate_monitor_without_bounds_counts_the_population(native):
    if native and not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    counts = outputs(ir.RateMonitor("P"), _lower_rate_monitor, native)["rate"]["P"]
    assert counts.dtype == np.int32 and counts.shape == (5,)
    np.testing.assert_array_equal(counts, SPIKES.sum(axis=1))


def test_a_spike_monitor_of_some_neurons_packs_their_bits_only():
    packed = outputs(ir.SpikeMonitor("P", (3, 20)), _lower_spike_monitor)["spikes"]["P"]
    np.testing.assert_array_equal(packed, np.packbits(SPIKES[:, 3:20], axis=1))
    whole = outputs(ir.SpikeMonitor("P"), _lower_spike_monitor)["spikes"]["P"]
    np.testing.assert_array_equal(whole, np.packbits(SPIKES, axis=1))
