"""The IR's textual form: `print_model` writes it, `parse_text` reads it back.

One node a line (a state update is a `{ … }` block), in the model's node order, so that
print -> parse -> print is the identity.  Numbers print with `repr`, which round-trips floats
exactly; constants folded from units carry their dimension in internal units, as in `5.0<ms>`.
"""
from __future__ import annotations

from functools import lru_cache

import lark

from ._adaptive import AdaptiveSystem
from ._cache import cached_parser
from ._compiled import FusedUpdate, Part, Partition, Schedule
from ._connectivity import rule_from_call
from ._coupling import Coupling, CouplingTerm
from ._errors import Loc, ParseError
from ._expr import Expr
from ._exprparse import EXPRESSION_GRAMMAR, ExpressionBuilder, raise_located
from ._kinds import BufferKind, FusionBackend, Kernel, Method
from ._model import Model
from ._monitors import RateMonitor, SpikeMonitor, StateMonitor
from ._nodes import (ODE, Clock, LinearSystem, Parameter, Population, PopSlice, Refractory, Reset,
                     StateUpdate, StateVar, Subexpression, Threshold, TimedInput)
from ._generator import SpikeGenerator
from ._poisson import PoissonInput
from ._projections import DelayBuffer, Projection
from ._surrogates import Surrogate, surrogate
from ._random import distribution_from_call
from ._synapses import Plasticity, SynapseParam, SynapseVar, plastic_projection
from ._types import Type

HEADER = "neuroflow-ir 1"

_IR_GRAMMAR = r"""
start: _NL? _HEADER _NL "model" NAME _NL (item _NL)* item?
_HEADER: "neuroflow-ir 1"
?item: clock | population | param | state | input | sub | ode | update | threshold | reset
     | refractory | projection | plastic_projection | coupling | poisson | generator | buffer
     | spike_monitor | rate_monitor | state_monitor | part | fused | schedule | partition
clock: "clock" "dt" "=" NUMBER
population: "population" NAME "size" "=" INT "method" "=" NAME [method_options]
method_options: "(" NAME "=" signed ("," NAME "=" signed)* ")"
param: "param" QNAME ":" TYPE "=" value
state: "state" QNAME ":" TYPE "=" value
sub: "sub" QNAME ":" TYPE "=" expr
input: "input" QNAME ":" TYPE "period" "=" signed "values" "=" "[" signed ("," signed)* "]"
ode: "ode" QNAME "=" expr [UNLESS]
update: "update" NAME "method" "=" NAME [hold] "{" _NL (update_item _NL)* "}"
hold: "hold" "=" "[" NAME ("," NAME)* "]"
?update_item: statement | linear | adaptive
adaptive: "adaptive" NAME "[" NAME ("," NAME)* "]" "rhs" "=" "[" exprs "]" adaptive_control
adaptive_control: "rtol" "=" signed "atol" "=" signed "max_steps" "=" INT [EVENTS]
EVENTS: "events"
linear: "exact" "[" NAME ("," NAME)* "]" "A" "=" "[" matrix "]" "b" "=" "[" exprs "]"
matrix: exprs (";" exprs)*
exprs: expr ("," expr)*
threshold: "threshold" NAME ":" expr [_SURROGATE (surrogate_call | "{" expr "}")]
surrogate_call: NAME "(" [numbers] ")"
_SURROGATE: "surrogate="
reset: "reset" NAME ":" statement (";" statement)*
refractory: "refractory" NAME ":" expr
_projection_head: "projection" NAME ":" slice "->" slice connect
projection: _projection_head weight "on_pre" "=" "{" statement "}" delay kernel
plastic_projection: _projection_head delay kernel "{" _NL (synapse_item _NL)* "}"
?synapse_item: synapse_var | synapse_param | on_pre | on_post
synapse_var: "var" NAME ":" TYPE "=" value [EVENT_DRIVEN expr]
synapse_param: "param" NAME ":" TYPE "=" signed
on_pre: "on_pre" statement
on_post: "on_post" statement
EVENT_DRIVEN: "event-driven"
poisson: "poisson" NAME ":" QNAME "n" "=" INT "rate" "=" "{" expr "}" "weight" "=" "{" expr "}"
generator: "generator" NAME "times" "=" "[" [numbers] "]" "indices" "=" "[" [ints] "]"
coupling: "coupling" NAME ":" slice "->" slice connect weight summed [terms] kernel
summed: "summed" NAME "=" "{" expr "}"
terms: "terms" "=" "[" coupling_term ("," coupling_term)* "]"
coupling_term: "{" expr "}" term_weight "{" expr "}"
!term_weight: "w" | "1"
connect: "connect" "=" NAME "(" [numbers] ")"
weight: "w" ":" TYPE "=" value
?delay: "delay" "=" value
buffer: "buffer" (QNAME | NAME) "kind" "=" NAME "steps" "=" INT [readers]
readers: "readers" "=" "[" reader ("," reader)* "]"
reader: NAME ":" INT
kernel: "kernel" "=" NAME [costs]
costs: "costs" ["@" NAME] "=" "[" cost ("," cost)* "]"
cost: NAME ":" NUMBER
slice: NAME "[" INT ":" INT "]"
spike_monitor: "monitor" "spikes" (NAME | slice)
rate_monitor: "monitor" "rate" NAME ["bounds" "=" "[" [ints] "]"]
state_monitor: "monitor" "state" QNAME "indices" "=" "[" [ints] "]" "every" "=" INT
part: "part" NAME "=" slice ["monitors" "=" "[" part_monitor ("," part_monitor)* "]"]
?part_monitor: "spikes" -> part_spikes
             | "rate" -> part_rate
             | "state" NAME -> part_trace
fused: "fused" NAME "[" NODE_ID ("," NODE_ID)* "]" "backend" "=" NAME [fused_adds]
fused_adds: "adds" "=" "[" NODE_ID ("," NODE_ID)* "]"
schedule: "schedule" "[" [NODE_ID ("," NODE_ID)*] "]"
partition: "partition" "devices" "=" INT "exchange" "=" INT "owned" "=" "[" owned ("," owned)* "]"
owned: NAME ":" INT
ints: INT ("," INT)*
numbers: signed ("," signed)*
?value: signed
      | "[" numbers "]"
      | NAME "(" [numbers] ")" -> distribution_value
      | "{" expr "}"
signed: NUMBER | MINUS NUMBER
UNLESS: "unless refractory"
TYPE: /(float|int|bool)\[[0-9,]*\]<[A-Za-z0-9_^\/*\-]+>/
QNAME: /[A-Za-z_][A-Za-z_0-9]*\.[A-Za-z_][A-Za-z_0-9]*/
NODE_ID: /[A-Za-z_][A-Za-z_0-9.\/]*/
INT: /\d+/
_NL: /(\r?\n[\t ]*(#[^\n]*)?)+/
%ignore WS_INLINE
%ignore COMMENT
"""


