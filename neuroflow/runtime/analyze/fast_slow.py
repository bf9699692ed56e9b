"""`fast_slow(...)`: the dissection of a burster into its fast subsystem and a slow variable.

The slow variable is frozen into a parameter (its equation removed, its declaration a parameter
with its initial value: an IR rewrite), and the fast subsystem's equilibria are continued in it,
with their folds and Hopf points (and, with `cycles`, the fast oscillations born there).  On top:
the slow nullcline (where the slow variable's rate vanishes, traced as a curve in the plane of
the slow variable and one fast variable) and a trajectory of the whole system.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...backend.jax import jax_scope
from ... import ir
from ._system import AnalysisError, System, as_system
from ._trajectory import trajectories
from .continuation import Bifurcation, continuation
from .phase_plane import plane_field


def frozen(model: ir.Model, pop: str, var: str) -> ir.Model:
    """`model` with state variable `pop.var` turned into a parameter of its initial value."""
    state = model.get(f"{pop}.{var}")
    ode = model.get(f"{pop}.d{var}/dt")
    if not isinstance(state, ir.StateVar) or not isinstance(ode, ir.ODE):
        raise AnalysisError(f"'{pop}.{var}' is not a state variable with an equation")
    parameter = ir.Parameter(pop, var, state.type, state.init, loc=state.loc)
    nodes = [parameter if node is state else node for node in model.nodes if node is not ode]
    return model.with_nodes(nodes)


@dataclass
class FastSlow:
    system: System  # the whole model
    slow: str  # the slow variable's name in `system`
    var: str  # the fast variable shown
    fast: Bifurcation  # the fast subsystem's equilibria against the slow variable
    nullcline: list[np.ndarray]  # [points, 2] in (slow, var)
    trajectory: np.ndarray  # [steps, 2] in (slow, var)

    def to_json(self) -> dict:
        return {"slow": self.slow, "var": self.var, "fast": self.fast.to_json(),
                "nullcline": [c.tolist() for c in self.nullcline]}

    def plot(self, ax=None):
        """The fast subsystem's branches against the slow variable, the slow nullcline and the
        trajectory of the whole system."""
        ax = self.fast.plot(self.var, ax)
        for k, curve in enumerate(self.nullcline):
            ax.plot(curve[:, 0], curve[:, 1], color="C1", lw=1.5,
                    label=f"d{self.slow}/dt = 0" if k == 0 else None)
        ax.plot(self.trajectory[:, 0], self.trajectory[:, 1], color="C2", lw=0.8,
                label="trajectory")
        ax.set(xlabel=f"{self.slow} ({self.system.state_unit(self.slow)})")
        ax.legend(loc="best", fontsize=8)
        return ax


@jax_scope()
def fast_slow(model, slow: str, range: tuple[float, float], var: str | None = None,
              params: dict | None = None, *, cycles: bool = False, duration: float = 1000.0,
              dt: float = 0.05, population: str | None = None) -> FastSlow:
    """Freeze the slow variable `slow`, continue the fast subsystem's equilibria over `range`
    of it, and put the slow nullcline and a trajectory of `duration` ms of the whole system
    in the plane of `slow` and the fast variable `var` (default: the first other one)."""
    system = as_system(model, params, population)
    index = system.state_index(slow)
    entry = next(e for e in system.field.layout if e.start <= index < e.stop)
    if entry.size != 1:
        raise AnalysisError("fast-slow dissection needs a slow variable of one neuron",
                            hint="analyse a population of one neuron")
    names = system.state_names
    var = var or next(n for n in names if n != slow)
    fast_system = System(frozen(system.model, entry.pop, entry.var),
                         {k: v for k, v in system.params.items()})
    diagram = continuation(fast_system, f"{entry.pop}.{entry.var}", range, cycles=cycles)
    lo, hi = (float(v) for v in range)
    path = trajectories(system, system.x0, duration, dt)[1][0]
    shown = path[:, [index, system.state_index(var)]]
    states = np.concatenate([b.states[:, fast_system.state_index(var)]
                             for b in diagram.branches] + [shown[:, 1]])
    pad = 0.1 * (np.ptp(states) + 1e-9)
    lows, highs = np.array([lo, states.min() - pad]), np.array([hi, states.max() + pad])
    _, lines, _ = plane_field(system, (index, system.state_index(var)), (slow, var), system.x0,
                              lows, highs, 40, traced=(0,))
    return FastSlow(system, slow, var, diagram, lines[slow], shown)
