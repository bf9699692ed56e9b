"""A sum over a product with a matrix of equal entries (an all-to-all coupling of weight 1), under
`jit(vmap(...))`: XLA:CPU's YNNPACK fusions gave NaN here (jaxlib 0.10); the backend turns them
off, so the batched result is the row-by-row one."""
import jax
import jax.numpy as jnp
import numpy as np

import neuroflow.backend.jax  # noqa: F401  (sets XLA's flags before the first computation)

ONES = np.ones((256, 256))


def normalised(x):
    return jnp.sum(x / (1.0 + (x * x) @ ONES))


def test_batched_sum_over_a_constant_coupling_matches_row_by_row():
    rows = np.random.default_rng(0).normal(size=(16, 256))
    batched = np.asarray(jax.jit(jax.vmap(normalised))(rows))
    expected = [float(np.sum(x / (1.0 + (x * x) @ ONES))) for x in rows]
    np.testing.assert_allclose(batched, expected, rtol=1e-12)
