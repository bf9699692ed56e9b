"""Simulation: run a compiled program in jitted chunks of steps and collect monitors.

One `jax.jit` wraps a `lax.scan` over a chunk of steps; parameters and connectivity are its
arguments, so new parameter values reuse the compiled code.  Between chunks the state is checked for
NaN/inf, monitor data moves to the host, and a progress bar advances.
"""
from __future__ import annotations

import contextlib
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import ir
from ..backend.jax import STATE_LAYOUT, Program, jax_scope, jit, threads_shared_by
from ..backend.jax._memory import MemoryEstimate, estimate, refuse_unless_it_fits
from ..passes import DEFAULT_PIPELINE
from . import _merged
from ._checkpoint import Checkpoint
from ._distributed import gather
from ._recording import Recorded, record_chunk, results_of
from ._results import Results
from ._partitioned import PartitionedRun, partition_devices
from ._batches import run_of, runs_on_host, stack
from ._checks import check_seed, delay_value, finite_flags, first_nonfinite, to_ms
from ._host import (TRIM_CHUNK_BYTES, TRIM_RUN_BYTES, Interrupts, first_step, own, progress_bar,
                    return_freed_memory, tree_nbytes)
from ._sharding import batch_layout, sharded


class SimulationError(ir.NeuroflowError):
    """A run that had to stop; `results` holds what was recorded up to that point."""

    def __init__(self, message: str, hint: str | None = None, results: Results | None = None):
        self.results = results
        super().__init__(message, None, hint)


class DurationRoundingWarning(UserWarning):
    """A duration was rounded to a whole number of steps; the message says to what."""


class SimulationInterrupted(SimulationError, KeyboardInterrupt):
    """Ctrl-C during a run: the run stopped at the end of the chunk it was in; `results` holds
    everything up to there.  A `KeyboardInterrupt` too, so that code catching those sees it."""


