"""A second run with the same seed reuses the connectivity the first drew: same results, no
redraw."""
import numpy as np

import neuroflow as nf
from neuroflow.backend.jax import _lower
from neuroflow.units import ms
from tests.conftest import load_example


def test_same_seed_reuses_the_drawn_connectivity_and_gives_the_same_spikes(monkeypatch):
    sim = nf.compile(load_example("coba")["model"], dt=0.1 * ms, dtype="float64")
    first = sim.run(30 * ms, seed=4)
    draws = []
    original = _lower.draw_synapses
    monkeypatch.setattr(_lower, "draw_synapses",
                        lambda *a, **k: draws.append(1) or original(*a, **k))
    again = sim.run(30 * ms, seed=4)
    assert draws == []  # nothing drawn for the second run of seed 4
    for a, b in zip(first.spikes("P"), again.spikes("P")):
        np.testing.assert_array_equal(a, b)
    other = sim.run(30 * ms, seed=5)
    assert len(draws) == 2  # a new seed draws both projections
    fresh = nf.compile(load_example("coba")["model"], dt=0.1 * ms,
                       dtype="float64").run(30 * ms, seed=5)
    for a, b in zip(other.spikes("P"), fresh.spikes("P")):
        np.testing.assert_array_equal(a, b)
