"""Analysis of a model's dynamics on its vector field (the ODEs before integration): fixed
points and their stability, phase planes, continuation of equilibria and limit cycles with
their bifurcations, curves of folds and Hopf points in two parameters, and slow points."""
from ._curve import ContinuationOptions
from ._system import AnalysisError, System
from .codim2 import Codim2Curve, Codim2Point, codim2_curve
from .continuation import Bifurcation, Branch, SpecialPoint, continuation
from .cycles import CycleBranch
from .fast_slow import FastSlow, fast_slow
from .fixed_points import FixedPoint, FixedPoints, fixed_points
from .phase_plane import PhasePlane, phase_plane
from .slow_points import SlowPoints, slow_points

__all__ = ["AnalysisError", "Bifurcation", "Branch", "Codim2Curve", "Codim2Point",
           "ContinuationOptions", "CycleBranch", "FastSlow", "FixedPoint", "FixedPoints",
           "PhasePlane", "SlowPoints", "SpecialPoint", "System", "codim2_curve", "continuation",
           "fast_slow", "fixed_points", "phase_plane", "slow_points"]
