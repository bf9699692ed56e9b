"""Fused population blocks (`FusedUpdate`): one generated C++ loop per block, or XLA.

A `native` block becomes one function, generated from the block's expressions, that reads each
neuron's state once and runs the refractoriness test, the state update, the threshold and the reset
for it before moving on — one pass over memory and one call per step, where XLA runs a dozen
separate fusions.  It is called through the `NeuroflowCallGenerated` FFI handler.  The numbers are
those of the JAX lowering up to the last bits: `exp` is a polynomial here (XLA has its own), a
division by a per-step constant is a multiplication by its reciprocal, and products are added with
fused multiply-adds where the CPU has them; the formulas and their order are the same.

The call of a block can also add the population's spikes into its own variables through the
`event` projections that its `adds` lists (`ge += w` from the population onto itself, without
delay, right after the block in the schedule; the `schedule` pass decides): the rows of the
neurons that spiked are added right after the update, in the order the projections' own kernel
calls would add them, so the sums are the same to the bit, with one call per step instead of one
per projection.

An `xla` block, or a `native` one where native code cannot be built, runs its
member operations with their JAX lowerings, in order.
"""
from __future__ import annotations

import subprocess
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ... import ir
from . import _native
from ._codegen import PRELUDE, CExpression, CodegenError
from ._kernels import KERNELS, Event
from ._step import PopulationEnv
from ._synaptic import native_add_applies


