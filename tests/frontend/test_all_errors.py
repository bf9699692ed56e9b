"""A file with several independent mistakes has them all reported in one pass (`load`, and
`neuroflow check`), each at its file:line:col with a hint, rather than in rounds (fix two, then
a third appears)."""
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.frontend import ErrorList, load
from neuroflow.passes import run_pipeline

# Unknown names in two equations, a unit mismatch (found by type-checking, after building), a
# bad initial value, an unknown population in a projection, and unit mismatches in a second,
# otherwise correct neuron.
MISTAKES = """\
neuron LIF {
    parameters {
        tau = 10*ms
        El = -70*mV
        Vt = -50*mV
    }
    equations {
        dv/dt = (El - v + foo)/tau : volt
        dw/dt = (bar - w)/tau : 1
        du/dt = (v - u)/tau : 1
    }
    initial {
        w = 3*mV
    }
    threshold: v > Vt
    reset: v = El
}
neuron Rate {
    equations {
        dx/dt = (1*mV - x)/(5*ms) : 1
    }
    threshold: x > 1*mV
}
network net {
    population P[10] = LIF()
    population R[10] = Rate()
    projection Q -> P {
        on_pre: v += 1*mV
        connect: fixed_prob(0.1)
    }
}
"""
EXPECTED = [(8, 27, "unknown name 'foo'"), (9, 18, "unknown name 'bar'"),
            (10, 18, "unit mismatch in 'v - u'"), (13, 9, "the initial value of 'w' is in mV"),
            (20, 20, "unit mismatch in '1.0*mV - x'"), (22, 16, "unit mismatch in 'x > 1.0*mV'"),
            (27, 16, "unknown population or view 'Q'")]


def _written(tmp_path):
    path = tmp_path / "mistakes.nfl"
    path.write_text(MISTAKES)
    return path


def test_load_reports_every_independent_error_at_once(tmp_path):
    path = _written(tmp_path)
    with pytest.raises(ErrorList) as info:
        load(path)
    err = info.value
    found = [(e.loc.line, e.loc.column, e.message) for e in err.errors]
    assert len(found) == len(EXPECTED), found
    for (line, column, message), (want_line, want_column, fragment) in zip(found, EXPECTED):
        assert (line, column) == (want_line, want_column) and fragment in message, found
    assert all(e.hint for e in err.errors)
    assert all(e.loc.origin == str(path) for e in err.errors)


def test_check_prints_them_all_located(tmp_path, capsys):
    path = _written(tmp_path)
    assert main(["check", str(path)]) == 1
    printed = capsys.readouterr().err
    for line, column, fragment in EXPECTED:
        assert f"{path}:{line}:{column}: " in printed and fragment in printed
    assert f"{len(EXPECTED)} errors" in printed and "Traceback" not in printed


def test_resolve_reports_the_unit_errors_of_every_population_together():
    model = nf.Network("n")
    model.population("A", 2, "dv/dt = (1*mV - v)/(5*ms) : 1")
    model.population("B", 2, "dx/dt = -x/(5*ms) : volt\ndy/dt = (x - y)/(5*ms) : 1")
    with pytest.raises(ErrorList) as info:
        run_pipeline(model.build(), "resolve")
    messages = [e.message for e in info.value.errors]
    assert len(messages) == 2, messages
    assert "'1.0*mV - v'" in messages[0] and "'x - y'" in messages[1]


# Four syntax errors on lines that close their brackets, then one on a line that opens a
# parenthesis it never closes: that line ends the search (what follows it could be made up).
SYNTAX_MISTAKES = """\
neuron LIF {
    parameters {
        tau = 10*ms
    }
    equations {
        dv/dt = -v/tau volt
        I = g*v
    }
    threshold: v = 1
    reset { v = 0*mV }
}
network N {
    population P[10] = LIF(tau = )
    projection P -> P { on_pre: v += w  connect: all }
    projection P -> P { on_pre: v += (w }
    monitor spikes P
}
run N { duration: 10*ms + }
"""


def test_syntax_errors_are_reported_together_up_to_one_that_could_make_up_others(tmp_path):
    path = tmp_path / "syntax.nfl"
    path.write_text(SYNTAX_MISTAKES)
    with pytest.raises(nf.ParseError) as info:  # still a ParseError for `except ParseError`
        load(path)
    found = [(e.loc.line, e.message) for e in info.value.errors]
    assert [line for line, _ in found] == [6, 7, 9, 13, 14, 15], found
    assert "':' is missing before the unit 'volt'" in found[0][1]
    assert "no unit" in found[1][1] and "'=' in a condition" in found[2][1]
    assert "'connect' starts a new item" in found[4][1] and "')' is missing" in found[5][1]
    assert all(isinstance(e, nf.ParseError) and e.hint for e in info.value.errors)
    # the search stopped at line 15: the mistake on line 18 is not reported (yet)
    assert f"{len(found)} errors" in info.value.format()


def test_one_syntax_error_is_raised_as_itself(tmp_path):
    path = tmp_path / "one.nfl"
    path.write_text(SYNTAX_MISTAKES.replace("volt\n", ": volt\n").replace("I = g*v", "I = v : 1")
                    .replace("v = 1", "v > 1").split("network N")[0])
    load(path)  # the neuron alone is valid
    path.write_text(SYNTAX_MISTAKES.split("network N")[0])
    with pytest.raises(nf.ParseError) as info:
        load(path)
    assert len(info.value.errors) == 3
    path.write_text("neuron A {\n    threshold: v = 1\n}\n")
    with pytest.raises(nf.ParseError) as info:
        load(path)
    assert not hasattr(info.value, "errors") and info.value.loc.line == 2
