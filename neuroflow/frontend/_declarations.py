"""The IR nodes that equation lines declare, with the values the builder is given for them: a
population's state variables, parameters, subexpressions and ODEs, and a plastic projection's
synapse variables and statements (the post neuron's names read as Brian2 reads them, unit names
folded into constants)."""
from __future__ import annotations

from ..ir import ModelError, Random, decompose, did_you_mean, fold
from .. import ir
from ._arguments import FLOAT, check_reserved, to_internal, to_value
from ._equations import EquationLine


def declared_nodes(pop: str, size: int, lines: tuple[EquationLine, ...], params: dict,
                   init: dict) -> list:
    nodes: list[ir.Node] = []
    declared = {line.name for line in lines}
    for name, loc in [(line.name, line.loc) for line in lines] + [(n, None) for n in params]:
        check_reserved(name, f"'{pop}'", loc)
    for line in lines:
        synapse_only = line.flags & {"summed", "clock-driven"}
        if synapse_only:
            raise ModelError(f"'{line.name}' of '{pop}' is ({min(synapse_only)}), which only a"
                             " synapse model can be", line.loc, "move the line into the model= of"
                             " a projection")
        shape = () if "shared" in line.flags else (size,)
        type_ = ir.Type(FLOAT, shape, line.dim)
        if line.kind == "sub":
            nodes.append(ir.Subexpression(pop, line.name, type_, line.expr, loc=line.loc))
        elif line.kind == "param" and ("constant" in line.flags or "shared" in line.flags):
            if line.name not in params:
                raise ModelError(f"parameter '{line.name}' of '{pop}' has no value", line.loc,
                                 f"give it in params=dict({line.name}=...)")
            nodes.append(_parameter(pop, line.name, params.pop(line.name), size, line.dim, shape,
                                    line.loc))
        else:  # the variable of an ODE, or one changed only by resets and synapses
            nodes.append(ir.StateVar(pop, line.name, type_, _initial(pop, line, init, size),
                                     loc=line.loc))
    for line in lines:
        if line.kind == "ode":
            nodes.append(ir.ODE(pop, line.name, line.expr, "unless refractory" in line.flags,
                                loc=line.loc))
    for name, value in params.items():
        if name in declared:
            raise ModelError(f"'{name}' of '{pop}' is a variable, not a parameter",
                             hint=f"set its initial value with init=dict({name}=...)")
        nodes.append(_parameter(pop, name, value, size, None, None, None))
    check_init_used(set(init) - declared, declared, f"a variable of '{pop}'")
    return nodes


def _parameter(pop, name, value, size, dim, shape, loc) -> ir.Parameter:
    what = f"parameter '{name}' of '{pop}'"
    number, value_dim, value_shape = to_value(value, what, size)
    if dim is not None and value_dim != dim:
        raise ModelError(f"{what} is declared in {dim} but given in {value_dim}", loc,
                         f"give '{name}' a value in {dim}, or change the unit it is declared in")
    if shape == () and value_shape != ():
        raise ModelError(f"{what} is shared but given one value per neuron", loc)
    return ir.Parameter(pop, name, ir.Type(FLOAT, value_shape if shape is None else shape,
                                           value_dim), number, loc=loc)


def _initial(pop: str, line: EquationLine, init: dict, size: int) -> ir.Value:
    if line.name not in init:
        return 0.0
    what = f"initial value of '{line.name}' in '{pop}'"
    value, dim, _ = to_value(init[line.name], what, size)
    if dim != line.dim and not (dim.is_dimensionless and value == 0.0):
        raise ModelError(f"{what} is in {dim} but '{line.name}' is declared in {line.dim}",
                         line.loc)
    return value


def check_init_used(unused, declared: set[str], what: str) -> None:
    """`init=` gives values to declared variables only: refuse the first of the `unused`."""
    if unused:
        name = min(unused)
        raise ModelError(f"init gives '{name}', which is not {what}",
                         hint=did_you_mean(name, sorted(declared), "variables"))


def synapse_var(line: EquationLine, value, what: str) -> ir.SynapseVar:
    """A synapse variable from a line of a synapse model: `w : 1` or an event-driven equation."""
    if line.kind == "sub" or (line.kind == "param" and line.flags - {"constant"}):
        raise ModelError(f"the synapse model of {what} supports variables ('w : 1') and"
                         " event-driven equations", line.loc, "write a subexpression into the"
                         " statements; give shared values in params=")
    decay = None
    if line.kind == "ode":
        if "event-driven" not in line.flags:
            raise ModelError(f"the equation of '{line.name}' in {what} must be (event-driven)",
                             line.loc, "synapse variables evolve only when an event touches the"
                             " synapse")
        decay = line.expr
        linear = decompose(decay, {line.name})
        if linear is None or ir.names(linear[1]) & {line.name}:
            raise ModelError(f"the event-driven equation of '{line.name}' in {what} is not linear"
                             f" in '{line.name}'", line.loc, "event-driven equations decay"
                             " exactly: dx/dt = -x/tau")
    check_reserved(line.name, what, line.loc)
    what_init = f"initial value of '{line.name}' in {what}"
    init, dim = value.to_ir() if isinstance(value, Random) else to_internal(value, what_init)
    if dim != line.dim and not (dim.is_dimensionless and init == 0.0):
        raise ModelError(f"{what_init} is in {dim} but it is declared in {line.dim}", line.loc)
    return ir.SynapseVar(line.name, ir.Type(FLOAT, (), line.dim), init, decay)


def neuron_names(body: tuple[ir.Statement, ...], post: set[str]) -> tuple[ir.Statement, ...]:
    """Synapse statements with the post neuron's names as Brian2 reads them: `v` that is no
    synapse name is `v_post` in expressions; a target `v_post` is the post variable `v`."""
    renamed = {n: ir.Ref(n + ir.POST) for n in post}
    return tuple(ir.Statement(s.target[:-len(ir.POST)] if s.target.endswith(ir.POST)
                              else s.target, s.op, ir.substitute(s.expr, renamed)) for s in body)


def folded(body: tuple[ir.Statement, ...], local: set[str]) -> tuple[ir.Statement, ...]:
    """Statements with unit names folded into constants
    (`apre += 0.01*mV` -> `apre += 0.01<mV>`)."""
    return tuple(ir.Statement(s.target, s.op, fold(s.expr, lambda n: n in local
                                                   or n.endswith((ir.PRE, ir.POST))))
                 for s in body)
