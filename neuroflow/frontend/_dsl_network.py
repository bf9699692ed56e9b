"""A network of a model file, turned into calls on the Python builder's `Network`.

This is the only way a file reaches the IR: populations, projections, inputs and monitors
are added with the same methods a builder script calls, with values evaluated the way
Python evaluates `20*ms`.  Each declaration is checked on its own and its errors are
collected, so a file with several mistakes reports them all.
"""
from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import ir
from ..ir import CONNECTIVITY_RULES, Loc, ModelError, Random, did_you_mean, rule_from_call
from . import _ast as ast
from ._arguments import Parsed
from ._builder import Network, PopulationHandle
from ._coupling import is_summed
from ._dsl_compose import Composer, Flat, units_only
from ._dsl_errors import Errors, Failed
from ._dsl_generator import GeneratorTable, generator_flat
from ._dsl_poisson import PoissonInputs, build_group
from ._dsl_synapse import SynapseArgs, SynapseModel, synapse_of
from ._dsl_weights import Weights, per_synapse
from ._dsl_values import Lazy, Values, check_unit


# A view whose declaration has an error: uses of it are skipped rather than reported again.
_BROKEN = ir.PopSlice("<broken>", 0, 1)


POPULATIONS = (ast.Population, ast.PoissonGroup, ast.SpikeGenerator)  # items that declare one


@dataclass
class _Population:
    handle: PopulationHandle | None  # None when the population has errors
    flat: Flat | None


@dataclass
class NetScope:
    """The names of one network in one place of the hierarchy (`left.E` is `left_E`)."""

    prefix: str
    populations: dict[str, str] = field(default_factory=dict)  # name -> final name
    sizes: dict[str, int] = field(default_factory=dict)  # final name -> size
    views: dict[str, ir.PopSlice] = field(default_factory=dict)
    subnetworks: dict[str, NetScope] = field(default_factory=dict)

    def find(self, path: str) -> str | ir.PopSlice | None:
        head, dot, rest = path.partition(".")
        if dot:
            sub = self.subnetworks.get(head)
            return None if sub is None else sub.find(rest)
        return self.populations.get(head) or self.views.get(head)

    def names(self) -> set[str]:
        found = set(self.populations) | set(self.views)
        for name, sub in self.subnetworks.items():
            found |= {f"{name}.{n}" for n in sub.names()}
        return found

    def all_views(self) -> dict[str, ir.PopSlice]:
        found = dict(self.views)
        for name, sub in self.subnetworks.items():
            found.update({f"{name}.{n}": v for n, v in sub.all_views().items()})
        return found


