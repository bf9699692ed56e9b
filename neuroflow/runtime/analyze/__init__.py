"""Analysis of a model's dynamics on its vector field (the ODEs before integration): fixed
points and their stability, phase planes, continuation of equilibria with bifurcations."""
from ._curve import ContinuationOptions
from ._system import AnalysisError, System
from .continuation import Bifurcation, Branch, SpecialPoint, continuation
from .fixed_points import FixedPoint, FixedPoints, fixed_points
from .phase_plane import PhasePlane, phase_plane

__all__ = ["AnalysisError", "Bifurcation", "Branch", "ContinuationOptions", "FixedPoint",
           "FixedPoints", "PhasePlane", "SpecialPoint", "System", "continuation", "fixed_points",
           "phase_plane"]
