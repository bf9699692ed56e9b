"""The verifier's checks of what feeds populations from outside themselves: the synapses of
projections (with their plasticity) and couplings, Poisson inputs and spike generators, and the
types of the expressions written per synapse (`synapse_value_kind`).
"""
from __future__ import annotations

import numpy as np

from ._algebra import decompose
from ._coupling import POST, PRE, Coupling
from ._dimensions import DIMENSIONLESS
from ._errors import did_you_mean
from ._expr import Const, Expr, names, to_text
from ._functions import uses_random
from ._generator import SpikeGenerator, spike_steps
from ._kinds import Kernel
from ._model import Model
from ._nodes import (ODE, Clock, Parameter, Refractory, Reset, StateUpdate, StateVar, Threshold,
                     value_size, value_text)
from ._poisson import PoissonInput
from ._projections import Connection, Projection
from ._random import Distribution
from ._synapses import Plasticity
from ._typecheck import BUILTINS, Kind, TypeCheckError, infer
from ._verifybase import check_assignment, check_expr, fail, scope_lookup, time_dimension


def _check_connections(node: Connection, model: Model) -> None:
    """What projections and couplings share: the slices, the rule, the kernel, the weights."""
    for side in (node.pre, node.post):
        pop = model.population(side.population)
        if pop is None:
            fail(node, f"refers to unknown population '{side.population}'")
        if side.stop > pop.size:
            fail(node, f"slice {side.text()} exceeds the size {pop.size} of {pop.name}")
    problem = node.rule.problem(node.pre.size, node.post.size)
    if problem:
        fail(node, problem, "change the rule or the populations it connects")
    if node.kernel not in list(Kernel):
        fail(node, f"unknown kernel '{node.kernel}'", f"known kernels: {', '.join(Kernel)}")
    shape = node.weight_type.shape
    if len(shape) == 2 and shape != (node.pre.size, node.post.size):
        fail(node, f"weight matrix of shape {shape} for a {node.pre.size} x {node.post.size}"
              " projection")
    size = value_size(node.weight)
    expected = shape[0] * shape[1] if len(shape) == 2 else shape[0] if shape else -1
    if size is not None and size != expected:
        fail(node, f"has {size} weights for weight shape {shape}")
    if isinstance(node.weight, Expr):
        try:
            dim = synapse_value_kind(model, node.pre.population, node.post.population,
                                     node.weight).dim
        except TypeCheckError as err:
            fail(node, f"{err.message} in the weights", err.hint, err.culprit)
        if dim != node.weight_type.dim:
            fail(node, f"the weights are in {dim}, but the projection's weights are in"
                  f" {node.weight_type.dim}")


def synapse_value_kind(model: Model, pre: str, post: str, expr: Expr) -> Kind:
    """The kind of a value given per synapse: an expression of the synapse's pre and post
    indices `i` and `j` (in their slices), the slices' sizes `N_pre` and `N_post`, and the
    neurons' parameters and initial values as `x_pre` and `y_post`; TypeCheckError if none."""
    known = {"i": Kind("int", DIMENSIONLESS), "j": Kind("int", DIMENSIONLESS),
             "N_pre": Kind("int", DIMENSIONLESS), "N_post": Kind("int", DIMENSIONLESS)}
    known |= {n.name + suffix: Kind(n.type.dtype, n.type.dim) for suffix, pop in ((PRE, pre),
                                                                                   (POST, post))
              for n in model.find(Parameter, pop) + model.find(StateVar, pop)}
    try:
        return infer(expr, known.get)
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            err.hint = did_you_mean(err.culprit, known) or ("a value per synapse reads i, j,"
                                                            " N_pre, N_post and the neurons'"
                                                            " values as x_pre, y_post")
        raise


def check_projection(node: Projection, model: Model) -> None:
    _check_connections(node, model)
    delay = node.delay
    low = delay.support()[0] if isinstance(delay, Distribution) else min(np.atleast_1d(delay))
    if low < 0:
        fail(node, f"delay must be >= 0 ms, got {value_text(delay)}")
    if node.plasticity is not None:
        _check_plasticity(node, node.plasticity, model)
        return
    w = {"w": Kind("float", node.weight_type.dim)}
    check_assignment(node, model, node.effect.target, node.effect.as_assignment(), w)


