"""The stability class of an equilibrium from the eigenvalues of its Jacobian."""
from __future__ import annotations

import numpy as np

# |Re| below this fraction of the largest |eigenvalue| (or absolute, for small ones) is zero
NEUTRAL = 1e-9


def unstable_directions(eigenvalues: np.ndarray) -> int:
    scale = max(1.0, float(np.max(np.abs(eigenvalues), initial=0.0)))
    return int(np.sum(eigenvalues.real > NEUTRAL * scale))


def stability(eigenvalues: np.ndarray) -> str:
    """"stable node", "stable focus", "unstable node", "unstable focus", "saddle" or
    "center-like" (an eigenvalue on the imaginary axis: linearization does not decide).  In n
    dimensions a node or focus has all directions on one side (a focus turns: some eigenvalue is
    complex), and a saddle has both; `unstable_directions` counts its unstable ones."""
    eigenvalues = np.asarray(eigenvalues, complex)
    scale = max(1.0, float(np.max(np.abs(eigenvalues), initial=0.0)))
    if np.any(np.abs(eigenvalues.real) <= NEUTRAL * scale):
        return "center-like"
    unstable = unstable_directions(eigenvalues)
    if 0 < unstable < len(eigenvalues):
        return "saddle"
    turning = np.any(np.abs(eigenvalues.imag) > NEUTRAL * scale)
    return f"{'unstable' if unstable else 'stable'} {'focus' if turning else 'node'}"