def print_model(model: Model) -> str:
    lines = [HEADER, f"model {model.name}"]
    lines += [node.text() for node in model.nodes]
    return "\n".join(lines) + "\n"


class _IRBuilder(ExpressionBuilder):
    """Parse tree of the IR text -> nodes.  One method per rule of `_IR_GRAMMAR`."""

    def start(self, items):
        name, *nodes = items
        return Model(str(name), nodes)

    def signed(self, items):
        return -float(items[1]) if len(items) == 2 else float(items[0])

    def numbers(self, items):
        return tuple(items)

    exprs = matrix = terms = readers = numbers  # the other lists: a tuple of what they hold

    def ints(self, items):
        return tuple(int(i) for i in items)

    def distribution_value(self, items):
        name, args = items
        return distribution_from_call(str(name), args or ())

    def clock(self, items):
        return Clock(float(items[0]))

    def method_options(self, items):
        return tuple((str(name), value) for name, value in zip(items[::2], items[1::2]))

    def population(self, items):
        name, size, method, options = items
        return Population(str(name), int(size), Method(str(method)), options or ())

    def param(self, items):
        pop, name = str(items[0]).split(".")
        return Parameter(pop, name, Type.from_text(str(items[1])), items[2])

    def state(self, items):
        pop, name = str(items[0]).split(".")
        return StateVar(pop, name, Type.from_text(str(items[1])), items[2])

    def input(self, items):
        pop, name = str(items[0]).split(".")
        return TimedInput(pop, name, Type.from_text(str(items[1])), items[2], tuple(items[3:]))

    def sub(self, items):
        pop, name = str(items[0]).split(".")
        return Subexpression(pop, name, Type.from_text(str(items[1])), items[2])

    def ode(self, items):
        pop, var = str(items[0]).split(".")
        return ODE(pop, var, items[1], items[2] is not None)

    def hold(self, items):
        return tuple(str(n) for n in items)

    def linear(self, items):
        *targets, matrix, offset = items
        return LinearSystem(tuple(str(t) for t in targets), matrix, offset)

    def adaptive_control(self, items):
        rtol, atol, max_steps, events = items
        return rtol, atol, int(max_steps), events is not None

    def adaptive(self, items):
        scheme, *targets, rhs, (rtol, atol, max_steps, events) = items
        return AdaptiveSystem(str(scheme), tuple(str(t) for t in targets), rhs, rtol, atol,
                              max_steps, events)

    def update(self, items):
        pop, method, hold, *body = items
        return StateUpdate(str(pop), Method(str(method)), tuple(body), hold or ())

    def threshold(self, items):
        pop, cond, smooth = items
        if isinstance(smooth, Expr):  # a smooth step of the model's own
            smooth = Surrogate(None, (), smooth)
        return Threshold(str(pop), cond, smooth)

    def surrogate_call(self, items):
        return surrogate(str(items[0]), *(items[1] or ()))

    def reset(self, items):
        return Reset(str(items[0]), tuple(items[1:]))

    def refractory(self, items):
        return Refractory(str(items[0]), items[1])

    def slice(self, items):
        return PopSlice(str(items[0]), int(items[1]), int(items[2]))

    def connect(self, items):
        return rule_from_call(str(items[0]), items[1] or ())

    def weight(self, items):
        return Type.from_text(str(items[0])), items[1]

    def kernel(self, items):  # a name that is no kernel stays a string, for `verify` to report
        kernel = Kernel(items[0]) if items[0] in list(Kernel) else str(items[0])
        return kernel, items[1] or ((), "")

    def cost(self, items):
        return str(items[0]), float(items[1])

    def costs(self, items):
        """`(costs, the device kind they were predicted for, or "")`."""
        device, *costs = items
        return tuple(costs), str(device or "")

    def projection(self, items):
        name, pre, post, rule, (wtype, weight), effect, delay, (kernel, (costs, device)) = items
        return Projection(str(name), pre, post, rule, weight, wtype, effect, delay, kernel, costs,
                          cost_device=device)

    def synapse_var(self, items):
        name, type_, init, _, decay = items
        return SynapseVar(str(name), Type.from_text(str(type_)), init, decay)

    def synapse_param(self, items):
        return SynapseParam(str(items[0]), Type.from_text(str(items[1])), items[2])

    def on_pre(self, items):
        return "on_pre", items[0]

    def on_post(self, items):
        return "on_post", items[0]

    def plastic_projection(self, items):
        name, pre, post, rule, delay, (kernel, (costs, device)), *body = items
        statements = [b for b in body if isinstance(b, tuple)]
        plasticity = Plasticity(tuple(b for b in body if isinstance(b, SynapseVar)),
                                tuple(b for b in body if isinstance(b, SynapseParam)),
                                tuple(s for on, s in statements if on == "on_pre"),
                                tuple(s for on, s in statements if on == "on_post"))
        return plastic_projection(str(name), pre, post, rule, plasticity, delay, kernel,
                                  costs).replace(cost_device=device)

    def poisson(self, items):
        name, target, n, rate, weight = items
        pop, var = str(target).split(".")
        return PoissonInput(str(name), pop, var, int(n), rate, weight)

    def generator(self, items):
        name, times, indices = items
        return SpikeGenerator(str(name), tuple(times or ()), tuple(indices or ()))

    def coupling(self, items):
        name, pre, post, rule, (wtype, weight), (target, summand), terms, chosen = items
        kernel, (costs, device) = chosen
        return Coupling(str(name), pre, post, rule, weight, wtype, str(target), summand, kernel,
                        costs, terms or (), cost_device=device)

    def summed(self, items):
        return str(items[0]), items[1]

    def coupling_term(self, items):
        return CouplingTerm(items[0], str(items[1].children[0]) == "w", items[2])

    def buffer(self, items):
        return DelayBuffer(str(items[0]), BufferKind(str(items[1])), int(items[2]),
                           items[3] or ())

    def reader(self, items):
        return str(items[0]), int(items[1])

    def spike_monitor(self, items):
        if isinstance(items[0], PopSlice):  # some neurons only
            return SpikeMonitor(items[0].population, (items[0].start, items[0].stop))
        return SpikeMonitor(str(items[0]))

    def rate_monitor(self, items):
        name, bounds = items
        return RateMonitor(str(name), bounds or ())

    def state_monitor(self, items):
        pop, var = str(items[0]).split(".")
        return StateMonitor(pop, var, items[1] or (), int(items[2]))

    def part_spikes(self, items):
        return ("spikes", None)

    def part_rate(self, items):
        return ("rate", None)

    def part_trace(self, items):
        return ("state", str(items[0]))  # tagged: a variable may be called `rate`

    def part(self, items):
        name, neurons, *monitors = items
        kinds = [kind for kind, _ in filter(None, monitors)]
        traces = tuple(var for kind, var in filter(None, monitors) if kind == "state")
        return Part(str(name), neurons, "spikes" in kinds, "rate" in kinds, traces)

    def fused_adds(self, items):
        return tuple(str(i) for i in items)

    def fused(self, items):
        pop, *ops, backend, adds = items
        return FusedUpdate(str(pop), tuple(map(str, ops)), FusionBackend(str(backend)),
                           adds or ())

    def schedule(self, items):
        return Schedule(tuple(str(i) for i in items if i is not None))

    def owned(self, items):
        return str(items[0]), int(items[1])

    def partition(self, items):
        devices, exchange, *owned = items
        return Partition(int(devices), int(exchange), tuple(owned))


@lru_cache(maxsize=None)
def _parser() -> lark.Lark:
    return cached_parser(EXPRESSION_GRAMMAR + _IR_GRAMMAR, "start", maybe_placeholders=True,
                         propagate_positions=True)


def parse_text(text: str, origin: str = "<ir>") -> Model:
    """Read the IR text written by `print_model`."""
    try:
        tree = _parser().parse(text)
        return _IRBuilder().transform(tree)
    except lark.exceptions.VisitError as err:  # a node rejected its fields
        meta = getattr(err.obj, "meta", None)
        line, column = getattr(meta, "line", None) or 1, getattr(meta, "column", None) or 1
        raise ParseError(f"invalid IR: {err.orig_exc}", Loc(origin, line, column, text)) from None
    except lark.exceptions.LarkError as err:
        raise_located(err, text, None, origin)
