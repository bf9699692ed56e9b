"""The step's key derived with Threefry's rounds written out gives JAX's own bits."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neuroflow.backend.jax._threefry import fold_in


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 - 1])
def test_fold_in_gives_the_bits_of_jax_random_fold_in(seed):
    key = jax.random.key_data(jax.random.key(seed))
    ours = jax.jit(fold_in)
    for step in (0, 1, 7, 9999, 123456789, 2**31 - 1):
        expected = jax.random.key_data(jax.random.fold_in(jax.random.wrap_key_data(key),
                                                          jnp.int32(step)))
        np.testing.assert_array_equal(ours(key, jnp.int32(step)), expected)
