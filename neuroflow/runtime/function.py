"""`sim.function(params, inputs, outputs)`: a compiled model as one pure JAX function.

`f(theta, inputs, key) -> outputs` runs the model's step in a `lax.scan`, one step per row of
the inputs, from the initial state drawn when the function was made.  `theta` holds the values
named trainable (parameters, per-neuron or shared, and weights, one per synapse in the order the
connectivity was drawn); everything else stays as compiled.  Spikes are numbers (0 or 1) whose
gradient is the slope of each population's surrogate, and every kernel has a gradient, so
`jax.grad`, `jax.vmap` and `jax.jit` apply to `f` as to any JAX function.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from .. import ir
from ..backend.jax import (COUPLING_KERNELS, KERNELS, STEP_RESIDUALS, SpikeGradients,
                           device_kind, jax_scope, lower)
from ..passes import run_pipeline
from . import _merged
from ._checks import check_seed


@dataclass(frozen=True)
class Neurons:
    """Neurons `start:stop` of population `pop` of the compiled model (merged or not)."""

    pop: str
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class ParameterValue:
    """A trainable parameter: per-neuron values of `neurons`, or one shared value."""

    name: str
    var: str
    neurons: Neurons
    shared: bool


@dataclass(frozen=True)
class SynapseWeights:
    """The trainable weights of a projection or coupling, one per synapse: `index` says where
    each synapse's weight goes in the kernel's array `key` (-1: a slot of no synapse), and
    `arrays` are the kernel's other arrays for weights that differ between synapses (a kernel
    may store one shared weight in another form)."""

    name: str
    node: str
    key: str
    index: np.ndarray
    count: int
    arrays: dict

    @cached_property
    def in_order(self) -> bool:
        """Whether the kernel's array holds the synapses in their order and nothing else (a
        dense matrix of all-to-all synapses, a list sorted by pre neuron): then `theta`'s
        weights are that array reshaped, with no gather forward and no scatter backward."""
        return self.index.size == self.count and bool(
            np.array_equal(self.index.ravel(), np.arange(self.count)))

    def place(self, value):
        """The kernel's array `key` holding the weights `value` (one per synapse)."""
        if self.in_order:
            return value.reshape(self.index.shape)
        return jnp.append(value, jnp.zeros(1, value.dtype))[self.index]


@dataclass(frozen=True)
class StepInput:
    """A variable without an equation (`state`) or a parameter replaced at every step."""

    name: str
    var: str
    neurons: Neurons
    state: bool


@dataclass(frozen=True)
class Output:
    """A variable after every step, or (`var` None) the spikes of the step."""

    name: str
    var: str | None
    neurons: Neurons


