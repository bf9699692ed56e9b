"""A population too large for the machine gets a clear error at the model's line before anything
is allocated, instead of MemoryError, minutes of swapping, or XLA's RESOURCE_EXHAUSTED.  The
machine's memory is pinned to 8 GiB here, so that the tests mean the same everywhere."""
import time

import pytest

import neuroflow as nf
from neuroflow.frontend import load_text

GIB = 2**30
NEURON = """\
neuron LIF {
    equations {
        dv/dt = -v/(10*ms) : volt
        dw/dt = -w/(10*ms) : volt
    }
    INITIAL
    threshold: v > 1*mV
    reset: v = 0*mV
}
network n {
    population P[SIZE] = LIF()
    MONITOR
}
"""


@pytest.fixture(autouse=True)
def eight_gib(monkeypatch):
    monkeypatch.setattr("neuroflow.ir._memory.memory_limit", lambda: 8 * GIB)


def model_text(size: int, initial: str = "", monitor: str = "") -> str:
    return NEURON.replace("SIZE", str(size)).replace("INITIAL", initial).replace("MONITOR", monitor)


def rejected(text: str) -> nf.ModelError:
    start = time.perf_counter()
    with pytest.raises(nf.ModelError) as info:
        loaded = load_text(text, "huge.nfl")
        nf.compile(loaded.model, dt=0.1)
    assert time.perf_counter() - start < 5
    return info.value


def test_a_value_per_neuron_of_two_billion_neurons_is_refused_where_it_is_written():
    err = rejected(model_text(2**31 - 1, initial="initial { v = i*mV }"))
    assert (err.loc.origin, err.loc.line, err.loc.column) == ("huge.nfl", 6, 19)
    assert "2147483647 neurons" in err.message and "16.0 GiB" in err.message
    assert "8.00 GiB" in err.message and err.hint


def test_monitoring_every_one_of_two_billion_neurons_is_refused_at_the_monitor():
    err = rejected(model_text(2**31 - 1, monitor="monitor P.v"))
    assert err.loc.line == 12 and "monitor of P.v" in err.message
    assert "P.v[0, 1, 2]" in err.hint


def test_a_billion_neurons_are_refused_before_their_state_is_allocated():
    err = rejected(model_text(10**9))
    assert err.loc.line == 11 and "population P[" in err.loc.source_line()
    assert "1000000000 neurons, 2 variables" in err.message and "8.00 GiB" in err.message
    assert "fewer neurons" in err.hint


def test_a_large_population_that_fits_is_accepted():
    loaded = load_text(model_text(10**6, initial="initial { v = i*mV }", monitor="monitor P.v"),
                       "fits.nfl")
    assert loaded.model.population("P").size == 10**6
    nf.ir.check_state_fits(loaded.model, 8)


def test_on_an_accelerator_its_memory_is_the_limit(monkeypatch):
    """A GPU with 4 GiB: 10^8 neurons of two float32 variables (2.2 GiB with the step's copies)
    would fit the machine (8 GiB here) but not the device."""
    monkeypatch.setattr("neuroflow.runtime._compile.accelerator_memory",
                        lambda: ("the GPU (test)", 4 * GIB))
    err = rejected(model_text(10**8))
    assert "the GPU (test) has 4.00 GiB" in err.message and err.loc.line == 11


def test_monitoring_a_range_of_two_billion_neurons_is_refused_before_it_is_listed():
    err = rejected(model_text(2**31 - 1, monitor="monitor P.v[0:2147483647]"))
    assert err.loc.line == 12 and "on 2147483647 neurons" in err.message
