"""Integration methods: each a small object with `name`, `order`, `can_integrate` and `lower`.

`lower(system)` returns the body of a `StateUpdate` (statements and linear
systems) and the variables to hold while refractory.  Register new methods
in `INTEGRATORS`.
"""
from ._system import ODESystem, system_of
from .euler import Euler
from .exact import Exact
from .exponential_euler import ExponentialEuler
from .rk4 import RK4

INTEGRATORS = {m.name: m for m in (Exact(), ExponentialEuler(), Euler(), RK4())}

# `auto` tries these in order: exact where linear, exponential Euler where
# conditionally linear, RK4 otherwise.
AUTO_ORDER = ("exact", "exponential_euler", "rk4")

__all__ = ["INTEGRATORS", "AUTO_ORDER", "ODESystem", "system_of"]
