"""Decoding a chunk's packed spikes on the host: the native decoder (`native/decode.cc`, with and
without vector instructions) and numpy's path against `np.nonzero` of the unpacked spikes."""
import functools

import jax.numpy as jnp
import numpy as np
import pytest

from neuroflow.backend.jax import _native, _native_kernels
from neuroflow.runtime._recording import spike_indices

DECODERS = {"numpy": spike_indices,
            "native": _native_kernels.spike_indices,
            "native, no vectors": functools.partial(_native_kernels.spike_indices, vectors=False)}


@pytest.mark.parametrize("decoder", sorted(DECODERS))
@pytest.mark.parametrize("neurons", [1, 7, 8, 63, 64, 65, 4000, 4003])
@pytest.mark.parametrize("rate", [0.002, 0.02, 0.1, 0.6])
def test_packed_spikes_decode_to_the_steps_and_neurons_of_nonzero(decoder, neurons, rate):
    # rates from a spike in few blocks of 64 bytes (each decoded without branches) to many in
    # each, and bytes with several spikes (decoded a bit at a time); at 0.6 the first guess of
    # the decoder's capacity is too small and it decodes again
    if decoder != "numpy" and not _native.available():
        pytest.skip("the native kernels are not built here")
    decode = DECODERS[decoder]
    rng = np.random.default_rng(neurons)
    spikes = rng.random((300, neurons)) < rate
    spikes[7] = True  # a step where every neuron spikes
    packed = np.asarray(jnp.packbits(jnp.asarray(spikes), axis=-1))
    expected = np.nonzero(spikes)
    steps, neurons_found = decode(packed)
    assert steps.dtype == neurons_found.dtype == np.int32
    np.testing.assert_array_equal(steps, expected[0])
    np.testing.assert_array_equal(neurons_found, expected[1])
    assert all(len(part) == 0 for part in decode(np.zeros_like(packed)))
