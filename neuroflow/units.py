"""Physical units for models: `20*mV`, `0.6*nS`, `uF/cm2`, with Brian2's names.

    from neuroflow.units import mV, ms, nS

Every prefixed spelling Brian2 knows is here (mvolt, mV, msiemens, cm2, ...);
`get_unit(name)` looks one up by name and `UNIT_NAMES` lists them all.
"""
from neuroflow.ir import (DIMENSIONLESS, UNIT_NAMES, UNITS, Dimension, DimensionMismatch, Quantity,
                          as_quantity, get_unit, is_dimensionless, parse_dimension)

# The unit constants are generated from a prefix table in neuroflow.ir (about a thousand
# names), so they are re-exported from its registry rather than listed here one by one.
globals().update(UNITS)

__all__ = ["DIMENSIONLESS", "UNIT_NAMES", "Dimension", "DimensionMismatch", "Quantity",
           "as_quantity", "get_unit", "is_dimensionless", "parse_dimension", *sorted(UNITS)]
