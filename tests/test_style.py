"""The code keeps STYLE.md's habits that a tool can check: ruff with the project's settings
(pyproject.toml: lines of at most 100 characters, pyflakes, pycodestyle)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = [sys.executable, "-m", "ruff"]
    if subprocess.run([*ruff, "--version"], capture_output=True).returncode != 0:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    checked = subprocess.run([*ruff, "check", "neuroflow", "tests", "examples", "benchmarks"],
                             cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
