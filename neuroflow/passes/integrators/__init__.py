"""Integration methods: each a small object with `name`, `order`, `strong_order`,
`requirement`, `can_integrate` and `lower`.

`lower(system)` returns the body of a `StateUpdate` (statements and linear
systems) and the variables to hold while refractory.  Register new methods
in `INTEGRATORS`.

Equations with white noise (`xi`, `xi_1`, …) are SDEs.  `euler_maruyama` and
`milstein` read them as Itô equations, `heun` as Stratonovich equations;
`exact` solves Ornstein–Uhlenbeck processes; the other methods refuse noise.
"""
from ._system import ODESystem, system_of
from .euler import Euler
from .euler_maruyama import EulerMaruyama
from .exact import Exact
from .exponential_euler import ExponentialEuler
from .heun import HEUN
from .milstein import Milstein
from .rk2 import RK2
from .rk4 import RK4

INTEGRATORS = {m.name: m for m in (Exact(), ExponentialEuler(), Euler(), RK2, HEUN, RK4,
                                   EulerMaruyama(), Milstein())}

# `auto` tries these in order: exact where linear, exponential Euler where
# conditionally linear, RK4 otherwise.
AUTO_ORDER = ("exact", "exponential_euler", "rk4")


def auto_method(system: ODESystem) -> str:
    """What `auto` picks: for ODEs the first of `AUTO_ORDER` that applies; with noise
    `euler_maruyama` if it is additive (Milstein's correction vanishes there), else `milstein`."""
    if system.stochastic:
        return "euler_maruyama" if system.additive else "milstein"
    return next(name for name in AUTO_ORDER if INTEGRATORS[name].can_integrate(system))


__all__ = ["INTEGRATORS", "AUTO_ORDER", "ODESystem", "auto_method", "system_of"]
