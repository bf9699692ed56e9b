"""Generated exact linear systems leave out the entries of the propagators that no path of the
system reaches (`_fused._reached`): the pattern against scipy's matrix exponential, and the run
against the same block computing every product."""
import numpy as np
import pytest
import scipy.linalg

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import _fused, _native
from tests.conftest import load_example

pytestmark = pytest.mark.skipif(not _native.available(),
                                reason="no C++ compiler: native code is not built")


def system(pattern: np.ndarray) -> ir.LinearSystem:
    names = tuple(f"x{k}" for k in range(len(pattern)))
    matrix = tuple(tuple(ir.Ref("a") if used else ir.Const(0.0) for used in row)
                   for row in pattern)
    return ir.LinearSystem(names, matrix, tuple(ir.Const(0.0) for _ in names))


@pytest.mark.parametrize("seed", range(6))
def test_reached_is_where_the_exponential_is_not_zero(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    pattern = rng.random((n, n)) < 0.3
    values = np.where(pattern, rng.uniform(-1.0, 1.0, (n, n)), 0.0)
    exponential = scipy.linalg.expm(values)
    reached = np.array(_fused._reached(system(pattern)))
    np.testing.assert_array_equal(np.abs(exponential) > 1e-300, reached)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cuba_leaves_out_what_is_not_reached_with_the_same_spikes(dtype, monkeypatch):
    model = load_example("cuba")["model"]
    sparse = nf.compile(model, dt=0.1 * nf.units.ms, dtype=dtype)
    (block,) = sparse.program.native_blocks.values()
    assert block.sparse and "block<true>" in block.source  # ge and gi do not read v
    with monkeypatch.context() as patch:
        patch.setattr(_fused, "_reached", lambda s: [[True] * len(s.targets)] * len(s.targets))
        full = nf.compile(model, dt=0.1 * nf.units.ms, dtype=dtype)
        (every,) = full.program.native_blocks.values()
        assert not every.sparse
        b = full.run(300 * nf.units.ms, seed=2)
    a = sparse.run(300 * nf.units.ms, seed=2)
    assert len(a.spikes("P")[0]) > 100
    for x, y in zip(a.spikes("P"), b.spikes("P")):
        np.testing.assert_array_equal(x, y)
    for name, value in a.final.population("P").items():  # 0 and -0 compare equal
        np.testing.assert_array_equal(np.asarray(value), np.asarray(b.final.population("P")[name]))