class NativeBlock:
    """The generated function of one fused block, and how to call it from the step."""

    def __init__(self, program, block: ir.FusedUpdate):
        model, pop = program.model, block.pop
        self.pop, self.size, self.dtype = pop, program.sizes[pop], program.dtype
        members = [model.get(op) for op in block.ops]
        self.update = members[0]
        self.threshold = next((m for m in members if isinstance(m, ir.Threshold)), None)
        self.reset = next((m for m in members if isinstance(m, ir.Reset)), None)
        self.refractory = program.refractory.get(pop)
        self.variables = [v.name for v in model.find(ir.StateVar, pop)]
        # read by operations outside the block (a state monitor, a coupling's `x_pre`): updated
        # in place, XLA would copy them first for readers it cannot order before the call
        read = set().union(*(node.reads() for node in model.nodes if node.id not in block.ops
                             and not isinstance(node, (ir.FusedUpdate, ir.Schedule))))
        self.read_outside = {var for var in self.variables if f"{pop}.{var}" in read}
        self.shapes = {p.name: p.type.shape for p in model.find(ir.Parameter, pop)}
        self.shapes.update({i.name: i.type.shape for i in model.find(ir.TimedInput, pop)})
        self.subexpressions = {s.name: s.expr for s in model.find(ir.Subexpression, pop)}
        self.linear = program.linear.get(pop)
        self.dt = program.dt
        self.params: list[str] = []  # parameters and timed inputs read, in argument order
        self.hoisted: dict[str, str] = {}  # C++ of what is computed once before the loop -> name
        self.sparse: list[int] = []  # entries of phi and psi that no path of the system reaches
        self.uniform_temps: dict[str, str] = {}  # temporaries computed before the loop -> name
        self.source = self._source()
        self.ident = _native.load_generated(self.source)
        self.adds: list[ir.Projection] = []  # projections this block's call adds (`added`)

    # -- generation ---------------------------------------------------------------
    def _resolver(self, temps: set[str]):
        def resolve(name: str) -> str:
            if name in self.uniform_temps:
                return self.uniform_temps[name]
            if name in temps:
                return f"m_{name}"
            if name in self.variables:
                return f"s_{name}"
            if name in self.shapes:
                if name not in self.params:
                    self.params.append(name)
                return f"p_{name}[i]" if self.shapes[name] else f"p_{name}"
            if name in self.subexpressions:
                return f"({self.expression(self.subexpressions[name], temps)})"
            builtins = {"t": "t", "dt": "real(DT)", "i": "real(i)", "N": f"real({self.size})",
                        # as a number (1 or 0) by a select: GCC vectorises no loop that
                        # converts a bool to a float (Wang 2002's `int(not_refractory)` kept
                        # its 1600-neuron update scalar); a condition reads it the same
                        "not_refractory": "(not_refractory ? real(1) : real(0))",
                        "True": "true", "False": "false",
                        "lastspike": "(real(s__lastspike) * real(DT))"}
            if name == "lastspike" and self.refractory is None:
                raise CodegenError("'lastspike' needs a refractory period")
            if name not in builtins:
                raise CodegenError(f"name '{name}' of population '{self.pop}' has no value in"
                                   " generated code")
            return builtins[name]
        return resolve

    def expression(self, expr: ir.Expr, temps: set[str] = frozenset()) -> str:
        return CExpression(self._resolver(temps), self._uniform, self._hoist)(expr)

    def _uniform(self, name: str) -> bool:
        """Whether `name` has one value for all neurons in a step."""
        if name in self.uniform_temps or name in ("t", "dt", "N", "True", "False"):
            return True
        if (name in self.variables or name in ("i", "not_refractory", "lastspike")
            or name.startswith("_")):
            return False
        if name in self.shapes:
            return not self.shapes[name]
        if name in self.subexpressions:
            expr = self.subexpressions[name]
            return not ir.uses_random(expr) and all(self._uniform(n) for n in ir.names(expr))
        return False

    def _hoist(self, text: str) -> str:
        if text not in self.hoisted:
            self.hoisted[text] = f"h_{len(self.hoisted)}"
        return self.hoisted[text]

    def _update_lines(self) -> list[str]:
        lines, temps, new = [], set(), []
        for item in self.update.body:
            if isinstance(item, ir.LinearSystem):
                lines += self._linear_lines(item, temps)
                new += list(item.targets)
            elif item.target.startswith("_"):
                value = self.expression(item.expr, temps)
                if value.startswith("h_"):  # one value for all neurons: computed before the loop
                    self.uniform_temps[item.target] = value
                    continue
                lines.append(f"const real m_{item.target} = {value};")
                temps.add(item.target)
            else:
                lines.append(f"real n_{item.target} = {self.expression(item.expr, temps)};")
                new.append(item.target)
        for var in new:  # all writes take effect together, after every line read the old values
            if var in self.update.hold:
                lines.append(f"n_{var} = not_refractory ? n_{var} : s_{var};")
        lines += [f"s_{var} = n_{var};" for var in new]
        return lines

    def _linear_lines(self, system: ir.LinearSystem, temps: set[str]) -> list[str]:
        """x' = Phi x + Psi b, the propagators read once per call (see `LinearSolver`)."""
        if self.linear is None or not self.linear.hoisted:
            raise CodegenError("a linear system with per-neuron coefficients is not generated")
        n = len(system.targets)
        # as in `LinearSolver.apply`, an offset that is 0 (no input term) adds nothing
        zero = [isinstance(e, ir.Const) and e.value == 0 for e in system.offset]
        lines = [f"const real b_{j} = {self.expression(e, temps)};"
                 for j, e in enumerate(system.offset) if not zero[j]]
        reached = _reached(system)
        self.sparse += [i * n + j for i in range(n) for j in range(n) if not reached[i][j]]
        for i, var in enumerate(system.targets):
            terms = {j: f"(phi[{i * n + j}] * s_{x})" if zero[j] else
                     f"(phi[{i * n + j}] * s_{x} + psi[{i * n + j}] * b_{j})"
                     for j, x in enumerate(system.targets)}
            full = " + ".join(terms.values())
            if all(reached[i]):
                lines.append(f"real n_{var} = {full};")
                continue
            sparse = " + ".join(t for j, t in terms.items() if reached[i][j])
            lines.append(f"real n_{var} = Sparse ? {sparse} : {full};")
        return lines

    def _threshold_lines(self) -> list[str]:
        if self.threshold is None:
            return []
        lines = [f"const bool spiked = {self.expression(self.threshold.cond)}"
                 + (" && not_refractory;" if self.refractory else ";")]
        if self.refractory:
            lines.append("s__lastspike = spiked ? step : s__lastspike;")
        for s in self.reset.body if self.reset else ():
            value = self.expression(s.as_assignment())
            lines.append(f"s_{s.target} = spiked ? real({value}) : s_{s.target};")
        lines.append("out_spikes[i] = spiked;")
        return lines

    def _source(self) -> str:
        body = self._update_lines() + self._threshold_lines()  # first: it finds the parameters
        if self.refractory is not None:
            period = self.expression(self.refractory.period)
            refractory = [f"const bool not_refractory = (step - s__lastspike) >= "
                          f"static_cast<int32_t>(nf_floor({period} / real(DT) + real(1e-3)));"]
        else:
            refractory = ["const bool not_refractory = true;"]
        lastspike = ["_lastspike"] if self.refractory else []
        self.inputs = ["step", "count"] + self.variables + lastspike + self.params
        self.inputs += ["phi", "psi"] if self.linear is not None else []
        self.outputs = self.variables + lastspike
        self.outputs += ["spikes"] if self.threshold is not None else []
        real = "float" if self.dtype == jnp.float32 else "double"
        # Pointers reach the loop as `__restrict` parameters (GCC ignores it on local variables):
        # without it the loop is versioned for aliasing, and with many arrays not vectorised at all.
        # `begin`, `end`: the stretch of neurons of this call (a large block is split over
        # threads); `count`: the neurons to update, the first of the arrays (a device of a
        # partitioned model has padding after its own), at run time, so that the loop's
        # vectorised part and its remainder cover the same neurons on one device and partitioned
        params = ["const int64_t begin", "const int64_t end", "const int32_t step",
                  "const int32_t count"]
        args = ["begin", "end", "*static_cast<const int32_t*>(in[0])",
                "*static_cast<const int32_t*>(in[1])"]
        for k, name in enumerate(self.inputs[2:], start=2):
            kind = "int32_t" if name == "_lastspike" else "real"
            if name in self.params and not self.shapes[name]:
                params.append(f"const real p_{name}")
                args.append(f"*static_cast<const real*>(in[{k}])")
                continue
            # per-neuron parameters p_x, state read as s_in_x, the propagators as phi and psi
            local = (f"p_{name}" if name in self.params else name if name in ("phi", "psi")
                     else f"s_in_{name}")
            params.append(f"const {kind}* __restrict {local}")
            args.append(f"static_cast<const {kind}*>(in[{k}])")
        for k, name in enumerate(self.outputs):
            kind = "bool" if name == "spikes" else ("int32_t" if name == "_lastspike" else "real")
            params.append(f"{kind}* __restrict out_{name}")
            args.append(f"static_cast<{kind}*>(out[{k}])")
        load = [f"real s_{v} = s_in_{v}[i];" for v in self.variables]
        load += ["int32_t s__lastspike = s_in__lastspike[i];"] if self.refractory else []
        store = [f"out_{v}[i] = s_{v};" for v in self.variables]
        store += ["out__lastspike[i] = s__lastspike;"] if self.refractory else []
        loop = load + refractory + body + store
        padding = [f"out_{v}[i] = s_in_{v}[i];" for v in self.variables]
        padding += ["out__lastspike[i] = s_in__lastspike[i];"] if self.refractory else []
        padding += ["out_spikes[i] = false;"] if self.threshold is not None else []
        return "\n".join([
            f"// generated by neuroflow: fused update of population '{self.pop}'"
            f" ({', '.join(self.outputs)})",
            PRELUDE, f"using real = {real};", f"constexpr double DT = {self.dt!r};", "",
            "template <bool Sparse>",
            "static void block(" + ", ".join(params) + ") {",
            "  const real t = real(step) * real(DT);",
            *(f"  const auto {name} = {text};" for text, name in self.hoisted.items()),
            "  const int64_t last = end < count ? end : int64_t(count);",
            "  for (int64_t i = begin; i < last; ++i) {",
            *("    " + line for line in loop),
            "  }",
            "  for (int64_t i = begin > last ? begin : last; i < end; ++i) {"
            "  // padding: kept, never spiking",
            *("    " + line for line in padding),
            "  }", "}", "",
            'extern "C" void neuroflow_generated(const void* const* in, void* const* out,'
            ' int64_t begin, int64_t end) {',
            *self._dispatch(args), "}", ""])

    def _dispatch(self, args: list[str]) -> list[str]:
        """The call of `block`: `Sparse` leaves out the products of the entries of phi and psi
        that no path of a linear system reaches, where they are 0 (checked once per call): the
        same numbers as every product, but for the sign of a zero."""
        call = "(" + ", ".join(args) + ");"
        if not self.sparse:
            return ["  block<false>" + call]
        phi, psi = (f"static_cast<const real*>(in[{self.inputs.index(name)}])"
                    for name in ("phi", "psi"))
        zero = " && ".join(f"phi[{k}] == real(0) && psi[{k}] == real(0)" for k in self.sparse)
        return [f"  const real* phi = {phi};", f"  const real* psi = {psi};",
                f"  if ({zero}) {{", "    block<true>" + call, "  } else {",
                "    block<false>" + call, "  }"]

    # -- calling ------------------------------------------------------------------
    def __call__(self, ctx) -> None:
        state = ctx.pops[self.pop]
        env = PopulationEnv(ctx, self.pop)
        args = [jnp.asarray(ctx.step, jnp.int32),
                jnp.asarray(ctx.program.neurons_held(self.pop), jnp.int32)]
        args += [state[v] for v in self.variables]
        args += [state["_lastspike"]] if self.refractory else []
        args += [jnp.asarray(env.lookup(name), self.dtype) for name in self.params]
        if self.linear is not None:
            phi, psi = ctx.derived[self.pop]
            args += [phi.astype(self.dtype), psi.astype(self.dtype)]
        dtypes = {"spikes": jnp.bool_, "_lastspike": jnp.int32}
        results = [jax.ShapeDtypeStruct((self.size,), dtypes.get(name, self.dtype))
                   for name in self.outputs]
        # each neuron's state is read before it is written, so the update can be in place: the
        # state the step was given, that nothing outside the block reads (a value this step
        # computed, such as a coupling's sum, or one a monitor also reads, updated in place
        # made XLA copy it each step: COBA 4k with a voltage monitor 0.037 -> 0.031 s)
        carried = ctx.carried.get(self.pop, {})
        aliases = {self.inputs.index(name): k for k, name in enumerate(self.outputs)
                   if name in self.inputs and name not in self.read_outside
                   and state[name] is carried.get(name)}
        if self.adds:
            args += self._add_arguments(ctx, len(args))
        values = _native.call_generated(self.ident, results, *args, size=self.size,
                                        aliases=aliases, adds=len(self.adds))
        for name, value in zip(self.outputs, values):
            if name == "spikes":
                ctx.spikes[self.pop] = value
            else:
                state[name] = value

    def _add_arguments(self, ctx, first: int) -> list:
        """The tables of the projections the call adds, then their plan (see `CallGenerated` in
        native/call.cc), for arguments from index `first` on."""
        args, plan = [], [self.outputs.index("spikes")]
        for node in self.adds:
            arrays = ctx.conn[node.name]
            weights = arrays["weights"].astype(self.dtype)
            plan += [self.outputs.index(node.effect.target), first + len(args),
                     first + len(args) + 1, node.pre.start, node.post.start, node.post.size,
                     1 if node.effect.op == "+=" else -1, int(weights.ndim == 0)]
            args += [arrays["targets"], weights]
        return args + [jnp.asarray(np.array(plan, np.int32))]


