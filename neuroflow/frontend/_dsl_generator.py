"""Spike generators in model files, turned into the builder's `spike_generator`.

    population S = spike_generator(times = [1, 2, 2]*ms, indices = [0, 0, 1])
    population S[10] = spike_generator(times = load("times.npy")*ms, indices = load("ids.npy"))

Without `[N]` the generator has one neuron more than its largest index.  The arguments are
values (numbers, arrays, `.npy` files); they are read when the names are declared, since the
size of the population may follow from them.
"""
from __future__ import annotations

import numpy as np

from ..ir import ModelError, Quantity
from . import _ast as ast
from ._builder import Network, PopulationHandle
from ._dsl_compose import Flat, Scope
from ._dsl_errors import Errors
from ._dsl_poisson import arguments
from ._dsl_values import Values

_EXAMPLE = "population S = spike_generator(times = [1, 2]*ms, indices = [0, 1])"


class GeneratorTable:
    """The evaluated arguments of one `spike_generator(...)`: times, indices and the size."""

    def __init__(self, item: ast.SpikeGenerator, values: Values, errors: Errors):
        args = arguments(item.args, ("times", "indices"), errors, item.name, _EXAMPLE,
                         "spike_generator")
        self.item, self.times, self.indices = item, None, None
        if "times" in args:
            with errors.collect(args["times"].loc):
                self.times = values.evaluate(args["times"].value)
                if not isinstance(self.times, Quantity):
                    raise ModelError("the times of a spike generator are given, not drawn",
                                     args["times"].value.loc, "write them as [1, 2.5]*ms")
        if "indices" in args:
            with errors.collect(args["indices"].loc):
                number = values.evaluate(args["indices"].value)
                raw = np.atleast_1d(np.asarray(getattr(number, "internal", lambda: None)()))
                if (not isinstance(number, Quantity) or not number.is_dimensionless
                        or raw.dtype.kind not in "iuf" or not np.all(np.mod(raw, 1) == 0)):
                    raise ModelError("the indices of a spike generator are whole numbers without"
                                     " a unit", args["indices"].value.loc)
                self.indices = raw.astype(int)
        self.size = item.size
        if self.size is None:
            self.size = int(self.indices.max()) + 1 if self.indices is not None and len(
                self.indices) else 1

    def build(self, net: Network, final: str) -> PopulationHandle | None:
        """`Network.spike_generator` for the table; None when its arguments had errors."""
        if self.times is None or self.indices is None:
            return None
        return net.spike_generator(final, self.times, self.indices, self.item.size,
                                   loc=self.item.loc)


def generator_flat(item: ast.SpikeGenerator) -> Flat:
    """The names of a spike generator, for the projections and monitors that use it: none."""
    component = ast.Component("spike generator", item.name, (), (), (), None, None, None, None,
                              (), item.loc)
    return Flat(Scope(component, "", None))
