"""Runtimes on top of the compiled step: simulation, training and analysis."""
from ..backend.jax._memory import InsufficientMemory, MemoryEstimate
from . import analyze
from ._compile import compile
from ._nwb import NWBError, require_pynwb
from ._results import RateRecord, Results, ResultsError, SpikeRecord, TraceRecord
from . import train
from .function import ModelFunction
from .simulate import SimulationError, SimulationInterrupted, Simulator

__all__ = ["analyze", "compile", "Results", "ResultsError", "SpikeRecord", "TraceRecord",
           "RateRecord", "NWBError", "require_pynwb", "Simulator", "SimulationError",
           "SimulationInterrupted", "ModelFunction", "train", "InsufficientMemory",
           "MemoryEstimate"]
