"""Every example runs as-is, as a script and through the command line."""
import runpy

import pytest

from neuroflow.cli import main
from tests.conftest import EXAMPLES

SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_as_a_script(script, capsys):
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert capsys.readouterr().out.strip()  # each example reports what it computed


def test_cli_runs_an_example_and_writes_results(tmp_path, capsys):
    out = tmp_path / "lif.npz"
    assert main(["run", str(EXAMPLES / "lif_fi.py"), "--duration", "200", "--out", str(out), "--quiet"]) == 0
    assert out.exists()
    printed = capsys.readouterr().out
    assert "G" in printed and "simulated 200 ms" in printed
