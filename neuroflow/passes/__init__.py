"""Passes: pure `Model -> Model` transformations, registered by name.

Importing this package registers the built-in passes.  No JAX here.
"""
from . import (canonicalize, delays, factorize, fuse, integrate, kernels, merge,  # noqa: F401
               partition, resolve, schedule)  # (registration)
from ._manager import (DEFAULT_PIPELINE, PassReport, parse_pipeline, register_pass,
                       registered_passes, run_pipeline)

__all__ = ["DEFAULT_PIPELINE", "PassReport", "parse_pipeline", "register_pass", "registered_passes",
           "run_pipeline"]
