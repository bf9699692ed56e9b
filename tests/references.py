"""Independent references that tests in several folders compute the same way: spike times of a
neuron integrated by scipy with its reset applied at each threshold crossing, and the step at
which a float32 Euler loop overflows."""
import numpy as np
from scipy.integrate import solve_ivp


def spikes_with_resets(rhs, y0, end: float, crossing, reset) -> np.ndarray:
    """Times (ms) at which `crossing(t, y)` goes through zero upward, integrating `rhs` from `y0`
    to 1e-10 and restarting from `reset(y)` at each one (LSODA, stiff near a spike)."""
    crossing.terminal, crossing.direction = True, 1
    start, y, spikes = 0.0, list(y0), []
    while True:
        solution = solve_ivp(rhs, (start, end), y, events=crossing, method="LSODA", rtol=1e-10,
                             atol=1e-10)
        if not solution.t_events[0].size:
            return np.array(spikes)
        start = solution.t_events[0][0]
        spikes.append(start)
        y = reset(solution.y_events[0][0])


def steps_to_overflow(v0: float, dt_over_tau: float) -> int:
    """The number of float32 Euler steps of v' = v**2/tau after which v is no longer finite,
    by a plain numpy loop."""
    v, a, steps = np.float32(v0), np.float32(dt_over_tau), 0
    with np.errstate(over="ignore", invalid="ignore"):
        while np.isfinite(v):
            v, steps = np.float32(v + a * v * v), steps + 1
    return steps