def _check_plasticity(node: Projection, plasticity: Plasticity, model: Model) -> None:
    """Synapse variables, parameters and statements of a plastic projection."""
    if node.kernel not in (Kernel.AUTO, Kernel.EVENT_PLASTIC):
        fail(node, f"is plastic, which only the 'event_plastic' kernel runs, not '{node.kernel}'")
    if node.heterogeneous_delay:
        fail(node, "plastic projections have one delay for all synapses",
              "give one delay, as delay=2*ms")
    kinds: dict[str, Kind] = {}
    for item in plasticity.variables + plasticity.params:
        if item.name in kinds or item.name in ("t", "dt"):
            fail(node, f"synapse name '{item.name}' is defined twice or shadows a built-in",
                  culprit=item.name)
        if item.type.shape != ():
            fail(node, f"synapse variable or parameter '{item.name}' must have shape (), got"
                  f" {item.type.shape}")
        kinds[item.name] = Kind(item.type.dtype, item.type.dim)
    time = time_dimension(model)
    kinds.update({"t": Kind("float", time), "dt": Kind("float", time)})
    for suffix, view in ((PRE, node.pre), (POST, node.post)):  # the neurons' names: v_post
        kinds.update({name + suffix: Kind(n.type.dtype, n.type.dim)
                      for name, n in model.scope(view.population).items()})
    variables = {v.name: v for v in plasticity.variables}
    for var in plasticity.variables:
        if var.decay is None:
            continue
        kind = _synapse_expr(node, var.decay, kinds)
        if kind.dim != var.type.dim / time:
            fail(node, f"the right-hand side of d{var.name}/dt is in {kind.dim}, but {var.name}"
                  f" is in {var.type.dim}, so it must be in {var.type.dim / time}",
                  culprit=var.name)
        linear = decompose(var.decay, set(variables))
        if linear is None or set(linear[0]) - {var.name}:
            fail(node, f"event-driven d{var.name}/dt must be linear in {var.name} alone, got"
                  f" '{to_text(var.decay)}'", "write it as dx/dt = -x/tau or dx/dt = (x0 - x)/tau",
                  var.name)
    for pathway, body in (("on_pre", plasticity.on_pre), ("on_post", plasticity.on_post)):
        for s in body:
            if uses_random(s.expr):
                fail(node, f"{pathway} '{s.text()}' draws random numbers, which synapse"
                      " statements cannot", "draw them in the neurons' equations or thresholds",
                      s.target)
            kind = _synapse_expr(node, s.expr, kinds)
            target = variables.get(s.target)
            if target is not None:
                if kind.dim != target.type.dim:
                    fail(node, f"{pathway} assigns a value in {kind.dim} to synapse variable"
                          f" '{s.target}', which is in {target.type.dim}", culprit=s.target)
                continue
            post = model.scope(node.post.population).get(s.target)
            if pathway == "on_post" or not isinstance(post, StateVar):
                post_names = [n.name for n in model.find(StateVar, node.post.population)]
                known = list(variables) + (post_names if pathway == "on_pre" else [])
                fail(node, f"{pathway} writes '{s.target}', which is not a synapse variable"
                      + (" or a variable of the post population" if pathway == "on_pre" else ""),
                      did_you_mean(s.target, known)
                      or f"it may write: {', '.join(known) or 'nothing'}", s.target)
            if s.op not in ("+=", "-="):
                fail(node, f"on_pre '{s.text()}' must add to or subtract from the post variable"
                      f" '{s.target}'", f"write '{s.target} += ...'", s.target)
            if kind.dim != post.type.dim:
                fail(node, f"on_pre adds a value in {kind.dim} to '{s.target}', which is in"
                      f" {post.type.dim}", "both sides of an assignment need the same units",
                      s.target)


def check_coupling(node: Coupling, model: Model) -> None:
    _check_connections(node, model)
    post = node.post.population
    target = model.scope(post).get(node.target)
    culprit = node.target + POST  # as the summed line writes it
    if not isinstance(target, StateVar):
        variables = [n.name for n in model.find(StateVar, post)]
        fail(node, f"sums into '{node.target}', which is not a variable of '{post}'",
              did_you_mean(node.target, variables)
              or f"declare it in '{post}': '{node.target} : 1'", culprit)
    if target.type.shape == ():
        fail(node, f"sums into '{node.target}', which is shared by all neurons of '{post}'",
              "a summed variable has one value per neuron: drop (shared)", culprit)
    integrated = {var for n in model.find(ODE, post) + model.find(StateUpdate, post)
                  for var in n.writes()}
    if f"{post}.{node.target}" in integrated:
        fail(node, f"sums into '{node.target}', which has a differential equation of its own",
              f"a summed variable is set by its synapses every step: declare it without an"
              f" equation, as '{node.target} : 1', and read it in the equations", culprit)
    if uses_random(node.summand):
        fail(node, "a summed variable draws no random numbers", "add the noise in the post"
              " neuron's equations", culprit)
    kind = _coupling_expr(node, model, node.summand)
    if kind.dim != target.type.dim:
        fail(node, f"sums values in {kind.dim} into '{node.target}', which is in"
              f" {target.type.dim}", "the summand needs the units of its target", culprit)
    for term in node.terms:
        for side, expr, suffix in (("post", term.post, POST), ("pre", term.pre, PRE)):
            wrong = sorted(n for n in names(expr) & _coupling_names(node, model)
                           if not n.endswith(suffix))
            if wrong:
                fail(node, f"the {side} factor of a term reads '{wrong[0]}'", culprit=wrong[0])
            _coupling_expr(node, model, expr)


