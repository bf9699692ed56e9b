"""Doors into the IR: the Python builder and the .nfl model language.

    net = Network("coba"); net.population(...)       # the builder
    file = load("examples/coba.nfl"); file.model      # a model file, built with the same builder
"""
from ..ir import Random, exponential, lognormal, normal, uniform
from ._arguments import Parsed
from ._builder import Network, PopulationHandle
from ._dsl_errors import ErrorList
from ._dsl_load import ModelFile, RunSettings, load, load_text
from ._dsl_parse import parse
from ._equations import parse_equations

__all__ = ["ErrorList", "ModelFile", "Network", "Parsed", "PopulationHandle", "Random",
           "RunSettings", "exponential", "load", "load_text", "lognormal", "normal", "parse",
           "parse_equations", "uniform"]