class Simulator:
    """What `nf.compile` returns: the lowered model plus a `run` method."""

    def __init__(self, program: Program, model: ir.Model, chunk_steps: int = 1000,
                 devices: list | None = None):
        self.program, self.model = program, model
        node = model.get("partition")
        # a model partitioned over devices runs its chunks on them, its state split
        self.partition = None if node is None else PartitionedRun(
            program, node, devices or partition_devices(node.devices))
        self.source, self.pipeline = None, None  # the model before the passes, and the passes
        self.dt = program.dt
        self.chunk_steps = chunk_steps
        self.trace_count = 0  # times the chunk function was traced (compiled); for tests and users
        # A chunk's state is donated: the new state takes its buffers (plastic synapses are
        # state; for them that is one to two copies of every table less).
        self._chunk = jit(self._run_chunk, static_argnums=(4,), donate_argnums=(0,))
        self._sharded_chunk = jit(self._run_sharded_chunk, static_argnums=(4, 5),
                                      donate_argnums=(0,))
        self._step = jit(program.step)
        # the connectivity the last run drew, by seed: drawing is deterministic, so a run with the
        # same seed reuses it (not with new delays, nor with plastic synapses, whose state it holds)
        self._drawn: tuple[int, dict] | None = None
        self._plastic = any(p.plasticity is not None for p in model.find(ir.Projection))
        self.memory_limit: int | None = None  # bytes a run may take; None: what the machine has

    @property
    def ir(self) -> str:
        return ir.print_model(self.model)

    def _initial(self, seed: int, delays: dict) -> tuple[dict, dict, dict]:
        """`(state, params, conn)` of `seed`; the connectivity drawn for the seed before is
        reused (not with new delays, nor plastic synapses, whose state is drawn with it)."""
        if self.partition is not None:
            return self.partition.initial(seed, delays)
        if delays or self._plastic:
            return self.program.initial(seed, delays)
        if self._drawn is None or self._drawn[0] != seed:
            state, params, conn = self.program.initial(seed, delays)
            self._drawn = (seed, conn)
            return state, params, conn
        return self.program.initial(seed, delays, self._drawn[1])

    def _run_chunk(self, state, params, conn, derived, steps: int):
        """`steps` steps in one scan; also says, per variable, whether the final state is finite."""
        self.trace_count += 1

        def body(carry, _):
            return self.program.step(carry, params, conn, derived)

        state, outputs = jax.lax.scan(body, state, None, length=steps)
        return state, outputs, finite_flags(state)

    def _run_batched_chunk(self, states, params, conn, derived, steps: int):
        """`_run_chunk` for a batch of runs that differ in their parameters (and so in their
        state): vectorised (`jax.vmap`), or one run after the other (`jax.lax.map`) where the
        step calls native kernels, which run member by member under `vmap` anyway, each step,
        with the member's arrays copied out and back around every call (a COBA-4k sweep of 8
        took 2.5x the time of 8 runs in a row)."""
        def run(s, p, d):
            return self._run_chunk(s, p, conn, d, steps)

        if self.program.native:
            return jax.lax.map(lambda member: run(*member), (states, params, derived))
        return jax.vmap(run)(states, params, derived)

    def _run_sharded_chunk(self, states, params, conn, derived, steps: int, mesh):
        """`_run_batched_chunk` with the batch split over the devices of `mesh`."""
        return sharded(self._run_batched_chunk, mesh, steps)(states, params, conn, derived)

    # -- parameters ------------------------------------------------------------------
    @jax_scope()
    def parameters(self, overrides: dict | None = None, seed: int = 0) -> dict:
        """Default parameter arrays, with `{"P.taum": 15*ms}`-style overrides converted and checked.

        Names are those of the model as written; a population the `merge` pass merged has its
        values set in its neurons of the merged arrays."""
        return self._overridden(self.program.parameters(seed), overrides or {})

    def _overridden(self, defaults: dict, overrides: dict) -> dict:
        """`defaults` (left as they are) with `overrides` converted, checked and set."""
        params = {group: dict(values) for group, values in defaults.items()}
        shared: dict[tuple[str, str], dict] = {}  # merged shared parameter -> {part: (name, value)}
        for name, value in overrides.items():
            node, part = _merged.parameter(self.model, name)
            if node is None:
                known = _merged.parameter_names(self.model)
                hint = ir.did_you_mean(name, known) or f"parameters: {', '.join(known)}"
                raise ir.ModelError(f"unknown parameter '{name}'", hint=hint)
            pop, var = node.pop, node.name
            q = ir.as_quantity(value)
            if q.dim != node.type.dim:
                raise ir.ModelError(f"parameter '{name}' is in {node.type.dim}, "
                                    f"got a value in {q.dim}")
            array = jnp.asarray(np.asarray(q.internal(), dtype=float), self.program.dtype)
            shape = params[pop][var].shape
            if isinstance(node, ir.TimedInput):
                if array.shape[1:] != shape[1:] or array.ndim != len(shape):
                    raise ir.ModelError(f"input '{name}' needs values of shape "
                                        f"[T]{list(shape[1:])}")
                params[pop][var] = array  # another length recompiles once; same length does not
                continue
            # a part of a merged per-neuron array: values for its neurons
            if part is not None and shape:
                shape = (part.neurons.size,)
            if array.shape not in ((), shape):
                raise ir.ModelError(f"parameter '{name}' has shape {shape}, got {array.shape}")
            if part is None:
                params[pop][var] = jnp.broadcast_to(array, shape)
            elif shape:
                neurons = slice(part.neurons.start, part.neurons.stop)
                params[pop][var] = params[pop][var].at[neurons].set(jnp.broadcast_to(array, shape))
            else:
                shared.setdefault((pop, var), {})[part.name] = (name, array)
        for (pop, var), given in shared.items():
            params[pop][var] = self._shared_value(pop, var, given)
        return params

    def _shared_value(self, pop: str, var: str, given: dict):
        """The one value of a parameter that merged populations share: each of them must get it."""
        names = [p.name for p in _merged.parts_of(self.model, pop)]
        values = [array for _, array in given.values()]
        if set(given) != set(names) or any(not bool(jnp.all(v == values[0])) for v in values):
            name = next(iter(given.values()))[0]
            pipeline = DEFAULT_PIPELINE.replace("merge", f"merge{{exclude={name.split('.')[0]}}}")
            raise ir.ModelError(
                f"parameter '{name}' is one value shared by the merged populations "
                f"{', '.join(names)}",
                hint=f"give {', '.join(f'{n}.{var}' for n in names)} the same value, or keep the "
                     f"population apart: nf.compile(model, pipeline=\"{pipeline}\")")
        return values[0]

    def _check_weight_inputs(self, names) -> None:
        """Weights computed from the neurons' parameters (`weights="k_pre*0.1"`) are drawn
        once, with the connectivity: a run cannot change those parameters."""
        for node in self.model.nodes:
            weight = getattr(node, "weight", None)
            if not isinstance(node, ir.Connection) or not isinstance(weight, ir.Expr):
                continue
            sides = ((ir.PRE, node.pre.population), (ir.POST, node.post.population))
            read = {f"{pop}.{n[:-len(s)]}" for n in ir.names(weight) for s, pop in sides
                    if n.endswith(s)}
            for key in set(names) & read:
                raise ir.ModelError(f"'{key}' gives the weights of '{node.name}', which are drawn"
                                    " once with the connectivity: a run cannot change it",
                                    hint="give the value in the model and compile it again")

    def _split_delays(self, overrides: dict) -> tuple[dict, dict]:
        """Separate `{"proj.delay": value}` entries (new per-synapse delays) from parameters."""
        self._check_weight_inputs(overrides)
        params, delays = {}, {}
        for key, value in overrides.items():
            name, _, attr = key.rpartition(".")
            proj = self.model.get(name)
            if attr != "delay" or not isinstance(proj, ir.Projection):
                params[key] = value
                continue
            if not proj.heterogeneous_delay:
                raise ir.ModelError(
                    f"projection '{name}' was compiled with one delay for all synapses",
                    hint="give it per-synapse delays (an array or a distribution) to change them"
                         " between runs")
            delays[name] = delay_value(value, key)
        return params, delays

    # -- training and analysis ---------------------------------------------------------
    def function(self, params=(), inputs=(), outputs=(), **options):
        """The model as one pure JAX function `f(theta, inputs, key) -> outputs` of its
        trainable values `params` and per-step `inputs` (names like `"H.tau"`, `"in_to_H.w"`,
        `"In.I"`), giving `outputs` (`"Out.v"`, `"H.spikes"`) as `[T, n]` arrays.  Options:
        `seed` (connectivity and initial state), `checkpoint` (steps per rematerialized
        chunk), `surrogate` (for thresholds that name none; `"fast_sigmoid(25)"` by default),
        `detach_reset`, `smooth`.  See `neuroflow.runtime.function`."""
        from .function import ModelFunction
        return ModelFunction(self, params, inputs, outputs, **options)

    # -- memory ----------------------------------------------------------------------
    def memory(self, duration=None, *, batch: int = 1, chunk_steps: int | None = None,
               spike_rate_hz: float = 10.0) -> MemoryEstimate:
        """The memory a run of `duration` (default: one chunk) will take, by part (state,
        connectivity per projection and kernel layout, delay buffers, monitors), before
        anything is drawn; `batch` runs for a sweep.  Recorded spikes are counted at
        `spike_rate_hz` per neuron.  `print(sim.memory(1*second).text())` shows it."""
        chunk = chunk_steps or self.chunk_steps
        steps = chunk if duration is None else self._steps(duration)
        return estimate(self.program, steps, batch, chunk, spike_rate_hz)

    def _check_memory(self, steps: int, chunk_steps: int | None, batch: int = 1,
                      devices: int = 1, device=None) -> int:
        """Refuse, before anything is allocated, a run whose estimate does not fit; returns the
        estimated peak in bytes."""
        found = estimate(self.program, steps, batch, chunk_steps or self.chunk_steps,
                         replicas=devices, propagators=False)
        refuse_unless_it_fits(found, device or jax.local_devices()[0], self.memory_limit)
        return found.peak

    # -- running ---------------------------------------------------------------------
    def run(self, duration, *, seed: int = 0, params: dict | None = None,
            progress: bool | None = None, chunk_steps: int | None = None,
            resume: Checkpoint | None = None) -> Results:
        """Simulate `duration` (a time, or ms) from the initial state drawn from `seed`, or
        from where an earlier run ended (`resume=results.final`: same connectivity and seed)."""
        steps_total = self._steps(duration)  # called here, its warning names the caller's line
        with jax_scope():
            return self._run(steps_total, seed, params, progress, chunk_steps, resume)

    def _run(self, steps_total: int, seed, params, progress, chunk_steps, resume) -> Results:
        seed = check_seed(seed)
        params, delays = self._split_delays(params or {})
        # memory is handed back around runs that need much of it: around a small one, handing
        # back ~200 MiB of XLA's heap takes ~0.2 ms each time (3% of a 1 s COBA-4k run)
        big = resume is not None or self._check_memory(steps_total, chunk_steps) >= TRIM_RUN_BYTES
        if big:
            return_freed_memory()  # e.g. of earlier results dropped since
        if resume is not None:
            if ir.print_model(resume.model) != self.ir or abs(resume.dt - self.dt) > 1e-12:
                raise ir.ModelError("the checkpoint to resume from is of another model or time"
                                    " step than this simulator's",
                                    hint="resume with the simulator compiled from the same"
                                         " model, with the same dt")
            if resume.layout != STATE_LAYOUT:
                raise ir.ModelError(f"the checkpoint's state is in layout {resume.layout}, but"
                                    f" this neuroflow runs layout {STATE_LAYOUT}: another"
                                    " version wrote it, and its arrays would be misread",
                                    hint="run the simulation again with this version to resume"
                                         " from its end (the file's results still read)")
            if delays:
                raise ir.ModelError("a resumed run keeps its connectivity; delays cannot change")
            seed, state, conn, defaults = resume.seed, resume.state, resume.conn, resume.params
            if self.partition is not None:
                state, conn, defaults = self.partition.place((state, conn, defaults))

            def restart():
                return resume.state
        else:
            state, defaults, conn = self._initial(seed, delays)
            if big:
                return_freed_memory()  # what drawing the connectivity needed for a moment

            def restart():
                return self._initial(seed, delays)[0]
        given = bool(params)  # new values, whole; a checkpoint's defaults are as the run had them
        params = self.parameters(params, seed) if params else defaults
        if resume is not None:  # the chunks donate it: a checkpoint resumed from stays as it is
            state = own(state)
        if self.partition is None:
            chunk, derived = self._chunk, self.program.prepare(params)
        else:  # each device computes its derived values from its parameters
            chunk, derived = self.partition.chunk, {}
            if given or resume is None:
                params = self.partition.split_params(params)
        recorded, final, done = self._loop(
            chunk, (state, params, conn, derived), steps_total, chunk_steps, progress,
            restart=lambda: own(restart()),
            mesh=None if self.partition is None else self.partition.mesh)
        # arrays of a mesh over several processes, whole on each (all call this at one point)
        final, conn, params = gather((final, conn, params))
        checkpoint = Checkpoint(final, conn, params, seed, self.model, self.dt)
        results = self._results_of(recorded[0], done, checkpoint)
        if big:
            return_freed_memory()
        if done < steps_total:
            raise _interrupted(results, done * self.dt, steps_total * self.dt)
        return results

    def sweep(self, duration, params: dict, *, seed: int = 0, progress: bool | None = None,
              chunk_steps: int | None = None, devices=None) -> list[Results]:
        """One simulation per set of parameter values, all in one batched program whose batch is
        split over `devices` (default: all of `jax.devices()`): vectorised by `jax.vmap`, or, with
        native CPU kernels, the runs of a device one after the other within each chunk.

        `params` maps parameter names to sequences of equal length B (`{"P.I": [20*mV, 25*mV]}`;
        the k-th values of every entry make run k); every run starts from the state drawn
        from `seed`.  Returns B `Results`, each equal to a `run` with those values.  A batch
        that does not divide over the devices is padded with repeats of its last run."""
        self._check_weight_inputs(params)
        if self.partition is not None:
            raise ir.ModelError("this simulator runs one network partitioned over devices; a"
                                " sweep splits its runs over devices instead",
                                hint="compile the model without devices= to sweep it")
        lengths = {len(values) for values in params.values()}
        if len(lengths) != 1 or 0 in lengths:
            raise ir.ModelError("sweep() needs parameter lists of one common, non-zero length",
                                hint="for example params={'P.I': [20*mV, 25*mV], "
                                     "'P.taum': [10*ms, 20*ms]}")
        count = lengths.pop()
        layout = batch_layout(devices, count)
        steps_total = self._steps(duration)
        with jax_scope():
            return self._sweep(steps_total, params, count, layout, seed, progress, chunk_steps)

    def _sweep(self, steps_total: int, params: dict, count: int, layout, seed, progress,
               chunk_steps) -> list[Results]:
        seed = check_seed(seed)
        self._check_memory(steps_total, chunk_steps, layout.padded, layout.devices,
                           layout.local_device)
        state, defaults, conn = self._initial(seed, {})  # defaults drawn once for every run
        runs = layout.pad([self._overridden(defaults, {name: values[k] for name, values
                                                       in params.items()})
                           for k in range(count)])
        stacked = layout.split(stack(runs))
        derived = layout.split(stack([self.program.prepare(p) for p in runs]))
        conn = layout.replicate(conn)

        def batched(state):  # new buffers: they are donated
            return layout.split(jax.tree_util.tree_map(
                lambda leaf: np.broadcast_to(leaf, (layout.padded,) + leaf.shape), state))

        def chunk_fn(states, params, conn, derived, steps):
            return self._sharded_chunk(states, params, conn, derived, steps, layout.mesh)

        return_freed_memory()
        recorded, _, done = self._loop(chunk_fn, (batched(state), stacked, conn, derived),
                                       steps_total, chunk_steps, progress, layout.runs,
                                       restart=lambda: batched(self.program.initial(seed)[0]),
                                       what=f"sweeping {layout.describe()}", mesh=layout.mesh)
        results = [self._results_of(r, done) for r in recorded]
        return_freed_memory()
        if done < steps_total:
            raise _interrupted(results, done * self.dt, steps_total * self.dt)
        return results

    def _steps(self, duration) -> int:
        ms = to_ms(duration, "duration")
        if not math.isfinite(ms) or ms <= 0:
            raise ir.ModelError(f"the duration must be a positive time, got {duration!r}")
        steps = round(ms / self.dt)
        if steps < 1:
            raise ir.ModelError(f"duration {duration!r} is shorter than one step of {self.dt} ms")
        if abs(ms / self.dt - steps) > 1e-6:
            warnings.warn(f"the duration {ms:g} ms is not a whole number of steps of {self.dt:g}"
                          f" ms: {steps} steps ({steps * self.dt:g} ms) are simulated",
                          DurationRoundingWarning, stacklevel=3)
        return steps

    def _loop(self, chunk_fn, inputs, steps_total: int, chunk_steps, progress,
              batch: int | None = None, *, restart, what: str = "simulating", mesh=None):
        """Run `steps_total` steps in chunks; one recording per run (`batch` runs, or one).
        Returns the recordings, the final state and the steps run: fewer than `steps_total`
        when Ctrl-C stopped the run at the end of a chunk.

        `chunk_fn` donates the state it is given, so a chunk's start state is gone once it
        runs; `restart()` gives the run's first state again (buffers of its own), from which
        a chunk that ended non-finite is reached again to be replayed step by step.  The chunks
        of a program over a `mesh` of this process's CPUs give the native calls their share of
        the threads."""
        state, params, conn, derived = inputs
        del inputs
        chunk = chunk_steps or self.chunk_steps
        first = first_step(state["step"])
        recorded = [Recorded({}, {}, {}, first) for _ in range(batch or 1)]
        runs = batch or 1
        bar = progress_bar(steps_total * runs, progress, what)

        def collect(pending):
            # whole on every process when the runs span processes (each computed its part)
            outputs, finite, offset, steps = gather(pending)
            if batch:  # to the host at once: indexing device arrays costs a dispatch a leaf and run
                outputs, finite = runs_on_host(outputs, batch), jax.device_get(finite)
            for k, run_recording in enumerate(recorded):
                take = (lambda tree, k=k: run_of(tree, k)) if batch else (lambda tree: tree)
                if not all(np.asarray(flag) for flag in jax.device_get(take(finite)).values()):
                    start = self._simulate_again(chunk_fn, restart(), params, conn, derived,
                                                 offset, chunk)
                    start, again = gather((start, (params, conn, derived)))
                    self._report_nonfinite(take(start), take(again[0]), again[1], take(again[2]),
                                           steps, run_recording, offset)
                record_chunk(outputs[k] if batch else outputs, offset, run_recording,
                             self.program.native)
            if bar is not None:
                bar.update(steps * runs)

        done, pending = 0, None
        local = 1 if mesh is None else sum(d.process_index == jax.process_index()
                                           for d in mesh.devices.flat)
        shared = threads_shared_by(local) if self.program.native else contextlib.nullcontext()
        with Interrupts() as interrupts, shared:
            # Pipelined: chunk k+1 is dispatched (asynchronously) before chunk k's monitors are
            # moved to the host, so the host work overlaps the device work.
            while done < steps_total and not interrupts.asked:
                steps = min(chunk, steps_total - done)
                state, outputs, finite = chunk_fn(state, params, conn, derived, steps)
                launched, done = (outputs, finite, done, steps), done + steps
                del outputs, finite
                if pending is not None:
                    collect(pending)
                    if tree_nbytes(pending[0]) >= TRIM_CHUNK_BYTES:
                        return_freed_memory()  # the collected chunk's monitor buffers
                pending = launched
            if pending is not None:
                collect(pending)
        if bar is not None:
            bar.close()
        return recorded, state, done

    def _results_of(self, recorded: Recorded, steps_total: int, final=None) -> Results:
        return results_of(self.model, self.program.dtype, self.dt, recorded, steps_total, final)

    @staticmethod
    def _simulate_again(chunk_fn, state, params, conn, derived, steps: int, chunk: int):
        """`state` after `steps` more steps, in the chunks of the run (same steps, same numbers)."""
        for done in range(0, steps, chunk):
            state, _, _ = chunk_fn(state, params, conn, derived, min(chunk, steps - done))
        return state

    def _report_nonfinite(self, state, params, conn, derived, steps, recorded, offset) -> None:
        """Replay the failing chunk step by step to name the first variable that went bad; the
        error's results hold every step before that one."""
        if self.partition is not None:
            raise SimulationError(
                f"the state became non-finite in the chunk starting at step"
                f" {recorded.start_step + offset}", "run the model on one device (compile it"
                " without devices=) to find the first variable and neuron that went bad",
                self._results_of(recorded, offset) if offset else None)
        replayed = []
        for k in range(steps):
            new_state, outputs = self._step(state, params, conn, derived)
            bad = first_nonfinite(new_state)
            if bad is not None:
                if replayed:  # the steps of this chunk before the bad one, as a chunk's outputs
                    record_chunk(stack(replayed), offset, recorded, self.program.native)
                partial = self._results_of(recorded, offset + k) if offset + k else None
                pop, var, neuron, value = bad
                pop, neuron = _merged.neuron(self.model, pop, neuron)  # in the user's names
                t = (recorded.start_step + offset + k) * self.dt
                raise SimulationError(
                    f"{pop}.{var} became {value} for neuron {neuron}"
                    f" in the step starting at t = {t:g} ms",
                    "check the equations and parameters of this population, or use a smaller dt"
                    " or a more stable method (exact, exponential_euler, rk4)", partial)
            replayed.append(jax.device_get(outputs))
            state = new_state
        partial = self._results_of(recorded, offset) if offset else None
        raise SimulationError("the state became non-finite", results=partial)


def _interrupted(results, done_ms: float, total_ms: float) -> SimulationInterrupted:
    return SimulationInterrupted(
        f"interrupted after {done_ms:g} of {total_ms:g} ms; .results holds what was simulated",
        "a run resumes from where it stopped: sim.run(rest, resume=error.results.final)",
        results)