def check_poisson(node: PoissonInput, model: Model) -> None:
    check_assignment(node, model, node.var, node.weight)
    kind = check_expr(node, model, node.rate)
    per_time = DIMENSIONLESS / time_dimension(model)
    if kind.dim != per_time:
        fail(node, f"the rate of the Poisson input is in {kind.dim}, expected {per_time}",
              "give it in Hz, as rate=6*Hz")
    clock = model.get("clock")
    if isinstance(node.rate, Const) and not (
            0 <= node.rate.value * (clock.dt if isinstance(clock, Clock) else 0) <= 1
            and node.rate.value >= 0):
        fail(node, f"the rate of the Poisson input must lie in [0, 1/dt], got"
              f" {node.rate.value * 1000:g} Hz", "each source spikes at most once per step")


def check_generator(node: SpikeGenerator, model: Model) -> None:
    """Times on or after 0, sorted by time then neuron; neurons of the population; a population
    with no threshold, reset or refractory period of its own (the table is its spikes)."""
    size = model.population(node.pop).size
    wrong = [i for i in node.indices if not 0 <= i < size]
    if wrong:
        fail(node, f"neuron index {wrong[0]} is outside the population of {size} neurons")
    if not all(np.isfinite(t) and t >= 0 for t in node.times):
        bad = next(t for t in node.times if not (np.isfinite(t) and t >= 0))
        fail(node, f"spike times must be finite and at least 0 ms, got {bad!r}")
    entries = list(zip(node.times, node.indices))
    if entries != sorted(entries):
        fail(node, "the entries must be sorted by time, then by neuron index")
    for kind in (Threshold, Reset, Refractory, StateUpdate, ODE):
        if model.find(kind, node.pop):
            fail(node, f"population '{node.pop}' is a spike generator and has a"
                  f" {kind.__name__.lower()} too", "its spikes are the table alone")
    clock = model.get("clock")
    if isinstance(clock, Clock):
        try:
            spike_steps(node, clock.dt)
        except ValueError as err:
            fail(node, str(err), "give the neuron's times at least one step apart")


def _coupling_names(node: Coupling, model: Model) -> set[str]:
    return {"w"} | {f"{n}{PRE}" for n in model.scope(node.pre.population)} | {
        f"{n}{POST}" for n in model.scope(node.post.population)}


def _coupling_expr(node: Coupling, model: Model, expr: Expr) -> Kind:
    """The kind of a summand (or a factor of one): `w`, names of the pre and post neurons with
    their suffixes (`i_pre` too), and `t` and `dt`.  A bare `i` or `N` would be ambiguous (in
    Brian2 they are the pre index and the number of synapses): it is refused."""
    pre = scope_lookup(model, node.pre.population)
    post = scope_lookup(model, node.post.population)

    def lookup(name: str) -> Kind | None:
        if name == "w":
            return Kind("float", node.weight_type.dim)
        if name.endswith(PRE):
            return pre(name[:-len(PRE)]) or BUILTINS.get(name[:-len(PRE)])
        if name.endswith(POST):
            return post(name[:-len(POST)]) or BUILTINS.get(name[:-len(POST)])
        if name in BUILTINS and name not in ("t", "dt", "True", "False"):
            raise TypeCheckError(f"'{name}' in a summed variable is ambiguous", name,
                                 f"write {name}_pre or {name}_post")
        return post(name)

    try:
        return infer(expr, lookup)
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            fail(node, f"unknown name '{err.culprit}' in the summand of '{node.name}'",
                  did_you_mean(err.culprit, _coupling_names(node, model))
                  or "it reads w, and the neurons' names as x_pre and v_post", err.culprit)
        fail(node, err.message, err.hint, err.culprit)


def _synapse_expr(node: Projection, expr: Expr, kinds: dict[str, Kind]) -> Kind:
    try:
        return infer(expr, kinds.get)
    except TypeCheckError as err:
        if err.message.startswith("unknown name"):
            hint = f"declare it in model= or give it in params=dict({err.culprit}=...)"
            fail(node, f"unknown name '{err.culprit}' in the synapses of projection '{node.name}'",
                  did_you_mean(err.culprit, kinds) or hint, err.culprit)
        fail(node, err.message, err.hint, err.culprit)
