"""Generated and mutated model files end in a neuroflow error or a valid model: never another
exception, a crash, or a check that takes more than 5 s of CPU time.

The inputs come from `nfl_fuzz` (derivations of the `.nfl` grammar and example files with tokens
and lines deleted, duplicated, swapped or inserted and numbers changed), each checked as
`neuroflow check` does, in a worker process with a memory and a time limit.  The default run
tries 300 inputs; `pytest -m slow` tries 10,000 more, with another seed.  A failure prints each
offending input, with its seed and index, to be added below as a regression test.  By hand:

    python -m tests.frontend.nfl_fuzz --seed 7 --count 20000
"""
import random

import pytest

import neuroflow as nf
from tests.frontend import nfl_fuzz
from tests.frontend.nfl_fuzz import check, make_input, mutate_once


def _run(seed: int, count: int) -> None:
    summary = nfl_fuzz.run(seed, count, workers=2)
    assert not summary.findings, "\n\n".join(f.report() for f in summary.findings)
    assert summary.slowest < nfl_fuzz.CHECK_SECONDS
    # the fuzzer reaches both ends: inputs that pass, and inputs that are refused
    assert summary.counts["ok"] > 0 and summary.counts["neuroflow"] > 0


def test_generated_and_mutated_files_give_neuroflow_errors_or_valid_models():
    _run(seed=1, count=300)


@pytest.mark.slow
def test_ten_thousand_more_inputs():
    _run(seed=2, count=10_000)


def test_mutations_change_the_text():
    text = "a + b\nc"
    assert mutate_once(text, "token", "delete", 1, 0) == "a  b\nc"
    assert mutate_once(text, "token", "duplicate", 0, 0) == "a a + b\nc"
    assert mutate_once(text, "token", "swap", 0, 2) == "b + a\nc"
    assert mutate_once(text, "line", "swap", 0, 1) == "c\na + b"
    assert mutate_once("x = 2*ms", "token", "number", 0, 4) == "x = 1e309*ms"


def test_inputs_are_reproducible_and_generated_ones_follow_the_grammar():
    from neuroflow.frontend._dsl_parse import dsl_parser
    assert make_input(3, 17) == make_input(3, 17)
    parsed = 0
    for k in range(100):
        try:
            dsl_parser().parse(nfl_fuzz.generate(random.Random(k)))
            parsed += 1
        except Exception:  # noqa: BLE001 -- a few collide in the lexer (a dotted target and '=')
            pass
    assert parsed >= 95


# Inputs the fuzzer found, each once an exception other than a neuroflow error.
FOUND = {
    "a unit's power that overflows": ("neuron N {\n equations {\n  x : volt ** 1e309\n }\n}\n",
                                      "a unit's power must lie between -100 and 100"),
    "a unit's fractional power divides by zero": (
        "neuron N {\n equations {\n  x : volt ** (2/0)\n }\n}\n", "divides by zero"),
    "a unit's fractional power of decimals": (
        "neuron N {\n equations {\n  x : volt ** (3.7/1e309)\n }\n}\n",
        "the number 1e309 is too large"),
    "a number in the IR's form with units that are no units": (
        "run r {\n dt = 2<0>\n}\n", "cannot read the units of 2<0>"),
    "spikes monitored of a population without a threshold": (
        "neuron N {\n equations {\n  dv/dt = -v/(10*ms) : volt\n }\n}\n"
        "network n {\n population G[4] = N()\n monitor spikes G\n}\n", "has no threshold"),
}


@pytest.mark.parametrize("name", FOUND)
def test_found_by_the_fuzzer(name):
    text, fragment = FOUND[name]
    with pytest.raises(nf.NeuroflowError) as info:
        check(text)
    assert fragment in info.value.message and info.value.loc is not None


def test_a_number_too_large_in_a_units_power_is_reported_as_in_a_value():
    with pytest.raises(nf.NeuroflowError) as info:
        check(FOUND["a unit's fractional power of decimals"][0])
    err = info.value
    assert (err.loc.line, err.loc.column) == (3, 20)
    assert err.loc.source_line()[err.loc.column - 1:] == "1e309)"
    assert "units that keep it small" in err.hint
