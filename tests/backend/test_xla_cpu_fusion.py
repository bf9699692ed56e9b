"""A sum over a product with a matrix of equal entries (an all-to-all coupling of weight 1), under
`jit(vmap(...))`: XLA:CPU's YNNPACK fusions gave NaN here (jaxlib 0.10).  neuroflow compiles its
programs with them off (`backend.jax.jit`), as an option of each compilation: the process's own
XLA flags stay as they were."""
import os

import jax
import jax.numpy as jnp
import numpy as np

from neuroflow.backend.jax import jax_scope, jit

ONES = np.ones((256, 256))


def normalised(x):
    return jnp.sum(x / (1.0 + (x * x) @ ONES))


def test_batched_sum_over_a_constant_coupling_matches_row_by_row():
    rows = np.random.default_rng(0).normal(size=(16, 256))
    with jax_scope():
        batched = np.asarray(jit(jax.vmap(normalised))(rows))
    expected = [float(np.sum(x / (1.0 + (x * x) @ ONES))) for x in rows]
    np.testing.assert_allclose(batched, expected, rtol=1e-12)


def test_the_option_is_not_a_flag_of_the_process():
    assert "ynn" not in os.environ.get("XLA_FLAGS", "")
