"""A corpus of malformed model files: each names, in its first line, where its error is and a
piece of the message (`# expect: LINE:COL fragment`).  Loading and resolving it must raise
that neuroflow error, printed with the file, the line, a caret and a hint or message."""
import re
from pathlib import Path

import lark
import pytest

import neuroflow as nf
from neuroflow.frontend import load
from neuroflow.frontend._dsl_parse import dsl_parser
from neuroflow.frontend._dsl_syntax import MISTAKES, match_mistake
from neuroflow.passes import run_pipeline

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.nfl"))
EXPECT = re.compile(r"# expect: (\d+):(\d+) (.+)")


def test_the_corpus_has_at_least_40_programs():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_malformed_program(path):
    text = path.read_text()
    expect = EXPECT.match(text.splitlines()[0])
    assert expect, f"{path.name} must start with '# expect: LINE:COL fragment'"
    line, column, fragment = int(expect[1]), int(expect[2]), expect[3]
    with pytest.raises(nf.NeuroflowError) as info:
        loaded = load(path)
        run_pipeline(loaded.model, "resolve")
    err = info.value
    assert fragment in err.message, str(err)
    assert err.hint, str(err)
    assert err.loc is not None and err.loc.origin == str(path)
    assert (err.loc.line, err.loc.column) == (line, column), str(err)
    printed = str(err).splitlines()
    assert printed[0].startswith(f"{path}:{line}:{column}: ")
    assert printed[1] == "    " + text.splitlines()[line - 1]
    assert printed[2] == "    " + " " * (column - 1) + "^"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.message[:40] for m in MISTAKES])
def test_each_catalogued_example_is_recognised_as_its_own_mistake(mistake):
    for example in mistake.examples:
        with pytest.raises(lark.exceptions.UnexpectedInput) as info:
            dsl_parser().parse(example)
        assert match_mistake(info.value, dsl_parser()) is mistake, example
