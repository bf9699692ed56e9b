import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
REFERENCE = ROOT.parent / "shared" / "reference"


def load_example(name: str) -> dict:
    """The namespace of `examples/<name>.py` (its `model`, `dt`, `duration`), without running its
    demo."""
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__test__")


@pytest.fixture
def reference():
    def load(name: str):
        import numpy as np
        path = REFERENCE / name
        if not path.exists():
            pytest.skip(f"reference data {name} not found next to the checkout "
                        "(../shared/reference)")
        return np.load(path)
    return load


@pytest.fixture
def x64():
    """JAX's 64-bit types during a test whose own JAX code handles float64 values (neuroflow
    turns them on only around its own work; the tests run without them otherwise)."""
    import jax
    with jax.enable_x64(True):
        yield
