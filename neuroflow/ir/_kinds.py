"""Kinds: how a node is computed, as `StrEnum`s whose values are the spellings the IR prints.
Methods are open (users register integrators); the backend lowers each member of the others."""
from enum import StrEnum

from ._errors import ModelError, did_you_mean


class Kernel(StrEnum):
    """How a projection turns spikes into input; `auto` until the `kernels` pass picks one."""

    AUTO = "auto"
    DENSE = "dense"
    EVENT = "event"
    EVENT_PARALLEL = "event_parallel"
    CSR = "csr"
    ELL = "ell"
    ONE_TO_ONE = "one_to_one"
    ALL_TO_ALL = "all_to_all"
    EVENT_PLASTIC = "event_plastic"
    PROCEDURAL = "procedural"

    @classmethod
    def _missing_(cls, name):  # a name users write that is no kernel: an error that lists them
        raise ModelError(f"unknown kernel '{name}'", hint=did_you_mean(str(name), cls, "kernels"))


class Method(StrEnum):
    """How `integrate` steps equations; any other name is an integrator a user registered."""

    AUTO = "auto"
    EXACT = "exact"
    EXPONENTIAL_EULER = "exponential_euler"
    EULER = "euler"
    RK2 = "rk2"
    HEUN = "heun"
    RK4 = "rk4"
    RKF45 = "rkf45"
    EULER_MARUYAMA = "euler_maruyama"
    MILSTEIN = "milstein"

    @classmethod
    def _missing_(cls, name):  # a registered integrator's name: a kind made for it
        method = str.__new__(cls, name)
        method._name_ = method._value_ = name
        return method


class BufferKind(StrEnum):  # what a `DelayBuffer` holds
    SPIKES = "spikes"
    INPUT = "input"
    HISTORY = "history"


class FusionBackend(StrEnum):  # how a `FusedUpdate` runs: one generated C loop, or XLA's fusion
    NATIVE = "native"
    XLA = "xla"
