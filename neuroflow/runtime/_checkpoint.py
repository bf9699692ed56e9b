"""Where a run ended: its state, connectivity and parameters, to resume from, in memory
(`results.final`) or in a results file."""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from .. import ir
from ..backend.jax import STATE_LAYOUT, jax_scope
from . import _merged


@dataclass(frozen=True)
class Checkpoint:
    """Where a run ended: its state, connectivity and parameters, to resume from.

    `synapses(name)` gives the per-synapse variables of a plastic projection (e.g. the
    weights STDP changed) as numpy arrays in the projection's synapse order."""

    state: dict
    conn: dict
    params: dict
    seed: int
    model: ir.Model
    dt: float
    layout: int = STATE_LAYOUT  # of the state's arrays; one read from an older file may differ

    @property
    def t_ms(self) -> float:
        return float(self.state["step"]) * self.dt

    def population(self, pop: str) -> dict[str, np.ndarray]:
        """The state variables of a population at the end of the run."""
        arrays = _merged.population_state(self.model, self.state["pops"], pop)
        return {name: np.asarray(value) for name, value in arrays.items()
                if not name.startswith("_")}

    def synapses(self, projection: str) -> dict[str, np.ndarray]:
        tables = self.state.get("synapses", {}).get(projection)
        if tables is None:
            raise ir.ModelError(f"projection '{projection}' has no per-synapse variables")
        targets = np.asarray(self.conn[projection]["targets"])
        # padded slots point past the last one
        used = targets[:-1] < self.model.get(projection).post.size
        return {name: np.asarray(table)[:-1][used] for name, table in tables.items()
                if not name.startswith("_")}

    # -- in a file: `Results.save` writes these arrays, `Results.load` reads them back ------
    def to_arrays(self, prefix: str = "final") -> dict[str, np.ndarray]:
        """The checkpoint as flat arrays: the model's IR text, the run's numbers, and each
        array of the state, connectivity and parameters under the path of its keys."""
        arrays = {f"{prefix}.model": np.array(ir.print_model(self.model), dtype=np.str_),
                  f"{prefix}.seed": np.array(self.seed, dtype=np.uint64),
                  f"{prefix}.dt": np.float64(self.dt),
                  f"{prefix}.layout": np.int32(self.layout)}
        for part in ("state", "conn", "params"):
            for path, leaf in _flat(getattr(self, part)):
                arrays[f"{prefix}.{part}/{path}"] = np.asarray(leaf)
        return arrays

    @classmethod
    @jax_scope()
    def from_arrays(cls, arrays: dict, prefix: str = "final") -> Checkpoint | None:
        """What `to_arrays` wrote (None if it wrote nothing under `prefix`)."""
        if f"{prefix}.model" not in arrays:
            return None
        parts = {"state": {}, "conn": {}, "params": {}}
        for key, value in arrays.items():
            head, _, path = key.partition("/")
            part = head[len(prefix) + 1:]
            if head.startswith(f"{prefix}.") and part in parts:
                _nest(parts[part], path.split("/"), jax.device_put(value))
        model = ir.parse_text(str(arrays[f"{prefix}.model"]))
        layout = int(arrays.get(f"{prefix}.layout", 1))  # files before layouts were named: 1
        return cls(parts["state"], parts["conn"], parts["params"], int(arrays[f"{prefix}.seed"]),
                   model, float(arrays[f"{prefix}.dt"]), layout)


def _flat(tree: dict, path: str = ""):
    """`(path, array)` of every array in nested dicts, the keys joined by '/'."""
    for key, value in tree.items():
        if "/" in str(key):
            raise ValueError(f"'{key}': a key with '/' cannot be saved")
        where = f"{path}/{key}" if path else str(key)
        if isinstance(value, dict) and not value:  # kept as a key ending in '/'
            yield f"{where}/", np.zeros(0)
        elif isinstance(value, dict):
            yield from _flat(value, where)
        else:
            yield where, value


def _nest(tree: dict, keys: list[str], value) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    if keys[-1]:  # else an empty dict, made above
        tree[keys[-1]] = value
