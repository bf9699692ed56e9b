"""Doors into the IR: the Python builder (and, later, the .nfl language)."""
from ._builder import Network, PopulationHandle
from ._equations import parse_equations
from ._random import Random, exponential, lognormal, normal, uniform

__all__ = ["Network", "PopulationHandle", "parse_equations", "Random", "normal", "uniform", "exponential",
           "lognormal"]
