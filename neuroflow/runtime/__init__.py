"""Runtimes on top of the compiled step: simulation (and later training and analysis)."""
from . import analyze
from ._compile import compile
from ._results import RateRecord, Results, ResultsError, SpikeRecord, TraceRecord
from .simulate import SimulationError, Simulator

__all__ = ["analyze", "compile", "Results", "ResultsError", "SpikeRecord", "TraceRecord",
           "RateRecord", "Simulator", "SimulationError"]
