"""neuroflow: a compiler for brain-dynamics models.

    import neuroflow as nf
    from neuroflow.units import ms, mV
    net = nf.Network()
    ...
    sim = nf.compile(net.build(), dt=0.1*ms)
    results = sim.run(1000*ms)
"""
from . import distributed, ir, units
from .frontend import Network, exponential, load, load_text, lognormal, normal, uniform
from .ir import (AllToAll, FixedFanIn, FixedFanOut, FixedProb, IRError, ModelError, NeuroflowError,
                 OneToOne, ParseError)
from .runtime import Results, SimulationError, Simulator, analyze, compile, train

__version__ = "0.1.0"


def fixed_prob(p: float) -> FixedProb:
    """Each ordered pair (pre, post) is connected independently with probability `p`."""
    return FixedProb(p)


def fixed_fan_in(k: int) -> FixedFanIn:
    """Each post neuron receives synapses from exactly `k` distinct pre neurons."""
    return FixedFanIn(k)


def fixed_fan_out(k: int) -> FixedFanOut:
    """Each pre neuron projects to exactly `k` distinct post neurons."""
    return FixedFanOut(k)


def one_to_one() -> OneToOne:
    return OneToOne()


def all_to_all() -> AllToAll:
    return AllToAll()


__all__ = ["analyze", "distributed", "ir", "units", "Network", "load", "load_text", "compile",
           "Results", "Simulator", "SimulationError", "train", "normal", "uniform", "lognormal",
           "exponential",
           "fixed_prob", "fixed_fan_in", "fixed_fan_out", "one_to_one", "all_to_all",
           "NeuroflowError", "ModelError", "ParseError", "IRError"]
