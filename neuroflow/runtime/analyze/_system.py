"""`System`: a model's vector field with names — its state variables and parameters, with units.

The analysis functions take a `System` (or anything `System` accepts: an `ir.Model`, a loaded
model file, a `Network`).  Values are in neuroflow's internal units (ms, mV, pA, nS, pF, um),
as in simulation results, and each name reports its unit; a parameter may also be given as a
quantity (`50*pA`), converted with the IR's units.
"""
from __future__ import annotations

import collections
import copy

import numpy as np

from ... import ir
from ...backend.jax import jax_scope, jit, vector_field, VectorField
from ...passes import run_pipeline

BEFORE_INTEGRATION = "resolve,canonicalize,factorize"


class AnalysisError(ir.NeuroflowError):
    pass


def hint(name: str, candidates: list[str], what: str) -> str:
    """Did you mean a close name (case aside too), else the list of `what`."""
    same = [c for c in candidates if c.lower() == name.lower()]
    if same:
        return f"did you mean '{same[0]}'?"
    shown = ", ".join(candidates[:12]) + (", ..." if len(candidates) > 12 else "")
    return ir.did_you_mean(name, candidates) or f"{what}: {shown or 'none'}"


def _as_model(model) -> ir.Model:
    if isinstance(model, ir.Model):
        return model
    if isinstance(getattr(model, "model", None), ir.Model):  # a loaded model file
        return model.model
    if callable(getattr(model, "build", None)):  # a Network
        return model.build()
    raise AnalysisError(f"cannot analyse a {type(model).__name__}",
                        hint="give an ir.Model, a loaded .nfl file or a Network")


def _only(model: ir.Model, pop: str) -> ir.Model:
    """The nodes of population `pop` alone (couplings within it included)."""
    names = [p.name for p in model.populations]
    if pop not in names:
        raise AnalysisError(f"the model has no population '{pop}'",
                            hint=ir.did_you_mean(pop, names, "populations"))
    kept = []
    for node in model.nodes:
        if isinstance(node, ir.Connection):
            if node.pre.population == node.post.population == pop:
                kept.append(node)
        elif node.scope in (None, pop):
            kept.append(node)
    return model.with_nodes(kept)


class System:
    """The vector field of a model (or of one of its populations) with its names.

    `params` sets parameters (`{"P.I": 0.5}`; `"I"` alone where one population has it);
    `population` analyses that population alone.  State names are `"V"` in a model of one
    population (`"V[3]"` for its neuron 3), else `"P.V"` and `"P.V[3]"`."""

    @jax_scope()
    def __init__(self, model, params: dict | None = None, population: str | None = None,
                 seed: int = 0):
        model = _as_model(model)
        if population is not None:
            model = _only(model, population)
        self.model = run_pipeline(model, BEFORE_INTEGRATION)
        try:
            self.field: VectorField = vector_field(self.model, seed)
        except ir.NeuroflowError as err:
            raise AnalysisError(err.message, hint=err.hint) from None
        single = len(self.field.layout) > 0 and len({e.pop for e in self.field.layout}) == 1
        self.state_names = self._state_names(single)
        self.spiking = [t.pop for t in self.model.find(ir.Threshold)]
        self.params = {k: np.asarray(v) for k, v in self.field.params.items()}
        self.set(params or {})
        self._jit_f = jit(self.field)
        self._compiled: dict = {}  # shared with copies: the same field

    def compiled(self, key, build):
        """`build()`, a function of the field jitted once per system and `key`; parameters
        enter it as arguments, so copies with other values share it."""
        if key not in self._compiled:
            self._compiled[key] = build()
        return self._compiled[key]

    def _state_names(self, single: bool) -> list[str]:
        names = []
        for entry in self.field.layout:
            base = entry.var if single else entry.name
            if entry.size == 1:
                names.append(base)
            else:
                names += [f"{base}[{i}]" for i in range(entry.size)]
        return names

    # -- names ----------------------------------------------------------------------------------
    def param_id(self, name: str) -> str:
        """The id (`"P.I"`) of the parameter called `name` (`"P.I"` or `"I"`)."""
        if name in self.params:
            return name
        matches = [k for k in self.params if k.split(".", 1)[1] == name]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise AnalysisError(f"'{name}' is a parameter of several populations",
                                hint=f"name one of {', '.join(matches)}")
        short = [k.split(".", 1)[1] for k in self.params]
        raise AnalysisError(f"'{name}' is not a parameter of the model",
                            hint=hint(name, list(self.params) + short, "parameters"))

    def state_index(self, name: str) -> int:
        """The position in the state vector of the variable called `name`."""
        if name in self.state_names:
            return self.state_names.index(name)
        for entry in self.field.layout:  # "P.V" where the short name is "V", or the reverse
            if name in (entry.name, entry.var) and entry.size == 1:
                return entry.start
        raise AnalysisError(f"'{name}' is not a state variable of the model",
                            hint=hint(name, self.state_names, "state variables"))

    def param_unit(self, name: str) -> str:
        return str(self.field.dims[self.param_id(name)])

    def state_unit(self, name: str) -> str:
        index = self.state_index(name)
        return next(str(e.dim) for e in self.field.layout if e.start <= index < e.stop)

    def set(self, params: dict) -> "System":
        """Set parameters (in place); a quantity is converted to internal units."""
        for name, value in params.items():
            key = self.param_id(name)
            dim = self.field.dims[key]
            quantity = ir.as_quantity(value)
            if isinstance(value, ir.Quantity) and quantity.dim != dim:
                raise AnalysisError(f"parameter '{key}' is in {dim}, not {quantity.dim}")
            self.params[key] = np.broadcast_to(np.asarray(quantity.internal(), float),
                                               self.params[key].shape).copy()
        return self

    # -- the field ------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.field.size

    @property
    def x0(self) -> np.ndarray:
        return np.asarray(self.field.x0, float)

    @jax_scope()
    def f(self, x, params: dict | None = None):
        """dx/dt (traceable), with `params` (ids) over the system's own."""
        return self.field(x, dict(self.params, **(params or {})))

    @jax_scope()
    def rate(self, x) -> np.ndarray:
        """dx/dt at the system's parameters, as numbers."""
        return np.asarray(self._jit_f(np.asarray(x, float), self.params))

    def state_dict(self, x) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.state_names, np.asarray(x))}

    def require_smooth(self, what: str) -> None:
        if self.spiking:
            raise AnalysisError(f"{what} needs a smooth vector field, but population"
                                f" '{self.spiking[0]}' has a threshold (it spikes)",
                                hint="analyse its subthreshold dynamics with allow_threshold=True"
                                     " (--allow-threshold), or a rate model")


    def with_params(self, params: dict) -> "System":
        """A copy with `params` set; this system keeps its own."""
        other = copy.copy(self)
        other.params = dict(self.params)
        return other.set(params)


# Systems of the models analysed last, by the model's identity: analysing one model again (a
# phase plane, then its fixed points; another parameter value) reuses its compiled functions.
_RECENT: collections.OrderedDict = collections.OrderedDict()
RECENT_SYSTEMS = 8


def as_system(model, params: dict | None = None, population: str | None = None) -> System:
    if isinstance(model, System):
        return model.with_params(params) if params else model
    model = _as_model(model)
    key = (id(model), population)
    held = _RECENT.get(key)
    if held is None or held[0] is not model:
        held = _RECENT[key] = (model, System(model, None, population))
        while len(_RECENT) > RECENT_SYSTEMS:
            _RECENT.popitem(last=False)
    _RECENT.move_to_end(key)
    return held[1].with_params(params or {})
