"""The printed IR of every example, after every pass of the default pipeline, is kept as text:
a refactoring that changes what a pass does to an example shows up here as a diff.

To accept an intended change, regenerate the files:
`neuroflow ir --print-after-all examples/NAME > tests/e2e/printed_ir/NAME.txt`.
"""
import pytest

from neuroflow.cli import main
from tests.conftest import EXAMPLES

STORED = EXAMPLES.parent / "tests" / "e2e" / "printed_ir"
MODELS = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".nfl", ".py"))


@pytest.mark.parametrize("name", MODELS)
def test_printed_ir_of_example_is_unchanged(name, capsys):
    assert main(["ir", "--print-after-all", str(EXAMPLES / name)]) == 0
    printed = capsys.readouterr().out
    assert printed == (STORED / f"{name}.txt").read_text()


def test_every_example_has_its_printed_ir():
    assert sorted(p.name.removesuffix(".txt") for p in STORED.glob("*.txt")) == MODELS


def test_the_printed_ir_shows_the_costs_of_the_device_asked_for(capsys):
    # the kernels a GPU would get for COBA 4k, printed on this machine: no native kernels there,
    # and `ell` (a gather per post neuron, no atomics) predicted cheapest at this size
    pipeline = "resolve,canonicalize,integrate,kernels{device=gpu},schedule"
    assert main(["ir", str(EXAMPLES / "coba.nfl"), "--pipeline", pipeline]) == 0
    projections = [line for line in capsys.readouterr().out.splitlines()
                   if line.startswith("projection")]
    assert len(projections) == 2
    assert all(" kernel=ell costs@gpu=[dense:" in line and "event_parallel:" in line
               for line in projections)
