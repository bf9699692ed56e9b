"""neuroflow's typed graph IR: units and types, expressions, nodes, the model graph,
the verifier and the textual form.  Imports neither JAX nor other parts of neuroflow."""
from ._connectivity import AllToAll, ConnectivityRule, FixedFanIn, FixedFanOut, FixedProb, OneToOne
from ._errors import IRError, Loc, ModelError, NeuroflowError, ParseError, did_you_mean
from ._expr import (Binary, Call, Const, Expr, Ref, Statement, Unary, Where, calls, names, substitute,
                    to_text, transform)
from ._exprparse import parse_expr, parse_statements
from ._model import Model
from ._kinds import BufferKind, FusionBackend, Kernel, Method
from ._nodes import (NODE_KINDS, ODE, Clock, DelayBuffer, FusedUpdate, LinearSystem, Node,
                     Parameter, Part, Population, PopSlice, Projection, RateMonitor, Refractory, Reset, Schedule,
                     SpikeMonitor, StateMonitor, StateUpdate, StateVar, Subexpression, Threshold, TimedInput, Value)
from ._random import Distribution, LogNormal, Normal, Uniform
from ._synapses import Plasticity, SynapseParam, SynapseVar, plastic_projection
from ._text import parse_text, print_model
from ._typecheck import BUILTINS, TIME, Kind, TypeCheckError, infer
from ._types import FUNCTIONS, Type
from ._units import DIMENSIONLESS, Dimension, parse_dimension
from ._verify import scope_lookup, verify
from ._walk import delayed_reads, expressions, map_expressions

print = print_model  # noqa: A001 - `nf.ir.print(model)` is the documented spelling

__all__ = [
    "AllToAll",
    "BUILTINS",
    "BufferKind",
    "FusionBackend",
    "FusedUpdate",
    "Binary",
    "Call",
    "ConnectivityRule",
    "Clock",
    "Const",
    "DelayBuffer",
    "DIMENSIONLESS",
    "Dimension",
    "Distribution",
    "Expr",
    "FUNCTIONS",
    "FixedFanIn",
    "FixedFanOut",
    "FixedProb",
    "IRError",
    "Kernel",
    "Kind",
    "LinearSystem",
    "Loc",
    "LogNormal",
    "Method",
    "Model",
    "ModelError",
    "NODE_KINDS",
    "NeuroflowError",
    "Node",
    "Normal",
    "ODE",
    "OneToOne",
    "Parameter",
    "Part",
    "ParseError",
    "PopSlice",
    "Population",
    "Projection",
    "Plasticity",
    "plastic_projection",
    "SynapseParam",
    "SynapseVar",
    "RateMonitor",
    "Ref",
    "Refractory",
    "Reset",
    "Schedule",
    "SpikeMonitor",
    "StateMonitor",
    "StateUpdate",
    "StateVar",
    "Statement",
    "Subexpression",
    "TIME",
    "Threshold",
    "TimedInput",
    "Type",
    "TypeCheckError",
    "Unary",
    "Uniform",
    "Value",
    "Where",
    "calls",
    "delayed_reads",
    "did_you_mean",
    "expressions",
    "infer",
    "map_expressions",
    "names",
    "parse_dimension",
    "parse_expr",
    "parse_statements",
    "parse_text",
    "print_model",
    "scope_lookup",
    "substitute",
    "to_text",
    "transform",
    "verify",
]
