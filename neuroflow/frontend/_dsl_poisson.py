"""Poisson sources in model files, turned into the builder's `poisson_group` and `poisson_input`.

    population In[1000] = poisson(rate = 15*Hz)
    input P.v = poisson(N = 1000, rate = 6*Hz, weight = J)

A Poisson group is a population whose neurons each spike with probability `rate*dt` in every
step (Brian2's PoissonGroup); its one name is `rate`, a value (one rate, one per neuron, a
random draw).  A Poisson input is Brian2's PoissonInput: `N` sources of `rate` onto every
neuron of `P`, each spike adding `weight` to the variable `v`; `rate` and `weight` are values
made of numbers and units, or expressions of P's names (`J`, `nu_ext*(1 + i/N)`), evaluated
at every step.  The arguments are checked here, at their place in the file; units of
expressions are checked by the verifier, at the input.
"""
from __future__ import annotations

from .. import ir
from ..ir import ModelError, Random, did_you_mean
from . import _ast as ast
from ._arguments import Parsed
from ._builder import Network, PopulationHandle
from ._dsl_compose import Composer, Entry, Flat, Scope, units_only
from ._dsl_errors import Errors
from ._dsl_values import Values

FREQUENCY = ir.TIME**-1
_GROUP = "population In[1000] = poisson(rate = 15*Hz)"
_INPUT = "input P.v = poisson(N = 1000, rate = 6*Hz, weight = 0.1*mV)"


def arguments(args: tuple[ast.Assignment, ...], names: tuple[str, ...], errors: Errors,
              where: ast.Name, example: str, call: str = "poisson") -> dict[str, ast.Assignment]:
    """The arguments of `poisson(...)` (or another `call`) by name; unknown, repeated and missing
    ones reported."""
    found: dict[str, ast.Assignment] = {}
    before = errors.count
    for arg in args:
        name = arg.target.text
        if name not in names:
            errors.report(f"{call}() has no argument '{name}'", arg.target.loc,
                          did_you_mean(name, names) or f"write {example}")
        elif name in found:
            errors.report(f"{call}() gets '{name}' twice", arg.target.loc, "give it once")
        else:
            found[name] = arg
    missing = [name for name in names if name not in found]
    if missing and errors.count == before:
        errors.report(f"{call}() needs {', '.join(missing)}", where.loc, f"write {example}")
    return found


def group_flat(item: ast.PoissonGroup, rate: ast.Assignment | None) -> Flat:
    """The names of a Poisson group (its `rate`), for the projections and monitors that use it."""
    component = ast.Component("Poisson group", item.name, (), (), (), None, None, None, None, (),
                              item.loc)
    scope = Scope(component, "", None)
    scope.names["rate"] = "rate"
    entry = Entry(None if rate is None else rate.value, scope, item.loc, FREQUENCY)
    return Flat(scope, kinds={"rate": "parameter"}, dims={"rate": FREQUENCY},
                params={"rate": entry})


def build_group(net: Network, final: str, item: ast.PoissonGroup, values: Values,
                errors: Errors) -> tuple[PopulationHandle | None, Flat]:
    """`Network.poisson_group` for `item`; no handle when its arguments have errors."""
    rate = arguments(item.args, ("rate",), errors, item.name, _GROUP).get("rate")
    flat = group_flat(item, rate)
    if rate is None:
        return None, flat
    with errors.collect(rate.loc):
        value = values.evaluate(rate.value)
        dim = value.to_ir()[1] if isinstance(value, Random) else value.dim
        if dim != FREQUENCY:
            raise ModelError(f"the rate of a Poisson group is in {dim}, not in Hz",
                             rate.value.loc, "for example rate = 15*Hz")
        if not isinstance(value, Random) and value.ndim and len(value.internal()) != item.size:
            raise ModelError(f"the rate has {len(value.internal())} values but the group has"
                             f" {item.size} neurons", rate.value.loc,
                             "give one rate, or one per neuron (i is the neuron's index)")
        return net.poisson_group(final, item.size, value), flat
    return None, flat


class PoissonInputs:
    """The Poisson inputs of one network; errors go to `errors`."""

    def __init__(self, net: Network, composer: Composer, errors: Errors):
        self.net = net
        self.composer = composer
        self.errors = errors

    def add(self, item: ast.PoissonInput, view, var: str, flat: Flat, values: Values) -> None:
        """`N` sources onto the population `view` (whole), adding to its variable `var` (final
        name)."""
        if not isinstance(view, PopulationHandle):
            raise ModelError("a Poisson input drives every neuron of a population, not a view",
                             item.target.loc, "write the population's name and scale the weight"
                             " per neuron in an expression, as weight = J*int(i < 100)")
        if flat.kinds.get(var) != "state":
            kind = flat.kinds.get(var, "name")
            raise ModelError(f"a Poisson input adds to a variable, and '{item.target.text}' is a"
                             f" {kind} of {flat.scope.describe()}", item.target.loc,
                             "its spikes add to a variable such as the membrane potential")
        args = arguments(item.args, ("N", "rate", "weight"), self.errors, item.target, _INPUT)
        before = self.errors.count
        count = self._sources(args.get("N"), values)
        rate = self._value(args.get("rate"), flat, values, FREQUENCY, "rate",
                           "for example rate = 6*Hz")
        dim = flat.dims.get(var)
        weight = self._value(args.get("weight"), flat, values, dim, "weight",
                             f"'{item.target.text}' is in {dim}")
        if self.errors.count == before and len(args) == 3:
            self.net.poisson_input(view, var, count, rate, weight, loc=item.loc)

    def _sources(self, arg: ast.Assignment | None, values: Values) -> int:
        if arg is None:
            return 1
        with self.errors.collect(arg.loc):
            number = values.plain(arg.value, "N, the number of sources,")
            if number < 1 or not number.is_integer():
                raise ModelError(f"N is the number of sources, a whole number of at least 1, got"
                                 f" {number:g}", arg.value.loc,
                                 "count whole sources, e.g. N = 10; scale the weight to change"
                                 " how strongly they drive")
            return int(number)
        return 1

    def _value(self, arg: ast.Assignment | None, flat: Flat, values: Values, dim, what: str,
               hint: str):
        """A constant (a quantity) or an expression of the population's names (`Parsed`)."""
        if arg is None:
            return None
        value = arg.value
        if isinstance(value, ast.Code) and not units_only(value, flat.scope):
            return Parsed(self.composer.rename(flat.scope, value, value.expr), value.loc)
        with self.errors.collect(value.loc):
            number = values.evaluate(value)
            if isinstance(number, Random) or number.ndim:
                got = ("not a random draw" if isinstance(number, Random)
                       else f"got {len(number.internal())} values")
                raise ModelError(f"the {what} of a Poisson input is one value or an expression,"
                                 f" {got}", value.loc, "give per-neuron values as a parameter of"
                                 " the population and name it here")
            if dim is not None and number.dim != dim:
                raise ModelError(f"the {what} of the Poisson input is in {number.dim}, not in"
                                 f" {dim}", value.loc, hint)
            return number
        return None

