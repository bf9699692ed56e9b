"""The memory-saving paths give what the plain ones give: spikes read from packed bits
byte by byte, connectivity drawn in pieces, ELL tables filled through a mask."""
import math

import numpy as np
import pytest

from neuroflow.backend.jax._kernels import EllLayout
from neuroflow.ir._connectivity import FixedFanIn, FixedProb
from neuroflow.runtime._recording import spike_indices, spike_record


@pytest.mark.parametrize("n", [1, 7, 8, 13, 64, 1000, 4000])  # 64, 4000: whole 8-byte words
def test_spike_indices_match_unpacking_everything(n):
    rng = np.random.default_rng(n)
    spikes = rng.random((50, n)) < 0.05
    spikes[3] = True  # a step where every neuron spikes
    packed = np.packbits(spikes, axis=1)
    steps, neurons = spike_indices(packed)
    expected = np.nonzero(np.unpackbits(packed, axis=1, count=n).view(bool))
    assert steps.dtype == neurons.dtype == np.int32
    np.testing.assert_array_equal(steps, expected[0])
    np.testing.assert_array_equal(neurons, expected[1])


def test_spike_record_times_from_chunks():
    parts = [(0, np.array([0, 2], np.int32), np.array([5, 1], np.int32)),
             (1000, np.array([], np.int32), np.array([], np.int32)),
             (2000, np.array([999], np.int32), np.array([3], np.int32))]
    record = spike_record(parts, 0.1)
    np.testing.assert_array_equal(record.t_ms, np.array([0, 2, 2999]) * 0.1)
    np.testing.assert_array_equal(record.i, [5, 1, 3])


def _whole_batch_draw(p, n_pre, n_post, rng):
    """FixedProb's draw with all gaps in one array (the algorithm before pieces)."""
    total, chunks, last = n_pre * n_post, [], -1
    while True:
        left = total - 1 - last
        batch = int(left * p + 6.0 * math.sqrt(left * p * (1.0 - p)) + 16)
        gaps = np.minimum(rng.geometric(p, size=batch), left + 1)
        positions = last + np.cumsum(gaps)
        beyond = positions >= total
        if beyond.any():
            chunks.append(positions[: int(np.argmax(beyond))])
            flat = np.concatenate(chunks)
            return (flat // n_post).astype(np.int32), (flat % n_post).astype(np.int32)
        chunks.append(positions)
        last = int(positions[-1])


@pytest.mark.parametrize("p, n_pre, n_post", [(0.02, 3200, 4000), (0.3, 1500, 1200),
                                              (1e-4, 20000, 30000)])
def test_fixed_prob_drawn_in_pieces_is_the_whole_batch_draw(p, n_pre, n_post):
    ours, theirs = np.random.default_rng(7), np.random.default_rng(7)
    pre, post = FixedProb(p).draw(n_pre, n_post, ours)
    ref_pre, ref_post = _whole_batch_draw(p, n_pre, n_post, theirs)
    np.testing.assert_array_equal(pre, ref_pre)
    np.testing.assert_array_equal(post, ref_post)
    assert ours.random() == theirs.random()  # the generator moved on by as much


def test_fixed_fan_in_in_place_is_the_plain_sort():
    ours, theirs = np.random.default_rng(3), np.random.default_rng(3)
    pre, post = FixedFanIn(40).draw(500, 700, ours)
    from neuroflow.ir._connectivity import _distinct_rows
    flat = np.sort(_distinct_rows(700, 40, 500, theirs) * 700 + np.arange(700)[:, None], axis=None)
    np.testing.assert_array_equal(pre, flat // 700)
    np.testing.assert_array_equal(post, flat % 700)


def _reference_table(rows, n_rows, width, values, fill):
    """Row r holds the values of the synapses in row r, in their order, then `fill`."""
    table = np.full((n_rows + 1, width), fill, dtype=np.asarray(values).dtype)
    order = np.argsort(rows, kind="stable")
    for r, group in enumerate(np.split(order, np.cumsum(np.bincount(rows, minlength=n_rows))[:-1])):
        table[r, :len(group)] = values[group]
    return table


@pytest.mark.parametrize("seed", range(4))
def test_ell_table_through_the_mask_is_the_table_through_slots(seed):
    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(1, 3000))
    rows = np.sort(rng.integers(0, n_rows, size=int(rng.integers(0, 600_000)))).astype(np.int32)
    values = rng.integers(0, 10**6, size=len(rows)).astype(np.int32)
    layout = EllLayout(rows, n_rows)
    assert layout.sorted
    np.testing.assert_array_equal(np.asarray(layout(values, -1, np.int32)),
                                  _reference_table(rows, n_rows, layout.width, values, -1))
    shuffled = rng.permutation(len(rows))  # rows out of order take the slot path
    unsorted = EllLayout(rows[shuffled], n_rows)
    assert unsorted.width == layout.width
    np.testing.assert_array_equal(np.asarray(unsorted(values[shuffled], -1, np.int32)),
                                  _reference_table(rows[shuffled], n_rows, layout.width,
                                                   values[shuffled], -1))
