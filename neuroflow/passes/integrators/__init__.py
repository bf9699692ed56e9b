"""Integration methods: each a small object with `order`, `strong_order`, `requirement`,
`can_integrate` and `lower`, in `INTEGRATORS` under its `Method` (register new ones there).

`lower(system)` returns the body of a `StateUpdate` (statements and linear
systems) and the variables to hold while refractory.

Equations with white noise (`xi`, `xi_1`, …) are SDEs.  `euler_maruyama` and
`milstein` read them as Itô equations, `heun` as Stratonovich equations;
`exact` solves Ornstein–Uhlenbeck processes; the other methods refuse noise.
"""
from ...ir import Method
from ._system import ODESystem, system_of
from .euler import Euler
from .euler_maruyama import EulerMaruyama
from .exact import Exact
from .exponential_euler import ExponentialEuler
from .heun import HEUN
from .milstein import Milstein
from .rk2 import RK2
from .rk4 import RK4
from .rkf45 import RKF45

INTEGRATORS = {Method.EXACT: Exact(), Method.EXPONENTIAL_EULER: ExponentialEuler(),
               Method.EULER: Euler(), Method.RK2: RK2, Method.HEUN: HEUN, Method.RK4: RK4,
               Method.RKF45: RKF45(), Method.EULER_MARUYAMA: EulerMaruyama(),
               Method.MILSTEIN: Milstein()}

# `auto` tries these in order: exact where linear, exponential Euler where
# conditionally linear, RK4 otherwise.
AUTO_ORDER = (Method.EXACT, Method.EXPONENTIAL_EULER, Method.RK4)


def auto_method(system: ODESystem) -> Method:
    """What `auto` picks: for ODEs the first of `AUTO_ORDER` that applies; with noise
    `euler_maruyama` if it is additive (Milstein's correction vanishes there), else `milstein`."""
    if system.stochastic:
        return Method.EULER_MARUYAMA if system.additive else Method.MILSTEIN
    return next(name for name in AUTO_ORDER if INTEGRATORS[name].can_integrate(system))


__all__ = ["INTEGRATORS", "AUTO_ORDER", "ODESystem", "auto_method", "system_of"]
