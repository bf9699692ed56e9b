"""The JAX settings neuroflow works in, set for its own work only, never for the whole process.

`jit(fun, ...)` is `jax.jit` with the XLA options neuroflow's programs are compiled with
(`COMPILER_OPTIONS`): options of each compilation, not flags of the process.

Two settings are JAX configuration, which belongs to the program that imports neuroflow:

- 64-bit types (`jax_enable_x64`): a float64 program needs them, and so does the
  counter-based hash of the random numbers (uint64) in programs of either precision;
- the persistent compilation cache: compiled steps are kept in neuroflow's cache folder, so
  that a fresh process running the same model skips XLA's compilation.

`jax_scope()` (a context manager and a decorator) sets both for the current thread, for as
long as neuroflow's code runs: lowering, running the compiled steps, training, analysis.
Every `jax.config` value stays as the user set it, and JAX code outside neuroflow keeps its
own defaults (float32 arrays without x64).  JAX canonicalizes the arguments of a jitted
function to the setting of the caller, so neuroflow both traces and *calls* its jitted
functions inside the scope.

A cache the user configured (`jax_compilation_cache_dir`) is used as it is.  Otherwise
JAX opens neuroflow's folder when neuroflow compiles; JAX opens its cache once per process,
so when the outermost scope ends it is closed again, and JAX code outside neuroflow neither
writes to neuroflow's folder nor finds its own later setting ignored.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import threading

import jax

from ._native import cache_dir, private_folder

# XLA:CPU's YNNPACK fusions (jaxlib 0.10) miscompile a product with a constant matrix of equal
# entries (an all-to-all coupling of weight 1) followed by a sum under `jit(vmap(...))`: NaN or
# wrong sums.  Off for neuroflow's programs; other programs in the process keep XLA's default.
COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": ""}

_local = threading.local()  # how deep this thread is in scopes: the outermost one does the work


def jit(fun=None, **options):
    """`jax.jit(fun, **options)` compiled with `COMPILER_OPTIONS`; without `fun`, a decorator."""
    if fun is None:
        return functools.partial(jit, **options)
    return _Jitted(fun, options)


class _Jitted:
    """A jitted function compiled with `COMPILER_OPTIONS` when called on its own; called inside
    another trace (a `jax.jacfwd` of it, another jit) it is an ordinary nested jit, which JAX
    allows no compile options."""

    def __init__(self, fun, options: dict):
        self._outer = jax.jit(fun, compiler_options=COMPILER_OPTIONS, **options)
        self._nested = jax.jit(fun, **options)
        functools.update_wrapper(self, fun)

    def __call__(self, *args, **kwargs):
        traced = any(isinstance(leaf, jax.core.Tracer)
                     for leaf in jax.tree_util.tree_leaves((args, kwargs)))
        return (self._nested if traced else self._outer)(*args, **kwargs)

    def lower(self, *args, **kwargs):
        return self._outer.lower(*args, **kwargs)


@contextlib.contextmanager
def jax_scope():
    """Run the body with 64-bit types and neuroflow's compilation cache, in this thread only."""
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        if depth:  # inside a scope already: everything is set
            yield
            return
        with contextlib.ExitStack() as stack:
            stack.enter_context(jax.enable_x64(True))
            if _enter_compilation_cache(stack):
                stack.callback(_close_compilation_cache)
            yield
    finally:
        _local.depth = depth


def _states():
    """JAX's state objects of the cache settings (their thread-local context managers), or None
    where this JAX has none: then neuroflow keeps no compiled steps on disk."""
    try:
        from jax._src.config import config_states
        return tuple(config_states[name] for name in (
            "jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
            "jax_compilation_cache_max_size"))
    except (ImportError, KeyError):
        return None


def _enter_compilation_cache(stack: contextlib.ExitStack) -> bool:
    """Set neuroflow's compilation cache for this thread, unless the user configured one or
    the folder is not private (it holds programs that run); whether it was set."""
    states = _states()
    if states is None or jax.config.jax_compilation_cache_dir:
        return False
    folder = cache_dir() / "xla"
    if not private_folder(folder):
        return False
    directory, min_compile_time, max_size = states
    stack.enter_context(directory(str(folder)))
    stack.enter_context(min_compile_time(0.05))
    # where `filelock` is installed (JAX needs it for this) JAX deletes the least recently
    # used beyond 1 GiB; elsewhere `neuroflow cache --clear` empties the folder
    if _has_filelock():
        stack.enter_context(max_size(2**30))
    return True


@functools.cache
def _has_filelock() -> bool:
    return importlib.util.find_spec("filelock") is not None


def _close_compilation_cache() -> None:
    from jax.experimental.compilation_cache import compilation_cache
    compilation_cache.reset_cache()
