"""Types of IR values: `(dtype, shape, dimension)`.

`dtype` is the kind of number ("float", "int", "bool"); the backend picks the
precision (float32 or float64) when it lowers.  `shape` is `()` for a value
shared by a population and `(n,)` for one value per neuron.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._dimensions import DIMENSIONLESS, Dimension, parse_dimension

DTYPES = ("float", "int", "bool")


@dataclass(frozen=True, slots=True)
class Type:
    dtype: str
    shape: tuple[int, ...]
    dim: Dimension = DIMENSIONLESS

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if any((not isinstance(n, int)) or n < 1 for n in self.shape):
            raise ValueError(f"shape must hold positive sizes, got {self.shape!r}")

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    def text(self) -> str:
        size = ",".join(str(n) for n in self.shape)
        return f"{self.dtype}[{size}]<{self.dim}>"

    @staticmethod
    def from_text(text: str) -> "Type":
        head, dim = text.split("<", 1)
        dtype, size = head.split("[", 1)
        size = size.rstrip("]")
        shape = tuple(int(n) for n in size.split(",")) if size else ()
        return Type(dtype, shape, parse_dimension(dim.rstrip(">")))
