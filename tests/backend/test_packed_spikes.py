"""A partitioned step's exchanged spikes read as they are: the native packing equals numpy's
`packbits`, and the event kernel that reads the gathered blocks of bits adds, to the bit, what it
adds from the unpacked boolean spikes (`native/event_add.cc`)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neuroflow import ir
from neuroflow.backend.jax import KERNELS, _native, _native_kernels
from neuroflow.backend.jax._kernels import draw_synapses
from neuroflow.backend.jax._scope import jax_scope

pytestmark = pytest.mark.skipif(not _native.available(),
                                reason="no C++ compiler: native code is not built")


@pytest.mark.parametrize("n", [1, 7, 8, 9, 63, 64, 65, 130, 4003])
def test_packed_bits_equal_numpy_packbits(n):
    spikes = np.random.default_rng(n).random(n) < 0.3
    spikes[-1] = True  # the last, partial byte
    packed = jax.jit(_native_kernels.pack_bits)(jnp.asarray(spikes))
    np.testing.assert_array_equal(np.asarray(packed), np.packbits(spikes))


def exchanged(spikes: np.ndarray, devices: int) -> _native_kernels.PackedSpikes:
    """`spikes` cut into `devices` blocks, each packed on its own and the blocks joined, as the
    all-gather of a partitioned step gives them (the last block padded with silent neurons)."""
    owned = -(-len(spikes) // devices)
    padded = np.zeros(owned * devices, bool)
    padded[:len(spikes)] = spikes
    blocks = [np.packbits(block) for block in padded.reshape(devices, owned)]
    return _native_kernels.PackedSpikes(jnp.asarray(np.concatenate(blocks)), owned,
                                        8 * len(blocks[0]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("population, devices, start, stop",
                         [(64, 2, 0, 64), (203, 3, 50, 190), (1000, 2, 7, 1000), (130, 1, 3, 129)])
def test_event_add_from_packed_blocks_equals_boolean_spikes(dtype, shared, population, devices,
                                                            start, stop):
    rng = np.random.default_rng(population + devices)
    n_post = 57
    weight = 0.7 if shared else ir.Normal(1.0, 0.5)
    node = ir.Projection("p", ir.PopSlice("A", start, stop), ir.PopSlice("B", 0, n_post),
                         ir.FixedProb(0.2), weight, ir.Type("float", ()),
                         ir.Statement("x", "+=", ir.Ref("w")), 0.0, "event")
    with jax_scope():
        pre, post, w = draw_synapses(node, rng)
        arrays = KERNELS["event"].build(node, pre, post, w, dtype)
        assert (arrays["weights"].ndim == 0) == shared
        spikes = rng.random(population) < 0.25
        base = jnp.asarray(rng.normal(size=80), dtype)
        args = (arrays["targets"], arrays["weights"], base, start, 11, n_post, -1.0)

        packed = exchanged(spikes, devices)
        expected = np.asarray(jax.jit(lambda s: _native_kernels.event_add(s, *args))(spikes))
        found = np.asarray(jax.jit(lambda bits: _native_kernels.event_add_packed(
            _native_kernels.PackedSpikes(bits, packed.owned, packed.stride), *args))(packed.bits))
    np.testing.assert_array_equal(found, expected)
    assert not np.array_equal(expected, np.asarray(base))  # some spike reached some synapse
