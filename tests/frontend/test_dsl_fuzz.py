"""Mutated model files give neuroflow errors or valid models, never another exception or a hang.

The example files (and a standard-library file) are mutated by deleting, duplicating and
swapping tokens and lines; each mutant is loaded and resolved.  The default run tries 300
mutants; `pytest -m slow` tries 2,000 more, with other seeds.
"""
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuroflow as nf
from neuroflow.frontend import load_text
from neuroflow.passes import run_pipeline
from tests.conftest import EXAMPLES, ROOT

SOURCES = {path.name: path.read_text() for path in sorted(EXAMPLES.glob("*.nfl"))}
SOURCES["hodgkin_huxley.nfl"] = (ROOT / "neuroflow" / "stdlib" / "hodgkin_huxley.nfl").read_text()
SOURCES["plasticity.nfl"] = (ROOT / "neuroflow" / "stdlib" / "plasticity.nfl").read_text()
TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\*\*|[+\-*/<>=!]=|->|\S")

mutation = st.tuples(st.sampled_from(["token", "line"]),
                     st.sampled_from(["delete", "duplicate", "swap"]),
                     st.integers(min_value=0), st.integers(min_value=0))


def _edit_lines(lines: list[str], kind: str, a: int, b: int) -> list[str]:
    a, b = a % len(lines), b % len(lines)
    lines = list(lines)
    if kind == "delete":
        del lines[a]
    elif kind == "duplicate":
        lines.insert(a, lines[a])
    else:
        lines[a], lines[b] = lines[b], lines[a]
    return lines


def _edit_tokens(tokens: list[str], kind: str, a: int, b: int) -> list[str]:
    """The same number of tokens: a deleted one becomes empty, a duplicated one doubles."""
    a, b = a % len(tokens), b % len(tokens)
    tokens = list(tokens)
    if kind == "delete":
        tokens[a] = ""
    elif kind == "duplicate":
        tokens[a] = f"{tokens[a]} {tokens[a]}"
    else:
        tokens[a], tokens[b] = tokens[b], tokens[a]
    return tokens


def mutate(text: str, mutations) -> str:
    for unit, kind, a, b in mutations:
        if unit == "line":
            text = "\n".join(_edit_lines(text.split("\n"), kind, a, b))
            continue
        pieces = re.split(f"({TOKEN.pattern})", text)  # text between tokens, a token, text, ...
        if len(pieces) > 1:
            pieces[1::2] = _edit_tokens(pieces[1::2], kind, a, b)
            text = "".join(pieces)
    return text


def check_mutant(name: str, mutations) -> None:
    text = mutate(SOURCES[name], mutations)
    try:
        loaded = load_text(text, name, EXAMPLES)
        if loaded.model is not None:
            run_pipeline(loaded.model, "resolve")
    except nf.NeuroflowError as err:
        assert err.format()  # prints without failing


CASES = {"name": st.sampled_from(sorted(SOURCES)),
         "mutations": st.lists(mutation, min_size=1, max_size=3)}


@settings(max_examples=300, deadline=timedelta(seconds=5),
          suppress_health_check=[HealthCheck.too_slow])
@given(**CASES)
def test_mutated_examples_give_neuroflow_errors_or_valid_models(name, mutations):
    check_mutant(name, mutations)


@pytest.mark.slow
@settings(max_examples=2000, deadline=timedelta(seconds=5), database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(**CASES)
def test_many_more_mutants(name, mutations):
    check_mutant(name, mutations)


def test_mutations_change_the_text():
    text = "a + b\nc"
    assert mutate(text, [("token", "delete", 1, 0)]) == "a  b\nc"
    assert mutate(text, [("token", "duplicate", 0, 0)]) == "a a + b\nc"
    assert mutate(text, [("token", "swap", 0, 2)]) == "b + a\nc"
    assert mutate(text, [("line", "swap", 0, 1)]) == "c\na + b"