class ModelFunction:
    """`f(theta, inputs, key=None, steps=None) -> outputs`; see the module's docstring.

    `f.init(seed)` gives a `theta` (the compiled values; other seeds draw random parameters and
    weights again).  `f.synapses(projection)` gives the `(pre, post)` indices of the synapses
    whose weights `theta[projection + ".w"]` holds."""

    @jax_scope()
    def __init__(self, sim, params=(), inputs=(), outputs=(), *, seed: int = 0,
                 checkpoint: int | None = None, smooth: bool = False, detach_reset: bool = True,
                 surrogate: str | None = None):
        model = _training_model(sim)
        default = ir.parse_surrogate(surrogate) if surrogate else SpikeGradients().default
        gradients = SpikeGradients(smooth, detach_reset, default)
        self.program = lower(model, sim.dt, str(sim.program.dtype), sim.program.native, gradients)
        self.model, self.seed, self.dtype = model, check_seed(seed), self.program.dtype
        if checkpoint is not None and (isinstance(checkpoint, bool) or int(checkpoint) < 1):
            raise ir.ModelError(f"checkpoint must be a number of steps, got {checkpoint!r}")
        self.checkpoint = None if checkpoint is None else int(checkpoint)
        self._state, self._params, self._conn = self.program.initial(seed)
        self._synapses: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.params = tuple(self._trainable(name) for name in _names(params, "params"))
        self.inputs = tuple(self._input(name) for name in _names(inputs, "inputs"))
        self.outputs = tuple(self._output(name) for name in _names(outputs, "outputs"))
        if not self.outputs:
            raise ir.ModelError("a function needs at least one output",
                                hint="for example outputs=['P.v', 'P.spikes']")
        # the exact propagators (matrix exponentials) once, as constants of the step (whose zero
        # entries it leaves out), unless a trained parameter enters them
        self._trained_propagators = any(isinstance(p, ParameterValue)
                                        and p.neurons.pop in self.program.linear
                                        for p in self.params)
        self._derived = jax.tree_util.tree_map(np.asarray, self.program.prepare(self._params))

    @property
    def ir(self) -> str:
        """The IR this function runs: the simulator's, with kernels chosen for training."""
        return ir.print_model(self.model)

    # -- names ---------------------------------------------------------------------------
    def _neurons(self, pop: str, what: str) -> Neurons:
        for part in self.model.find(ir.Part):
            if part.name == pop:
                return Neurons(part.neurons.population, part.neurons.start, part.neurons.stop)
        node = self.model.get(pop)
        if isinstance(node, ir.Population):
            return Neurons(pop, 0, node.size)
        known = list(_merged.sizes(self.model))
        raise ir.ModelError(f"{what}: no population '{pop}'",
                            hint=ir.did_you_mean(pop, known, "populations"))

    def _split(self, name: str, what: str) -> tuple[str, str]:
        owner, dot, var = name.partition(".")
        if not dot or not owner or not var:
            raise ir.ModelError(f"{what} '{name}' must be written 'POPULATION.NAME' (or"
                                " 'PROJECTION.w')")
        return owner, var

    def _trainable(self, name: str):
        owner, var = self._split(name, "trainable")
        node = self.model.get(owner)
        if isinstance(node, ir.Connection):
            return self._weights(name, node, var)
        param, part = _merged.parameter(self.model, name)
        if param is None or isinstance(param, ir.TimedInput):
            known = _merged.parameter_names(self.model)
            known += [f"{n.name}.w" for n in self.model.find(ir.Connection)]
            listed = f"trainable: {', '.join(known)}" if known else "the model has no parameters"
            raise ir.ModelError(f"'{name}' is no parameter that can be trained",
                                hint=ir.did_you_mean(name, known) or listed)
        neurons = self._neurons(owner, "trainable")
        shared = param.type.is_scalar
        if shared and part is not None:
            raise ir.ModelError(f"'{name}' is one value shared by merged populations",
                                hint="keep the population apart: compile with pipeline "
                                     f"\"...merge{{exclude={owner}}}...\"")
        return ParameterValue(name, param.name, neurons, shared)

    def _weights(self, name: str, node: ir.Connection, var: str) -> SynapseWeights:
        if var != "w":
            raise ir.ModelError(f"'{name}': the trainable value of a projection is its weights,"
                                f" '{node.name}.w'")
        if getattr(node, "plasticity", None) is not None:
            raise ir.ModelError(f"'{name}': projection '{node.name}' is plastic; its weights are"
                                " state that its rule changes, not trainable values")
        if isinstance(node.weight, ir.Expr):
            raise ir.ModelError(f"'{name}': the weights of '{node.name}' are computed from the"
                                " neurons' values; give them as numbers or a distribution to"
                                " train them")
        pre, post, weight = self.program.synapses(node, self.seed, self._state, self._params)
        if len(set(zip(pre.tolist(), post.tolist()))) != len(pre):
            raise ir.ModelError(f"'{name}': '{node.name}' connects some pairs twice, so its"
                                " weights cannot be trained one per synapse")
        self._synapses[node.name] = (pre, post, np.asarray(weight, float))
        kernels = KERNELS if isinstance(node, ir.Projection) else COUPLING_KERNELS
        extra = {"delay_steps": np.zeros(len(pre), np.int32)} \
            if getattr(node, "heterogeneous_delay", False) else {}
        # the kernel's own layout, built once with each synapse's number as its weight
        numbered = kernels[node.kernel].build(node, pre, post, np.arange(1.0, len(pre) + 1),
                                              np.float64, **extra)
        key = "matrix" if "matrix" in numbered else "weights"
        index = np.rint(np.asarray(numbered[key])).astype(np.int64) - 1
        arrays = {k: (v.astype(self.dtype) if jnp.issubdtype(v.dtype, jnp.floating) else v)
                  for k, v in numbered.items() if k != key}
        return SynapseWeights(name, node.name, key, index, len(pre), arrays)

    def _input(self, name: str) -> StepInput:
        owner, var = self._split(name, "input")
        neurons = self._neurons(owner, "input")
        scope = self.model.scope(neurons.pop)
        node = scope.get(var)
        written = {n for u in self.model.find(ir.StateUpdate, neurons.pop) for n in u.writes()}
        summed = [c.name for c in self.model.find(ir.Coupling)
                  if c.post.population == neurons.pop and c.target == var]
        if summed:
            raise ir.ModelError(f"input '{name}': '{var}' is the sum of coupling"
                                f" '{summed[0]}', set at every step",
                                hint="add a variable of its own for the input and read both")
        if isinstance(node, ir.StateVar) and f"{neurons.pop}.{var}" not in written:
            return StepInput(name, var, neurons, True)
        if isinstance(node, ir.Parameter):
            solver = self.program.linear.get(neurons.pop)
            if solver is not None and solver.hoisted and any(
                    var in ir.names(e) for row in solver.system.matrix for e in row):
                raise ir.ModelError(f"input '{name}' sets the exact propagator of '{owner}',"
                                    " which is computed once per run",
                                    hint=f"train it (params=['{name}']) or integrate '{owner}'"
                                         " with another method")
            return StepInput(name, var, neurons, False)
        if isinstance(node, ir.StateVar):
            raise ir.ModelError(f"input '{name}': '{var}' has an equation; an input replaces a"
                                " parameter or a variable without one at every step",
                                hint=f"add a variable '{var}_in : ...' without equation and read"
                                     " it in the equation")
        raise ir.ModelError(f"input '{name}': '{owner}' has no parameter or variable '{var}'",
                            hint=ir.did_you_mean(var, list(scope)))

    def _output(self, name: str) -> Output:
        owner, var = self._split(name, "output")
        neurons = self._neurons(owner, "output")
        if var == "spikes":
            if self.model.one(ir.Threshold, neurons.pop) is None:
                raise ir.ModelError(f"output '{name}': '{owner}' has no threshold")
            return Output(name, None, neurons)
        if not isinstance(self.model.scope(neurons.pop).get(var), ir.StateVar):
            names = [n for n, v in self.model.scope(neurons.pop).items()
                     if isinstance(v, ir.StateVar) and not n.startswith("_")]
            raise ir.ModelError(f"output '{name}': '{owner}' has no state variable '{var}'",
                                hint=ir.did_you_mean(var, names + ["spikes"], "its variables"))
        return Output(name, var, neurons)

    # -- values -------------------------------------------------------------------------
    def synapses(self, projection: str) -> tuple[np.ndarray, np.ndarray]:
        """`(pre, post)` of the synapses whose weights `theta["PROJECTION.w"]` holds, indices
        within the projection's pre and post neurons."""
        if projection not in self._synapses:
            raise ir.ModelError(f"'{projection}.w' is not trainable in this function")
        pre, post, _ = self._synapses[projection]
        return pre, post

    @jax_scope()
    def init(self, seed: int | None = None) -> dict:
        """`theta` as compiled from `seed` (the function's own seed by default)."""
        seed = self.seed if seed is None else check_seed(seed)
        state, params, _ = (self._state, self._params, None) if seed == self.seed \
            else self.program.initial(seed)
        theta = {}
        for item in self.params:
            if isinstance(item, SynapseWeights):
                node = self.model.get(item.node)
                pre, post, weight = self.program.synapses(node, seed, state, params)
                mine = self._synapses[item.node]
                if not (np.array_equal(pre, mine[0]) and np.array_equal(post, mine[1])):
                    raise ir.ModelError(
                        f"the synapses of '{item.node}' drawn from seed {seed} are not those of"
                        f" this function (seed {self.seed})",
                        hint=f"make the function from that seed: sim.function(..., seed={seed})")
                theta[item.name] = jnp.asarray(np.broadcast_to(weight, pre.shape), self.dtype)
            else:
                value = params[item.neurons.pop][item.var]
                if not item.shared:
                    value = value[item.neurons.start:item.neurons.stop]
                theta[item.name] = jnp.asarray(value, self.dtype)
        return theta

    def _check(self, theta: dict, inputs: dict, steps) -> int:
        expected = {p.name for p in self.params}
        if set(theta) != expected:
            missing, extra = expected - set(theta), set(theta) - expected
            raise ir.ModelError("theta does not hold the function's trainable values: "
                                + "; ".join(filter(None, [
                                    f"missing {', '.join(sorted(missing))}" if missing else "",
                                    f"unknown {', '.join(sorted(extra))}" if extra else ""])),
                                hint="start from f.init()")
        for item in self.params:
            shape = (() if isinstance(item, ParameterValue) and item.shared else
                     (item.count,) if isinstance(item, SynapseWeights) else (item.neurons.size,))
            if jnp.shape(theta[item.name]) != shape:
                raise ir.ModelError(f"theta['{item.name}'] has shape {jnp.shape(theta[item.name])},"
                                    f" expected {shape}")
        names = {i.name for i in self.inputs}
        if set(inputs) != names:
            raise ir.ModelError(f"inputs must be {sorted(names) or 'empty'}, got {sorted(inputs)}")
        lengths = set()
        for item in self.inputs:
            shape = jnp.shape(inputs[item.name])
            if len(shape) != 2 or shape[1] != item.neurons.size:
                raise ir.ModelError(f"input '{item.name}' has shape {shape}, expected"
                                    f" [T, {item.neurons.size}] (T steps)",
                                    hint="a batch of inputs goes through jax.vmap(f, in_axes="
                                         "(None, 0, None))")
            lengths.add(shape[0])
        if len(lengths) > 1:
            raise ir.ModelError(f"the inputs have different numbers of steps: {sorted(lengths)}")
        if lengths:
            if steps is not None and steps != next(iter(lengths)):
                raise ir.ModelError(f"steps={steps} but the inputs have {lengths.pop()} rows")
            return lengths.pop()
        if steps is None or steps < 1:
            raise ir.ModelError("a function without inputs needs the number of steps",
                                hint="f(theta, {}, key, steps=1000)")
        return int(steps)

    # -- the function ----------------------------------------------------------------------
    def __call__(self, theta: dict, inputs: dict | None = None, key=None, steps: int | None = None):
        if self.dtype == np.float64 and not jax.config.jax_enable_x64 and any(
                isinstance(leaf, jax.core.Tracer)
                for leaf in jax.tree_util.tree_leaves((theta, inputs, key))):
            raise ir.ModelError(
                "a function of a float64 model is transformed (jit, grad, vmap) without JAX's"
                " 64-bit types: what crosses the transformation is float32, and gradients fail",
                hint="run your JAX code under `with jax.enable_x64(True):` (this thread only),"
                     " or compile the model with dtype='float32'")
        with jax_scope():  # the steps' own arithmetic, and the random numbers' 64-bit hash
            return self._run(theta, dict(inputs or {}), key, steps)

    def _run(self, theta: dict, inputs: dict, key, steps: int | None):
        count = self._check(theta, inputs, steps)
        params = {name: dict(values) for name, values in self._params.items()}
        conn = dict(self._conn)
        for item in self.params:
            value = jnp.asarray(theta[item.name], self.dtype)
            if isinstance(item, SynapseWeights):
                # the kernel's arrays for weights per synapse; the drawn ones (delays) win
                arrays = {k: conn[item.node].get(k, v) for k, v in item.arrays.items()}
                conn[item.node] = dict(arrays, **{item.key: item.place(value)})
            elif item.shared or item.neurons.size == params[item.neurons.pop][item.var].size:
                params[item.neurons.pop][item.var] = value
            else:
                at = slice(item.neurons.start, item.neurons.stop)
                params[item.neurons.pop][item.var] = params[item.neurons.pop][item.var].at[at] \
                    .set(value)
        derived = self.program.prepare(params) if self._trained_propagators else self._derived
        state = dict(self._state)
        if "key" in state and key is not None:
            state["key"] = (jax.random.key_data(key)
                            if jnp.issubdtype(jnp.asarray(key).dtype, jax.dtypes.prng_key)
                            else jnp.asarray(key))
        rows = {name: jnp.asarray(value, self.dtype) for name, value in inputs.items()}

        def body(state, row):
            state, params_now = self._with_inputs(state, params, row)
            state, outputs = self.program.step(state, params_now, conn, derived)
            return state, self._read(state, outputs)

        xs = rows if rows else jnp.arange(count)
        _, ys = self._scan(body, state, xs, count)
        return ys

    def _with_inputs(self, state, params, row):
        if not self.inputs:
            return state, params
        pops = {name: dict(values) for name, values in state["pops"].items()}
        params = {name: dict(values) for name, values in params.items()}
        for item in self.inputs:
            target = pops if item.state else params
            pop, var = item.neurons.pop, item.var
            current = target[pop][var]
            size = self.program.sizes[pop]
            full = jnp.broadcast_to(current, (size,)) if jnp.ndim(current) == 0 else current
            target[pop][var] = (row[item.name] if item.neurons.size == size
                                else full.at[item.neurons.start:item.neurons.stop]
                                .set(row[item.name]))
        return dict(state, pops=pops), params

    def _read(self, state, outputs):
        values = {}
        for item in self.outputs:
            n = item.neurons
            if item.var is None:
                value = outputs["spike_values"][n.pop]
            else:
                value = jnp.broadcast_to(state["pops"][n.pop][item.var],
                                         (self.program.sizes[n.pop],))
            values[item.name] = value[n.start:n.stop]
        return values

    def _scan(self, body, state, xs, count: int):
        # the backward pass keeps each step's threshold margins and matrix products and
        # recomputes the rest (elementwise) from them: fewer arrays written and read per step
        body = jax.checkpoint(body, policy=STEP_RESIDUALS, prevent_cse=False)
        chunk = self.checkpoint
        if chunk is None or chunk >= count:
            return jax.lax.scan(body, state, xs)
        whole = count // chunk * chunk

        @jax.checkpoint  # what a chunk's steps need is recomputed in the backward pass
        def run_chunk(state, xs_chunk):
            return jax.lax.scan(body, state, xs_chunk)

        split = jax.tree_util.tree_map(
            lambda a: a[:whole].reshape((count // chunk, chunk) + a.shape[1:]), xs)
        state, ys = jax.lax.scan(run_chunk, state, split)
        ys = jax.tree_util.tree_map(lambda a: a.reshape((whole,) + a.shape[2:]), ys)
        if whole == count:
            return state, ys
        state, rest = jax.lax.scan(body, state, jax.tree_util.tree_map(lambda a: a[whole:], xs))
        return state, jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), ys, rest)


def _training_model(sim) -> ir.Model:
    """The simulator's model compiled again for a differentiable step on batches: the kernels
    pass leaves the event kernel out of its choice (kernels a model forces stay), and updates
    are fused by XLA (generated blocks have no gradient)."""
    if sim.source is None:
        return sim.model
    options = {"kernels": {"native": sim.program.native, "training": True,
                           "device": device_kind()},
               "fuse": {"native": False}}
    return run_pipeline(sim.source, sim.pipeline, verify_each=False, defaults=options)


def _names(given, what: str) -> tuple[str, ...]:
    if isinstance(given, str):
        given = [given]
    names = tuple(given)
    for name in names:
        if not isinstance(name, str):
            raise ir.ModelError(f"{what} must be names like 'P.v', got {name!r}")
    if len(set(names)) != len(names):
        raise ir.ModelError(f"{what} names one value twice: {list(names)}")
    return names