def _reached(system: ir.LinearSystem) -> list[list[bool]]:
    """reached[i][j]: whether x_j reaches x_i' through the system (a path of non-zero entries of
    its matrix, or i = j): elsewhere exp(A dt) and its integral are 0."""
    n = len(system.targets)
    reached = [[i == j or not (isinstance(e, ir.Const) and e.value == 0)
                for j, e in enumerate(row)] for i, row in enumerate(system.matrix)]
    for k in range(n):  # the transitive closure
        for i in range(n):
            if reached[i][k]:
                reached[i] = [a or b for a, b in zip(reached[i], reached[k])]
    return reached


def added(program, block: ir.FusedUpdate, native: NativeBlock) -> list[ir.Projection]:
    """The projections the call of `block` (generated as `native`) adds: those its `adds` lists
    (the plan, from the `schedule` pass) up to the first that this program cannot add natively
    (no native kernels, an effect or a target the native add does not take, a partitioned
    step), so that the others run on their own after it, in the schedule's order."""
    if program.partition is not None or native.threshold is None:
        return []
    found = []
    for name in block.adds:
        op = program.model.get(name)
        if not (isinstance(op, ir.Projection) and type(KERNELS.get(op.kernel)) is Event
                and native_add_applies(op, program)
                and op.name not in program.buffers and op.name not in program.spike_rings):
            break
        found.append(op)
    return found


def native_blocks(program) -> dict[str, NativeBlock]:
    """A generated function for each `native` block, where it can be generated and built;
    the others (with a one-line notice saying why) fall back to XLA."""
    blocks = {}
    if not program.native:
        return blocks
    for block in program.model.find(ir.FusedUpdate):
        if block.backend != ir.FusionBackend.NATIVE:
            continue
        try:
            blocks[block.id] = NativeBlock(program, block)
            blocks[block.id].adds = added(program, block, blocks[block.id])
        except CodegenError as err:
            warnings.warn(f"neuroflow: the fused block '{block.id}' runs on XLA: {err}",
                          stacklevel=2)
        except (OSError, subprocess.SubprocessError) as err:
            detail = getattr(err, "stderr", "") or str(err)
            warnings.warn(f"neuroflow: building the fused block '{block.id}' failed, so it runs on"
                          f" XLA: {detail.strip()[:300]}", stacklevel=2)
    return blocks
