"""neuroflow's typed graph IR: units and types, expressions and the registry of their functions,
nodes, the model graph, the verifier and the textual form.  Imports neither JAX nor other
parts of neuroflow; the frontend, passes, backend and runtimes use the names exported here."""
from ._adaptive import EMBEDDED_PAIRS, AdaptiveSystem, EmbeddedPair
from ._algebra import (ONE, ZERO, decompose, differentiate, divided, is_zero, minus, negate, plus,
                       times)
from ._cache import cache_dir, cached_parser, private_folder
from ._compiled import FusedUpdate, Part, Partition, Schedule
from ._coupling import POST, PRE, Coupling, CouplingTerm, side_names
from ._connectivity import (CONNECTIVITY_RULES, AllToAll, ConnectivityRule, FixedFanIn, FixedFanOut,
                            FixedProb, OneToOne, rule_from_call)
from ._dimensions import DIMENSIONLESS, Dimension, DimensionMismatch, parse_dimension
from ._errors import (ErrorList, IRError, Loc, ModelError, NeuroflowError, ParseError, did_you_mean,
                      one_error, raise_all)
from ._expr import (ARITHMETIC, COMPARISONS, LOGICAL, Binary, Call, Const, Expr, Ref, Statement,
                    Unary, Where, calls, names, substitute, to_text, transform)
from ._exprparse import (EXPRESSION_GRAMMAR, BadToken, ExpressionBuilder, NumberTooLarge,
                         parse_expr, parse_statements, parse_with)
from ._fold import fold
from ._generator import SpikeGenerator, spike_steps
from ._functions import (ARGUMENTS, FUNCTIONS, NUMPY, OPERATORS, ArrayLibrary, Function, Operator,
                         UnitError, register_function, unregister_function, uses_random)
from ._memory import check_fits, check_state_fits, memory_limit, size_text
from ._model import Model
from ._kinds import BufferKind, FusionBackend, Kernel, Method
from ._monitors import RateMonitor, SpikeMonitor, StateMonitor
from ._nodes import (ODE, Clock, Declaration, LinearSystem, Node, Parameter, Population, PopSlice,
                     Refractory, Reset, StateUpdate, StateVar, Subexpression, Threshold, TimedInput,
                     Value)
from ._poisson import PoissonInput
from ._projections import Connection, DelayBuffer, Projection
from ._random import (DISTRIBUTIONS, Distribution, LogNormal, Normal, Random, Uniform, exponential,
                      lognormal, normal, uniform)
from ._surrogates import (MARGIN, SURROGATES, Surrogate, SurrogateKind, parse_surrogate,
                          surrogate, surrogate_from_expr, threshold_margin)
from ._synapses import Plasticity, SynapseParam, SynapseVar, plastic_projection
from ._text import parse_text, print_model
from ._typecheck import BUILTINS, TIME, Kind, TypeCheckError, infer, is_noise
from ._types import Type
from ._units import UNIT_NAMES, UNITS, Quantity, as_quantity, get_unit, is_dimensionless
from ._blockadds import block_add_problem, projections_after
from ._verify import model_errors, problems, verify
from ._verifybase import scope_lookup, time_dimension
from ._verifysynapses import synapse_value_kind
from ._walk import delayed_reads, expressions, map_expressions

# Every kind, here where all their modules are imported (the verifier has a rule for each)
NODE_KINDS = (Clock, Population, Parameter, StateVar, TimedInput, Subexpression, ODE, StateUpdate,
              Threshold, Reset, Refractory, Projection, DelayBuffer, SpikeMonitor, RateMonitor,
              StateMonitor, Part, FusedUpdate, Schedule, Partition, Coupling, PoissonInput,
              SpikeGenerator)
print = print_model  # noqa: A001 - `nf.ir.print(model)` is the documented spelling

__all__ = ["AdaptiveSystem", "AllToAll", "ARGUMENTS", "ARITHMETIC", "ArrayLibrary", "as_quantity",
           "Binary", "block_add_problem", "BufferKind", "BUILTINS", "cache_dir", "cached_parser",
           "Call", "calls",
           "Clock", "COMPARISONS", "Connection", "CONNECTIVITY_RULES", "ConnectivityRule", "Const",
           "Coupling", "CouplingTerm", "Declaration", "decompose", "DelayBuffer", "delayed_reads",
           "did_you_mean", "differentiate", "Dimension", "DIMENSIONLESS", "DimensionMismatch",
           "Distribution", "DISTRIBUTIONS", "divided", "EMBEDDED_PAIRS", "EmbeddedPair",
           "exponential", "Expr", "EXPRESSION_GRAMMAR", "ExpressionBuilder", "expressions",
           "FixedFanIn", "FixedFanOut", "FixedProb", "fold", "Function", "FUNCTIONS",
           "FusedUpdate", "FusionBackend", "get_unit", "infer", "IRError", "is_dimensionless",
           "is_noise", "is_zero", "Kernel", "Kind", "LinearSystem", "Loc", "LOGICAL", "LogNormal",
           "lognormal", "map_expressions", "MARGIN", "Method", "minus", "Model", "ModelError",
           "names", "negate", "NeuroflowError", "Node", "NODE_KINDS", "normal", "Normal",
           "NumberTooLarge", "NUMPY", "ODE", "ONE", "OneToOne", "Operator", "OPERATORS",
           "Parameter", "parse_dimension", "parse_expr", "parse_statements", "parse_surrogate",
           "parse_text", "ParseError", "Part", "plastic_projection", "Plasticity", "plus",
           "PoissonInput", "PopSlice", "Population", "POST", "PRE", "print", "print_model",
           "private_folder", "Projection", "projections_after", "Quantity", "parse_with", "Random",
           "RateMonitor",
           "Partition", "Ref", "Refractory", "register_function", "Reset", "rule_from_call",
           "Schedule",
           "scope_lookup", "side_names", "spike_steps", "SpikeGenerator", "SpikeMonitor",
           "Statement", "StateMonitor", "StateUpdate", "StateVar", "Subexpression", "substitute",
           "Surrogate", "surrogate", "surrogate_from_expr", "SurrogateKind", "SURROGATES",
           "synapse_value_kind", "SynapseParam", "SynapseVar", "Threshold", "threshold_margin",
           "TIME", "time_dimension", "TimedInput", "times", "to_text", "transform", "Type",
           "TypeCheckError", "Unary", "uniform", "Uniform", "UNIT_NAMES", "UnitError", "UNITS",
           "unregister_function", "uses_random", "Value", "verify", "Where", "ZERO",
           "ErrorList", "model_errors", "problems", "one_error", "raise_all",
           "check_fits", "check_state_fits", "memory_limit", "size_text", "BadToken"]
