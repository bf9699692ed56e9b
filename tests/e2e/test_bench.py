"""`neuroflow bench`: every stage timed and printed as compare.py prints its tables, the JSON,
and bad input as one error line."""
import contextlib
import io
import json
import re

import pytest

from neuroflow import ir, tables
from neuroflow.cli import main
from tests.conftest import EXAMPLES

COBA = str(EXAMPLES / "coba.nfl")
ROWS = ("parse and build", "passes (9)", "↳ resolve", "↳ schedule", "lowering",
        "XLA compilation (first run: ", "first run", "run, best of 2", "run, median of 2",
        "peak RSS", "state", "connectivity", "monitors")


@pytest.fixture(scope="module")
def benched(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "coba.json"
    printed = io.StringIO()  # capsys is per test; the model is benched once for the module
    with contextlib.redirect_stdout(printed):
        code = main(["bench", COBA, "--duration", "5", "--repeats", "2", "--no-native",
                     "--json", str(out)])
    return code, printed.getvalue(), json.loads(out.read_text())


def test_prints_every_stage_in_markdown_rows(benched):
    code, printed, _ = benched
    assert code == 0
    rows = [line for line in printed.splitlines() if line.startswith("| ")]
    labels = [row.split(" | ")[0][2:] for row in rows]
    for label in ROWS:
        assert any(text.startswith(label) for text in labels), label
    assert tables.header(["stage", "time (s)"]) in printed
    assert tables.header(["memory", "size"]) in printed
    number = r"\d+(\.\d+)?"
    for row in rows:
        if row.split(" | ")[0][2:] not in ("stage", "memory"):
            value = rf"{number}( \({number}–{number}\)| B| KiB| MiB| GiB)?"
            assert re.fullmatch(rf"\| .+ \| {value} \|", row), row


def test_json_has_the_measurements(benched):
    _, printed, data = benched
    seconds = data["seconds"]
    assert set(seconds) == {"parse_build", "passes", "lowering", "xla_compile", "first_run",
                            "run_best", "run_median", "runs"}
    assert len(seconds["runs"]) == 2 and seconds["run_best"] == min(seconds["runs"])
    assert all(seconds[key] > 0 for key in ("parse_build", "passes", "first_run", "run_best"))
    # the first run compiles (from JAX's cache or not), the others reuse it
    assert seconds["first_run"] > seconds["xla_compile"] > 0 and data["xla_programs"] >= 1
    assert [name for name, _ in data["passes"]][0] == "resolve"
    assert seconds["passes"] == pytest.approx(sum(s for _, s in data["passes"]))
    assert (data["model"], data["duration_ms"], data["dt_ms"], data["native"]) == \
        ("coba", 5.0, 0.1, False)
    memory = data["memory_bytes"]
    # at least v, ge and gi of 4000 neurons in float32, and not much more
    assert 3 * 4000 * 4 <= memory["state"] <= 8 * 4000 * 4
    assert memory["monitors"] > 0 and memory["peak_rss"] > memory["connectivity"] > 0
    assert f"| run, best of 2 | {tables.number(seconds['run_best'])} |" in printed
    assert f"| monitors | {ir.size_text(memory['monitors'])} |" in printed


@pytest.mark.parametrize("argv, message", [
    (["bench", "no/such/model.nfl"], "no such model file"),
    (["bench", COBA, "--duration", "-5"], "--duration must be a positive time"),
    (["bench", COBA, "--duration", "nan"], "--duration must be a positive time"),
    (["bench", COBA, "--repeats", "0"], "--repeats must be at least 1"),
    (["bench", COBA, "--json", "no/such/folder/b.json"], "--json no/such/folder/b.json: the"),
])
def test_bad_input_is_one_error_line(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and len(err.strip().splitlines()) == 1, err


def test_sizes_in_the_unit_that_keeps_them_short():
    assert [ir.size_text(n) for n in (0, 1023, 1024, 1536, 3 * 2**20, 2.5 * 2**30)] == \
        ["0 B", "1023 B", "1.00 KiB", "1.50 KiB", "3.00 MiB", "2.50 GiB"]
