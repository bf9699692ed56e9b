"""The training examples run in their --quick form and write the JSON keys of issue 14."""
import importlib.util
import json
import sys

import pytest

from tests.conftest import EXAMPLES


def _example(name: str):
    path = EXAMPLES / "train" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"train_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(name: str, tmp_path) -> dict:
    out = tmp_path / f"{name}.json"
    returned = _example(name).main(["--quick", "--json", str(out)])
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(returned))
    return written


def test_digits_snn_quick(tmp_path):
    pytest.importorskip("sklearn")
    found = _run("digits_snn", tmp_path)
    assert set(found) == {"test_accuracy", "epoch_seconds"}
    assert len(found["test_accuracy"]) == 1
    # chance is 0.10 over ten digits, with a spread of ~0.016 on the 360 test images; the
    # quick run reaches ~0.25, so 0.15 is three spreads above chance yet well below the run
    assert 0.15 < found["test_accuracy"][0] <= 1
    assert found["epoch_seconds"] > 0


def test_esn_lorenz_quick(tmp_path):
    found = _run("esn_lorenz", tmp_path)
    methods = ("ridge", "force", "bptt", "readout_only")
    assert set(found) == {*methods, "seconds"}
    for method in methods:
        assert set(found[method]) == {"mae", "mse"} and len(found[method]["mae"]) == 1
        assert len(found["seconds"][method]) == 1
    # even on the short trajectory of --quick, ridge beats the rest by far
    assert found["ridge"]["mae"][0] < 0.1 < found["readout_only"]["mae"][0]


@pytest.mark.slow
def test_evidence_quick(tmp_path):
    found = _run("evidence", tmp_path)
    assert set(found) == {"test_accuracy"} and len(found["test_accuracy"]) == 1
    # two sides, so chance is 0.5 with a spread of ~0.022 on the 512 test trials; the quick
    # run (two batches) reaches ~0.61, so 0.55 is two spreads above chance and below the run
    assert 0.55 < found["test_accuracy"][0] <= 1


@pytest.mark.usefixtures("x64")  # its own JAX code computes in float64
def test_esn_reservoir_is_the_numpy_reference():
    """The .nfl reservoir through sim.function gives the states of the plain loop (float64)."""
    import jax.numpy as jnp
    import numpy as np
    esn = _example("esn_lorenz")
    tasks = esn.tasks
    split = tasks.esn_split(tasks.lorenz(samples=3000), warmup=100, train_end=2000)
    f = esn.make_function("float64")
    theta = esn.reservoir_theta(f, seed=3)
    states = np.asarray(f(theta, {"In.u": jnp.asarray(split.inputs)})["R.r"])
    w_in, w = tasks.reservoir_matrices(3)
    r, expected = np.zeros(100), []
    for u in split.inputs:
        r = 0.7 * r + 0.3 * np.tanh(u @ w_in + r @ w)
        expected.append(r)
    np.testing.assert_allclose(states, np.array(expected), rtol=0, atol=1e-12)