class NetworkBuilder:
    """Builds one network (and its subnetworks) with a `Network`; errors go to `errors`."""

    def __init__(self, components: dict[str, ast.Component], networks: dict[str, ast.Network],
                 errors: Errors, directory: Path | None, method: str | None):
        self.networks = networks
        self.errors = errors
        self.directory = directory
        self.method = method
        self.composer = Composer(components, errors)
        self.populations: dict[str, _Population] = {}
        self.declared: dict[str, ast.Population | ast.PoissonGroup | ast.SpikeGenerator] = {}
        self.generators: dict[str, GeneratorTable] = {}
        self.inputs: dict[str, set[str]] = {}
        self.net: Network | None = None
        self.poisson: PoissonInputs | None = None

    def build(self, network: ast.Network) -> tuple[ir.Model, NetScope]:
        self.net = Network(network.name.text)
        self.poisson = PoissonInputs(self.net, self.composer, self.errors)
        scope = NetScope("")
        items: list[tuple[NetScope, ast.NetworkItem]] = []
        self._declare(network, scope, items, (network.name.text,))
        for net_scope, item in items:
            if isinstance(item, ast.Input):
                self._note_input(net_scope, item)
        for net_scope, item in items:
            if isinstance(item, POPULATIONS):
                with self.errors.collect(item.loc):
                    self._population(net_scope, item)
        for net_scope, item in items:
            with self.errors.collect(item.loc):
                self._item(net_scope, item)
        # a neuron's `parameters` block may declare what only some uses of it need
        return self.net.build(unused_params=True), scope

    # -- names ------------------------------------------------------------------------------------
    def _declare(self, network: ast.Network, scope: NetScope, items: list,
                 stack: tuple[str, ...]) -> None:
        """Give populations, views and subnetworks their final names, depth first."""
        for item in network.items:
            if isinstance(item, POPULATIONS):
                with self.errors.collect(item.loc):
                    self._claim(scope, item.name)
                    final = scope.prefix + item.name.text
                    if final in self.declared:
                        raise ModelError(f"the model has a population '{final}' already",
                                         item.name.loc, "a subnetwork's populations are prefixed"
                                         " (a.E is a_E): rename one")
                    scope.populations[item.name.text] = final
                    scope.sizes[final] = item.size
                    if isinstance(item, ast.SpikeGenerator):  # its size may follow from its table
                        table = GeneratorTable(item, Values(None, self.directory), self.errors)
                        self.generators[final] = table
                        scope.sizes[final] = table.size
                        item = replace(item, size=table.size)
                    self.declared[final] = item
                    items.append((scope, item))
            elif isinstance(item, ast.View):
                with self.errors.collect(item.loc):
                    self._claim(scope, item.name)
                    scope.views[item.name.text] = _BROKEN
                    try:
                        scope.views[item.name.text] = self._slice(scope, item.ref)
                    except Failed:  # a view of itself, or of a view with errors (already reported)
                        if item.ref.name.text == item.name.text:
                            raise ModelError(f"view '{item.name.text}' is a view of itself",
                                             item.ref.loc, "a view is a slice of a population or of"
                                             " an earlier view") from None
            elif isinstance(item, ast.Subnetwork):
                self._subnetwork(scope, item, items, stack)
            else:
                items.append((scope, item))

    def _claim(self, scope: NetScope, name: ast.Name) -> None:
        if any(name.text in names for names in (scope.populations, scope.views, scope.subnetworks)):
            raise ModelError(f"'{name.text}' is declared twice in this network", name.loc,
                             "rename one of them")

    def _subnetwork(self, scope: NetScope, item: ast.Subnetwork, items: list,
                    stack: tuple[str, ...]) -> None:
        network = self.networks.get(item.network.text)
        if network is None:
            self.errors.add(ModelError(f"unknown network '{item.network.text}'", item.network.loc,
                                       did_you_mean(item.network.text, self.networks)
                                       or "define or import it"))
            return
        if network.name.text in stack:
            self.errors.add(ModelError(f"network '{network.name.text}' contains itself: "
                                       + " -> ".join(stack + (network.name.text,)), item.loc))
            return
        with self.errors.collect(item.loc):
            self._claim(scope, item.name)
            child = NetScope(f"{scope.prefix}{item.name.text}_")
            scope.subnetworks[item.name.text] = child
            self._declare(network, child, items, stack + (network.name.text,))
            scope.sizes.update(child.sizes)

    def _slice(self, scope: NetScope, ref: ast.PopRef) -> ir.PopSlice:
        found = scope.find(ref.name.text)
        if found is _BROKEN:
            raise Failed()
        if found is None:
            raise ModelError(f"unknown population or view '{ref.name.text}'", ref.name.loc,
                             did_you_mean(ref.name.text, scope.names())
                             or "declare it with 'population'")
        base = (found if isinstance(found, ir.PopSlice)
                else ir.PopSlice(found, 0, self.declared[found].size))
        if ref.slice is None:
            return base
        start = 0 if ref.slice.start is None else ref.slice.start
        stop = base.size if ref.slice.stop is None else ref.slice.stop
        if not 0 <= start < stop <= base.size:
            raise ModelError(f"the slice [{start}:{stop}] does not fit '{ref.name.text}', which has"
                             f" {base.size} neurons", ref.slice.loc, "slices run from 0 to"
                             f" {base.size}, start before stop")
        return ir.PopSlice(base.population, base.start + start, base.start + stop)

    def _handle(self, scope: NetScope, ref: ast.PopRef):
        """The builder's handle (a population) or view (a slice) for `ref`; Failed if its
        population had errors."""
        view = self._slice(scope, ref)
        population = self.populations.get(view.population)
        if population is None or population.handle is None:
            raise Failed()
        handle = population.handle
        return (handle if (view.start, view.stop) == (0, handle.size)
                else handle[view.start:view.stop])

    # -- populations ------------------------------------------------------------------------------
    def _note_input(self, scope: NetScope, item: ast.Input) -> None:
        pop_path, _, name = item.target.text.rpartition(".")
        final = scope.find(pop_path) if pop_path else None
        if isinstance(final, str):
            self.inputs.setdefault(final, set()).add(name)

    def _population(self, scope: NetScope,
                    item: ast.Population | ast.PoissonGroup | ast.SpikeGenerator) -> None:
        final = scope.populations[item.name.text]
        self.populations[final] = _Population(None, None)
        if isinstance(item, ast.SpikeGenerator):
            self.populations[final] = _Population(self.generators[final].build(self.net, final),
                                                  generator_flat(item))
            return
        if isinstance(item, ast.PoissonGroup):
            values = Values(item.size, self.directory)
            self.populations[final] = _Population(*build_group(self.net, final, item, values,
                                                               self.errors))
            return
        before = self.errors.count
        inputs = frozenset(self.inputs.get(final, ()))
        flat = self.composer.neuron(item.component, inputs)
        if flat is None:
            return
        for override in item.overrides:
            self.composer.override(flat, flat.scope, override, flat.scope)
        values = Values(item.size, self.directory)
        params, init = self._values(flat, values, inputs)
        refractory = self._refractory(flat, values)
        if self.errors.count != before:
            self._probe(final, item, flat, params, init, refractory)
            return
        handle = self._build_population(self.net, final, item, flat, params, init, refractory)
        self.populations[final] = _Population(handle, flat)

    def _build_population(self, net: Network, final: str, item: ast.Population, flat: Flat,
                          params: dict, init: dict, refractory) -> PopulationHandle:
        return net.population(final, item.size, tuple(flat.lines), threshold=flat.threshold,
                              surrogate=flat.surrogate, reset=flat.reset, refractory=refractory,
                              params=params, init=init,
                              method=flat.method or self.method or "auto", loc=item.loc)

    def _probe(self, final: str, item: ast.Population, flat: Flat, params: dict, init: dict,
               refractory) -> None:
        """The unit errors of a neuron that has other errors, found by building its population
        alone (it stays out of the model), so that a file's errors come in one report, not in
        rounds.  Unknown names were all reported already: the probe's are their echoes."""
        probe = Network(final)
        try:
            self._build_population(probe, final, item, flat, params, init, refractory)
            found = ir.model_errors(probe.build(unused_params=True))
        except ir.NeuroflowError:
            return
        self.errors.add_unreported(found, cascades=("unknown name",))

    def _values(self, flat: Flat, values: Values, inputs: frozenset[str]) -> tuple[dict, dict]:
        lazy = Lazy(self.errors, lambda final: self._parameter(flat, final, values))

        def lookup(final: str):
            kind = flat.kinds.get(final)
            if kind is None:
                return None
            if kind != "parameter":
                raise ModelError(f"'{final}' is a {'variable' if kind == 'state' else kind}; a"
                                 " value can only use parameters, units, i and N")
            return lazy.get(final, flat.params[final].loc)

        values.lookup = lookup
        for final in flat.params:
            if final not in inputs:
                with suppress(Failed):
                    lookup(final)
        init = {}
        for final, entry in flat.initial.items():
            with self.errors.collect(entry.loc), suppress(Failed):
                value = values.evaluate(entry.value, entry.scope.rename)
                init[final] = self._checked(value, entry.dim, f"the initial value of '{final}'",
                                            entry.loc, values.size, zero_ok=True)
        params = {name: lazy.done[name] for name in flat.params
                  if name in lazy.done and name not in inputs}
        return params, init

    def _parameter(self, flat: Flat, final: str, values: Values):
        entry = flat.params[final]
        if entry.value is None:
            raise ModelError(f"parameter '{final}' of {entry.scope.describe()} has no value",
                             entry.loc, "give it a default in 'parameters', an override where the"
                             " neuron is used, or an input")
        what = f"parameter '{final}'"
        value = self._checked(values.evaluate(entry.value, entry.scope.rename), entry.dim, what,
                              entry.loc, values.size)
        if entry.dim is None and entry.default is not None:
            check_unit(what, value, None, values.evaluate(entry.default.value,
                                                          entry.default.scope.rename), entry.loc)
        return value

    @staticmethod
    def _checked(value, dim, what: str, loc: Loc, size: int | None, zero_ok: bool = False):
        """`value` if its unit is `dim` (when declared) and it has one entry per neuron or one in
        all."""
        if not isinstance(value, Random):
            shape = np.shape(value.internal())
            if len(shape) > 1 or (len(shape) == 1 and shape[0] != size):
                raise ModelError(f"{what} has {shape[0] if shape else 0} values but the population"
                                 f" has {size} neurons", loc, "give one value, or one per neuron (i"
                                 " is the neuron's index)")
            if zero_ok and value.dim.is_dimensionless and not np.any(value.internal()):
                return value
        check_unit(what, value, dim, None, loc)
        return value

    def _refractory(self, flat: Flat, values: Values):
        if flat.refractory is None:
            return None
        code, scope = flat.refractory
        if units_only(code, scope):
            return self._value(code, values)
        return Parsed(self.composer.rename(scope, code, code.expr), code.loc)

    # -- projections, inputs, monitors ------------------------------------------------------------
    def _item(self, scope: NetScope, item: ast.NetworkItem) -> None:
        with suppress(Failed):
            if isinstance(item, ast.Projection):
                self._projection(scope, item)
            elif isinstance(item, ast.Input):
                self._input(scope, item)
            elif isinstance(item, ast.PoissonInput):
                view, var = self._variable(scope, item.target)
                population = self.populations[view.population]
                self.poisson.add(item, view, var, population.flat,
                                 Values(population.handle.size, self.directory))
            elif isinstance(item, ast.Monitor):
                self._monitor(scope, item)

    def _projection(self, scope: NetScope, item: ast.Projection) -> None:
        pre, post = self._handle(scope, item.pre), self._handle(scope, item.post)
        flat = self.populations[post.population].flat
        before = self.errors.count
        synapse = effect = None
        if item.synapse is not None:
            component = synapse_of(self.composer, item.synapse)
            if component is not None:
                model = SynapseModel(component, flat, self.errors, Values(None, self.directory),
                                     pre=self.populations[pre.population].flat)
                synapse = model.build(item.synapse, item.initial)
        elif item.on_pre:
            effect = self.composer.statement(flat, flat.scope, item.on_pre[0], frozenset({"w"}),
                                             "on_pre")
        values = Values(None, self.directory)
        connect = self._rule(item.connect, values) if item.connect is not None else None
        weights = self._weights(item, synapse, pre, post, values)
        delay = self._value(item.delay, values)
        kernel = ir.Kernel.AUTO
        if item.kernel is not None:
            with self.errors.collect(item.kernel.loc):
                kernel = ir.Kernel(item.kernel.text)
        if (effect is None and synapse is None) or self.errors.count != before:
            return
        name = None if item.name is None else scope.prefix + item.name.text
        delay = 0.0 if delay is None else delay
        if synapse is not None:
            self.net.projection(pre, post, synapse.on_pre, model=synapse.model, connect=connect,
                                on_post=synapse.on_post, params=synapse.params, init=synapse.init,
                                weights=weights, delay=delay, kernel=kernel, name=name,
                                loc=item.loc)
            return
        self.net.projection(pre, post, Parsed(effect, item.on_pre[0].loc), connect=connect,
                            weights=weights, delay=delay, kernel=kernel, name=name)

    def _weights(self, item: ast.Projection, synapse: SynapseArgs | None, pre, post,
                 values: Values):
        """The projection's weights: a value, or an expression per synapse (`Parsed`)."""
        if item.weights is None or (item.synapse is not None and synapse is None):
            return None  # none given, or the synapse has errors (reported)
        plastic = synapse is not None and not any(is_summed(line) for line in synapse.model)
        if plastic and per_synapse(item.weights):
            self.errors.report("the weights of a plastic synapse are initial values of 'w', not"
                               " an expression per synapse", item.weights.loc,
                               "give a value or a random draw; expressions of i, j, x_pre and"
                               " y_post are for on_pre projections and summed synapses")
            return None
        weights = Weights(self.populations[pre.population].flat,
                          self.populations[post.population].flat,
                          {} if synapse is None else synapse.params, self.errors)
        return weights.value(item.weights, values)

    def _value(self, value: ast.Value | None, values: Values):
        if value is None:
            return None
        with self.errors.collect(value.loc):
            return values.evaluate(value)
        return None

    def _rule(self, code: ast.Code, values: Values) -> ir.ConnectivityRule | None:
        expr = code.expr
        call = (expr if isinstance(expr, ir.Call) else ir.Call(expr.name, ())
                if isinstance(expr, ir.Ref) else None)
        if call is None or call.func not in CONNECTIVITY_RULES:
            name = call.func if call is not None else ir.to_text(expr)
            self.errors.add(ModelError(f"unknown connectivity rule '{name}'", code.loc,
                                       did_you_mean(name, sorted(CONNECTIVITY_RULES), "rules")))
            return None
        with self.errors.collect(code.loc):
            args = tuple(values.plain(ast.Code(a, code.uses, code.loc),
                                      f"an argument of {call.func}()") for a in call.args)
            try:
                return rule_from_call(call.func, args)
            except ModelError:  # a rule's own error, with its hint: collect() locates it
                raise
            except (ValueError, TypeError) as err:
                raise ModelError(str(err), code.loc) from None
        return None

    def _input(self, scope: NetScope, item: ast.Input) -> None:
        pop_path, _, name = item.target.text.rpartition(".")
        final = scope.find(pop_path) if pop_path else None
        if final is None and pop_path:
            raise ModelError(f"unknown population '{pop_path}'", item.target.loc,
                             did_you_mean(pop_path, scope.names())
                             or "declare it with 'population'")
        if not isinstance(final, str):
            raise ModelError("an input drives a name of a whole population: 'input"
                             f" P.{name} = ...'", item.target.loc)
        population = self.populations.get(final)
        if population is None or population.handle is None:
            return
        if isinstance(self.declared[final], ast.SpikeGenerator):
            raise ModelError(f"'{final}' is a spike generator, which has no names to drive",
                             item.target.loc, "its spikes are the times it is declared with")
        if isinstance(self.declared[final], ast.PoissonGroup):
            raise ModelError(f"'{final}' is a Poisson group, whose rate is set where it is"
                             " declared", item.target.loc, "write a neuron with 'threshold: rand()"
                             " < rate*dt' for a rate that follows an input")
        values = Values(population.handle.size, self.directory)
        signal = values.evaluate(item.values)
        period = values.evaluate(item.period)
        entry = population.flat.params.get(name)
        if isinstance(signal, Random) or isinstance(period, Random):
            raise ModelError("an input is a sequence of values, not a random draw", item.loc)
        if entry is not None and entry.dim is not None and signal.dim != entry.dim:
            raise ModelError(f"input '{name}' is in {signal.dim} but '{name}' is declared in"
                             f" {entry.dim}", item.values.loc)
        self.net.timed_input(population.handle, name, signal, period)

    def _monitor(self, scope: NetScope, item: ast.Monitor) -> None:
        if item.kind in ("spikes", "rate"):
            record = self.net.monitor_spikes if item.kind == "spikes" else self.net.monitor_rate
            record(self._handle(scope, item.target), loc=item.loc)
            return
        view, var = self._variable(scope, item.target)
        size = view.size
        indices = item.indices
        if isinstance(indices, ast.Slice):
            start = 0 if indices.start is None else indices.start
            stop = size if indices.stop is None else indices.stop
            if not 0 <= start < stop <= size:
                raise ModelError(f"indices [{start}:{stop}] do not fit {size} neurons", indices.loc)
            indices = range(start, stop)
        elif indices is not None and any(i >= size for i in indices):
            raise ModelError(f"monitor indices must be below {size}, the number of neurons",
                             item.loc, f"its neurons are numbered 0 to {size - 1}")
        self.net.monitor(view, var, indices=indices, every=item.every, loc=item.loc)

    def _variable(self, scope: NetScope, target: ast.Name):
        """`P.v`, `P.Na.m`, `left.E.v`, `exc.v`: the population (or a view of it) and the
        variable."""
        parts = target.parts
        for cut in range(len(parts) - 1, 0, -1):
            path, name = ".".join(parts[:cut]), ".".join(parts[cut:])
            if scope.find(path) is None:
                continue
            view = self._handle(scope, ast.PopRef(ast.Name(path, target.loc), None, target.loc))
            flat = self.populations[view.population].flat
            var = flat.scope.member(name)
            if var is None:
                raise ModelError(f"population '{view.population}' has no variable '{name}'",
                                 target.loc,
                                 did_you_mean(name, sorted(flat.scope.members()), "its names"))
            return view, var
        raise ModelError(f"'{target.text}' does not name a population's variable", target.loc,
                         "write 'monitor P.v' for the variable v of population P")
