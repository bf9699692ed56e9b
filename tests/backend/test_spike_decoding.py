"""Decoding a chunk's packed spikes on the host: the native decoder (`native/decode.cc`) and
numpy's path against `np.nonzero` of the unpacked spikes."""
import jax.numpy as jnp
import numpy as np
import pytest

from neuroflow.backend.jax import _native
from neuroflow.runtime._recording import spike_indices


@pytest.mark.parametrize("neurons", [1, 7, 8, 63, 64, 65, 4000, 4003])
def test_packed_spikes_decode_to_the_steps_and_neurons_of_nonzero(neurons):
    rng = np.random.default_rng(neurons)
    spikes = rng.random((300, neurons)) < rng.choice([0.002, 0.05, 0.6])
    spikes[7] = True  # a step where every neuron spikes
    packed = np.asarray(jnp.packbits(jnp.asarray(spikes), axis=-1))
    expected = np.nonzero(spikes)
    decoders = [spike_indices] + ([_native.spike_indices] if _native.available() else [])
    for decode in decoders:
        steps, neurons_found = decode(packed)
        assert steps.dtype == neurons_found.dtype == np.int32
        np.testing.assert_array_equal(steps, expected[0])
        np.testing.assert_array_equal(neurons_found, expected[1])
    silent = np.zeros_like(packed)
    for decode in decoders:
        assert all(len(part) == 0 for part in decode(silent))
