"""Adaptive steps (the IR's `AdaptiveSystem`): each neuron crosses the step in sub-steps of an
embedded Runge–Kutta pair, sized by its own error estimate, all neurons at once.

One `lax.while_loop` runs while a neuron has not reached the end of the step (at most
`max_steps` rounds); in each round every neuron tries one sub-step, and a neuron already at the
end tries one of length 0, which changes nothing.  A sub-step is accepted when its error estimate
is at most `atol + rtol*max(|x|, |x_new|)` in every variable (GSL's `y_new` control, as NEST
uses); the next size is the last times 0.9*ratio^(-1/(order+1)), between 0.2 and 5 times it (GSL's
factors).  Each step starts with one sub-step of the whole step.  The round `max_steps` goes to the
end of the step unchecked, so that the loop is bounded.  The loop has no reverse-mode derivative.

With events, after every accepted sub-step the threshold is tested on the new state; a neuron that
crosses it (once a step, outside its refractory period) is reset there, its held variables stop
(`not_refractory` is false for the rest of the step where the population has a refractory
period), and its spike and last spike are this step's.  The schedule's threshold and reset of the
population then do nothing (`events_in_step`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ... import ir
from ._expr import evaluate
from ._step import LASTSPIKE, PopulationEnv, StepContext

SAFETY, SHRINK, GROW = 0.9, 0.2, 5.0


def _environment(ctx: StepContext, pop: str, state: dict, t, not_refractory=None):
    env = PopulationEnv(ctx, pop)  # a fresh one: subexpressions are cached per environment
    env.temps.update(state)
    env.temps["t"] = t
    if not_refractory is not None:
        env.temps["not_refractory"] = not_refractory
    return env


def adaptive_step(system: ir.AdaptiveSystem, ctx: StepContext, pop: str) -> dict:
    """The variables of `system` (and, with events, of the reset) at the end of this step."""
    pair = ir.EMBEDDED_PAIRS[system.scheme]
    program = ctx.program
    dtype, size, dt = program.dtype, program.sizes[pop], program.dt
    threshold = program.model.one(ir.Threshold, pop) if system.events else None
    reset = program.model.one(ir.Reset, pop) if threshold is not None else None
    statements = reset.body if reset is not None else ()
    # the variables the loop carries: the integrated ones, then those only the reset writes
    names = list(system.targets) + sorted({s.target for s in statements} - set(system.targets))
    count = len(system.targets)
    start = [jnp.broadcast_to(jnp.asarray(ctx.pops[pop][v], dtype), (size,)) for v in names]
    t0 = ctx.step.astype(dtype) * dt
    allowed = ctx.not_refractory.get(pop, jnp.ones(size, bool))  # outside the period at the start
    holds = pop in program.refractory
    c = [float(x) for x in pair.c]
    a = [[float(x) for x in row] for row in pair.a]
    high = [float(x) for x in pair.high]
    error = [float(h - lo) for h, lo in zip(pair.high, pair.low)]
    exponent = -1.0 / (pair.order + 1)

    def attempt(x, done, h, gate):
        others = dict(zip(names[count:], x[count:]))
        stages = []
        for i in range(len(c)):
            point = [xv + h * sum(a[i][j] * stages[j][k] for j in range(i) if a[i][j])
                     if i else xv for k, xv in enumerate(x[:count])]
            env = _environment(ctx, pop, {**others, **dict(zip(system.targets, point))},
                               t0 + done + c[i] * h, gate)
            stages.append([jnp.broadcast_to(jnp.asarray(evaluate(rhs, env), dtype), (size,))
                           for rhs in system.rhs])
        new = [xv + h * sum(w * stages[j][k] for j, w in enumerate(high) if w)
               for k, xv in enumerate(x[:count])]
        ratio = jnp.zeros(size, dtype)
        for k, xv in enumerate(x[:count]):
            estimate = h * sum(w * stages[j][k] for j, w in enumerate(error) if w)
            scale = system.atol + system.rtol * jnp.maximum(jnp.abs(xv), jnp.abs(new[k]))
            ratio = jnp.maximum(ratio, jnp.abs(estimate) / scale)
        return new + x[count:], jnp.where(jnp.isfinite(ratio), ratio, jnp.inf)

    def fire(x, spiked, accept, t):
        """The threshold on the new state of the accepted neurons; the reset where it fires."""
        state = dict(zip(names, x))
        gate = allowed & ~spiked if holds else allowed
        env = _environment(ctx, pop, state, t, gate)
        crossed = accept & ~spiked & allowed & jnp.broadcast_to(evaluate(threshold.cond, env),
                                                                (size,))
        for statement in statements:  # in order, each reading the values the last one set
            env = _environment(ctx, pop, state, t, gate)
            value = jnp.asarray(evaluate(statement.as_assignment(), env), dtype)
            state[statement.target] = jnp.where(crossed, value, state[statement.target])
        return [state[v] for v in names], spiked | crossed

    def unfinished(carry):
        _, done, _, _, rounds = carry
        return (rounds < system.max_steps) & jnp.any(done < dt)

    def one_round(carry):
        x, done, h, spiked, rounds = carry
        last = rounds == system.max_steps - 1
        h = jnp.where(last, dt - done, jnp.minimum(h, dt - done))
        gate = (allowed & ~spiked if holds else allowed) if threshold is not None else None
        new, ratio = attempt(x, done, h, gate)
        accept = (ratio <= 1.0) | last
        x = [jnp.where(accept, n, xv) for n, xv in zip(new, x)]
        # the end of the step is reached exactly, not up to rounding: `done` becomes dt
        done = jnp.where(accept, jnp.where(h >= dt - done, dt, done + h), done)
        if threshold is not None:
            x, spiked = fire(x, spiked, accept, t0 + done)
        factor = jnp.clip(SAFETY * jnp.where(ratio > 0, ratio, 1e-30) ** exponent, SHRINK, GROW)
        h = jnp.where(h > 0, h * factor, dt)
        return x, done, h, spiked, rounds + 1

    carry = (start, jnp.zeros(size, dtype), jnp.full(size, dt, dtype), jnp.zeros(size, bool),
             jnp.asarray(0, jnp.int32))
    x, _, _, spiked, _ = jax.lax.while_loop(unfinished, one_round, carry)
    if threshold is not None:
        ctx.spikes[pop] = spiked
        if holds:
            state = ctx.pops[pop]
            state[LASTSPIKE] = jnp.where(spiked, ctx.step, state[LASTSPIKE])
    return dict(zip(names, x))
