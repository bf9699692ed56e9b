"""Builder errors are for people: a `ModelError` or `ParseError` that says which population's
equations (threshold, reset, projection) are wrong, shows the offending text with a caret at
the right line and column, and gives a hint.  Columns are counted by hand from the strings below.
"""
import re
import textwrap

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.passes import run_pipeline
from neuroflow.units import mV, ms, nS

EQS = "dv/dt = (El - v)/tau_m : volt"
PARAMS = dict(El=-70 * mV, tau_m=10 * ms, Vt=-50 * mV, Vr=-70 * mV)


def used(*texts) -> dict:
    """The entries of PARAMS that `texts` (equations, threshold, reset) name: a parameter given
    but not used is an error of its own."""
    words = set(re.findall(r"\w+", " ".join(t for t in texts if isinstance(t, str))))
    return {name: value for name, value in PARAMS.items() if name in words}


def network(equations=EQS, name="G", size=10, **kwargs) -> nf.Network:
    net = nf.Network("errors")
    kwargs.setdefault("params", used(equations, kwargs.get("threshold"), kwargs.get("reset")))
    net.population(name, size, equations, **kwargs)
    return net


def compile_error(net: nf.Network) -> nf.NeuroflowError:
    """The error the compiler's front passes raise for `net` (resolve runs the checks)."""
    with pytest.raises(nf.NeuroflowError) as info:
        run_pipeline(net.build())
    return info.value


def assert_points_at(err: nf.NeuroflowError, origin: str, line: int, column: int, source_line: str):
    """`err` is located at (line, column) of `source_line` and prints it with a caret under that
    column."""
    assert err.loc is not None, str(err)
    assert err.loc.origin == origin
    assert (err.loc.line, err.loc.column) == (line, column), str(err)
    assert err.loc.source_line() == source_line
    printed = str(err).splitlines()
    assert printed[0].startswith(f"{origin}:{line}:{column}: ")
    assert printed[1] == "    " + source_line
    assert printed[2] == "    " + " " * (column - 1) + "^"


# ---- names and units in equations ----------------------------------------------------------------

def test_misspelled_name_suggests_the_right_one():
    err = compile_error(network("dv/dt = (El - v)/taum : volt", params=used(EQS)))
    assert isinstance(err, nf.ModelError)
    assert "unknown name 'taum'" in err.message and "'G'" in err.message
    assert "'tau_m'" in err.hint and "did you mean" in err.hint
    #                  1234567890123456789
    assert_points_at(err, "equations of population 'G'", 1, 18, "dv/dt = (El - v)/taum : volt")


def test_misspelled_name_on_a_later_indented_line():
    equations = """
        dv/dt = (El - v + I)/tau_m : volt
        dI/dt = -I/tua_m : volt
    """
    err = compile_error(network(equations))
    assert "unknown name 'tua_m'" in err.message
    assert "'tau_m'" in err.hint
    #                    12345678901234567890
    assert_points_at(err, "equations of population 'G'", 3, 20, "        dI/dt = -I/tua_m : volt")


def test_unit_mismatch_names_both_units():
    err = compile_error(network("dv/dt = (v + tau_m)/tau_m : volt"))
    assert isinstance(err, nf.ModelError)
    assert "v + tau_m" in err.message
    assert "mV" in err.message and "ms" in err.message
    assert err.hint
    assert_points_at(err, "equations of population 'G'", 1, 10, "dv/dt = (v + tau_m)/tau_m : volt")


def test_right_hand_side_in_the_wrong_unit():
    err = compile_error(network("dv/dt = El - v : volt"))
    assert "dv/dt" in err.message and "mV/ms" in err.message
    assert "time constant" in err.hint
    #                    123456789
    assert_points_at(err, "equations of population 'G'", 1, 9, "dv/dt = El - v : volt")


def test_subexpression_in_the_wrong_unit():
    err = compile_error(network(EQS + "\nI_leak = (El - v)/tau_m : amp"))
    assert "mV/ms" in err.message and "pA" in err.message
    assert err.loc.origin == "equations of population 'G'"
    assert err.loc.line == 2 and err.loc.source_line() == "I_leak = (El - v)/tau_m : amp"


def test_threshold_on_a_missing_variable():
    err = compile_error(network(threshold="u > Vt"))
    assert isinstance(err, nf.ModelError)
    assert "unknown name 'u'" in err.message
    assert "params=dict(u=" in err.hint
    assert_points_at(err, "threshold of 'G'", 1, 1, "u > Vt")


def test_threshold_with_a_misspelled_parameter():
    err = compile_error(network(threshold="v > V_t", params=used(EQS, "Vt")))
    assert "'Vt'" in err.hint
    assert_points_at(err, "threshold of 'G'", 1, 5, "v > V_t")


def test_threshold_that_is_not_a_condition():
    err = compile_error(network(threshold="v - Vt"))
    assert "threshold must be a condition" in err.message
    assert "e.g. v > Vt" in err.hint
    assert_points_at(err, "threshold of 'G'", 1, 1, "v - Vt")


def test_reset_of_a_missing_variable():
    err = compile_error(network(threshold="v > Vt", reset="v = Vr; w = Vr"))
    assert "'w'" in err.message and "not a state variable" in err.message
    assert err.hint == "its state variables: v"
    #                    123456789
    assert_points_at(err, "reset of 'G'", 1, 9, "v = Vr; w = Vr")


def test_reset_in_the_wrong_unit():
    err = compile_error(network(threshold="v > Vt", reset="v = tau_m"))
    assert "ms" in err.message and "mV" in err.message
    assert err.hint
    assert err.loc.origin == "reset of 'G'"


def test_missing_parameter_is_reported_when_compiling():
    net = network(params=dict(El=-70 * mV))  # tau_m is used but not given
    net.build()  # building does not resolve names ...
    with pytest.raises(nf.ModelError) as info:
        nf.compile(net.build(), dt=0.1 * ms)  # ... compiling does
    err = info.value
    assert "unknown name 'tau_m'" in err.message
    assert "params=dict(tau_m=...)" in err.hint
    assert_points_at(err, "equations of population 'G'", 1, 18, EQS)


def test_missing_parameter_named_like_a_unit():
    err = compile_error(network(params=dict(tau_m=10 * ms)))  # El is used but not given
    assert "unknown name 'El'" in err.message
    assert "params=dict(El=...)" in err.hint
    assert_points_at(err, "equations of population 'G'", 1, 10, EQS)


def test_declared_parameter_without_a_value():
    with pytest.raises(nf.ModelError) as info:
        network(EQS + "\nI : volt (constant)")
    err = info.value
    assert "'I'" in err.message and "'G'" in err.message
    assert "params=dict(I=...)" in err.hint
    assert (err.loc.line, err.loc.column) == (2, 1)


def test_parameter_in_the_wrong_unit():
    with pytest.raises(nf.ModelError) as info:
        network(EQS + "\nI : volt (constant)", params=dict(PARAMS, I=5 * nS))
    err = info.value
    assert "parameter 'I' of 'G' is declared in mV but given in nS" in err.message
    assert "give 'I' a value in mV" in err.hint
    assert_points_at(err, "equations of population 'G'", 2, 1, "I : volt (constant)")


def test_unknown_flag():
    with pytest.raises(nf.ModelError) as info:
        network("dv/dt = (El - v)/tau_m : volt (unless refactory)")
    err = info.value
    assert "unless refactory" in err.message
    assert "unless refractory" in err.hint
    #                                                    12345678901234567890123456789012
    assert_points_at(err, "equations of population 'G'", 1, 32,
                     "dv/dt = (El - v)/tau_m : volt (unless refactory)")


def test_unless_refractory_without_a_period():
    err = compile_error(network("dv/dt = (El - v)/tau_m : volt (unless refractory)",
                                threshold="v > Vt"))
    assert "refractory" in err.message
    assert err.loc.origin == "equations of population 'G'" and err.loc.line == 1


# ---- units in equations --------------------------------------------------------------------------

def test_unknown_unit():
    with pytest.raises(nf.ModelError) as info:
        network("dv/dt = (El - v)/tau_m : volts")
    err = info.value
    assert "unknown unit 'volts'" in err.message
    assert "'volt'" in err.hint
    assert err.loc.origin == "equations of population 'G'"


def test_unknown_unit_points_at_the_unit():
    equations = "dv/dt = (El - v)/tau_m : volt\nx : meters"
    with pytest.raises(nf.ModelError) as info:
        network(equations)
    #                                     12345
    assert_points_at(info.value, "equations of population 'G'", 2, 5, "x : meters")


def test_unit_that_is_a_number_other_than_one():
    with pytest.raises(nf.ModelError) as info:
        network("dv/dt = (El - v)/tau_m : 2")
    err = info.value
    assert "a unit must be a unit name or 1, got '2'" in err.message
    assert "': 1'" in err.hint
    #                                                   12345678901234567890123456
    assert_points_at(err, "equations of population 'G'", 1, 26, "dv/dt = (El - v)/tau_m : 2")


# ---- syntax --------------------------------------------------------------------------------------

def test_syntax_error_line_and_column():
    equations = "\n".join([
        "dv/dt = (El - v + I)/tau_m : volt",
        "dI/dt = -I/tau_m : volt",
        "dw/dt = (El -* w)/tau_m : volt",
    ])
    with pytest.raises(nf.ParseError) as info:
        network(equations)
    err = info.value
    assert "'*'" in err.message
    assert err.hint
    #                                   12345678901234
    assert_points_at(err, "equations of population 'G'", 3, 14, "dw/dt = (El -* w)/tau_m : volt")


def test_syntax_error_with_leading_newline_and_indentation():
    equations = textwrap.dedent("""
        dv/dt = (El - v)/tau_m : volt
            dw/dt = (El - w))/tau_m : volt
    """)
    with pytest.raises(nf.ParseError) as info:
        network(equations)
    #                                                  1234567890123456789
    assert_points_at(info.value, "equations of population 'G'", 3, 21,
                     "    dw/dt = (El - w))/tau_m : volt")
    assert "parenthes" in info.value.hint


def test_unclosed_parenthesis():
    with pytest.raises(nf.ParseError) as info:
        network("dv/dt = (El - v/tau_m : volt")
    #                    1234567890123456789012
    assert_points_at(info.value, "equations of population 'G'", 1, 23,
                     "dv/dt = (El - v/tau_m : volt")


def test_syntax_error_in_threshold_and_reset():
    with pytest.raises(nf.ParseError) as info:
        network(threshold="v >> Vt")
    assert_points_at(info.value, "threshold of 'G'", 1, 4, "v >> Vt")
    with pytest.raises(nf.ParseError) as info:
        network(threshold="v > Vt", reset="v == Vr")
    assert_points_at(info.value, "reset of 'G'", 1, 4, "v == Vr")
    assert "==" in info.value.hint


# ---- populations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, -1, -100, 2.5, True])
def test_population_size_must_be_a_positive_whole_number(size):
    with pytest.raises(nf.ModelError) as info:
        network(size=size)
    err = info.value
    assert "'G'" in err.message and repr(size) in err.message
    assert err.hint


@pytest.mark.parametrize("name", ["", "1P", "my pop", "a.b"])
def test_population_name_must_be_an_identifier(name):
    with pytest.raises(nf.ModelError) as info:
        network(name=name)
    assert repr(name) in info.value.message and info.value.hint


def test_duplicate_population():
    net = network()
    with pytest.raises(nf.ModelError, match="'G' already exists"):
        net.population("G", 3, EQS, params=PARAMS)


def test_init_of_an_unknown_variable():
    with pytest.raises(nf.ModelError) as info:
        network(init=dict(vv=-60 * mV))
    assert "'vv'" in info.value.message and "'v'" in info.value.hint


def test_init_with_the_wrong_number_of_values():
    with pytest.raises(nf.ModelError, match="3 values but the population has 10"):
        network(init=dict(v=np.zeros(3) * mV))


def test_refractory_period_must_be_a_time():
    with pytest.raises(nf.ModelError) as info:
        network(threshold="v > Vt", refractory=5 * mV)
    assert "'G'" in info.value.message and "ms" in info.value.hint


# ---- projections ---------------------------------------------------------------------------------

def two_populations() -> tuple[nf.Network, object, object]:
    net = nf.Network("proj")
    a = net.population("A", 5, EQS, params=used(EQS, "v > Vt"), threshold="v > Vt")
    b = net.population("B", 4, EQS + "\nge : 1", params=used(EQS))
    return net, a, b


def test_on_pre_writing_a_variable_the_target_lacks():
    net, a, b = two_populations()
    net.projection(a, b, on_pre="gi += 0.5", name="AB")
    err = compile_error(net)
    assert isinstance(err, nf.ModelError)
    assert "'gi'" in err.message and "'B'" in err.message
    assert "ge" in err.hint
    assert_points_at(err, "on_pre of projection 'AB'", 1, 1, "gi += 0.5")


def test_on_pre_with_a_misspelled_target_suggests_it():
    net, a, b = two_populations()
    net.projection(a, b, on_pre="gee += 0.5", name="AB")
    err = compile_error(net)
    assert "'ge'" in err.hint


def test_on_pre_with_plain_assignment():
    net, a, b = two_populations()
    with pytest.raises(nf.ModelError) as info:
        net.projection(a, b, on_pre="ge = 1", name="AB")
    err = info.value
    assert "'='" in err.message
    assert "ge +=" in err.hint
    assert_points_at(err, "on_pre of projection 'AB'", 1, 1, "ge = 1")


def test_on_pre_in_the_wrong_unit():
    net, a, b = two_populations()
    net.projection(a, b, on_pre="ge += 1*mV", name="AB")
    err = compile_error(net)
    assert "adds a value in mV to 'ge', which is in 1" in err.message
    assert "same units as 'ge'" in err.hint
    assert_points_at(err, "on_pre of projection 'AB'", 1, 1, "ge += 1*mV")


def test_on_pre_syntax_error():
    net, a, b = two_populations()
    with pytest.raises(nf.ParseError) as info:
        net.projection(a, b, on_pre="ge += * 2", name="AB")
    #                                                  1234567
    assert_points_at(info.value, "on_pre of projection 'AB'", 1, 7, "ge += * 2")


@pytest.mark.parametrize("on_pre, weights, words", [
    ("ge += 1; ge += 2", None, "one statement"),
    ("ge += w", None, "no weights"),
    ("ge += 0.5", 0.5, "does not use 'w'"),
    ("ge += v", None, "constant or use 'w'"),
])
def test_on_pre_and_weights_must_agree(on_pre, weights, words):
    net, a, b = two_populations()
    with pytest.raises(nf.ModelError) as info:
        net.projection(a, b, on_pre=on_pre, weights=weights, name="AB")
    assert words in info.value.message
    assert info.value.loc.origin == "on_pre of projection 'AB'"


def test_delay_must_be_a_time():
    net, a, b = two_populations()
    with pytest.raises(nf.ModelError, match="delay of projection 'AB' must be a time"):
        net.projection(a, b, on_pre="ge += 0.5", delay=2 * mV, name="AB")


def test_empty_view():
    net, a, b = two_populations()
    with pytest.raises(nf.ModelError, match=r"A\[3:3\] is empty"):
        a[3:3]


def test_monitor_indices_out_of_range():
    net, a, b = two_populations()
    with pytest.raises(nf.ModelError, match=r"\[0, 4\)"):
        net.monitor(b, "v", indices=[0, 4])
    with pytest.raises(nf.ModelError) as info:
        net.monitor("C", "v")
    assert "'C'" in str(info.value)


# ---- the command line ----------------------------------------------------------------------------

def write_script(tmp_path, body: str):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent("""\
        import neuroflow as nf
        from neuroflow.units import mV, ms
        net = nf.Network("script")
    """) + textwrap.dedent(body))
    return str(path)


BAD_NAME = """\
    net.population("G", 10, "dv/dt = (El - v)/taum : volt", params=dict(El=-70*mV, tau_m=10*ms))
    model = net.build()
"""


@pytest.mark.parametrize("command", [["ir"], ["run", "--quiet", "--duration", "1"]])
def test_cli_reports_model_errors_without_a_traceback(tmp_path, capsys, command):
    path = write_script(tmp_path, BAD_NAME)
    assert main([command[0], path, *command[1:]]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ")
    assert "Traceback" not in out + err
    assert "unknown name 'taum'" in err
    assert "dv/dt = (El - v)/taum : volt" in err
    assert "hint: did you mean 'tau_m'?" in err


def test_cli_reports_parse_errors_raised_while_loading_the_script(tmp_path, capsys):
    path = write_script(tmp_path, """\
        net.population("G", 10, "dv/dt = (El - v)/tau_m : volts",
                       params=dict(El=-70*mV, tau_m=10*ms))
        model = net.build()
    """)
    assert main(["ir", path]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and "unknown unit 'volts'" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("name, body", [("missing.py", None), ("model.nfl", "population P 10\n"),
                                        ("empty.py", "x = 1\n")])
def test_cli_reports_bad_scripts(tmp_path, capsys, name, body):
    path = tmp_path / name
    if body is not None:
        path.write_text(body)
    assert main(["ir", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and "Traceback" not in out + err


def test_cli_prints_the_ir_of_a_good_script(tmp_path, capsys):
    path = write_script(tmp_path, """\
        net.population("G", 3, "dv/dt = (El - v)/tau : volt", params=dict(El=-70*mV, tau=10*ms))
        model = net.build()
    """)
    assert main(["ir", path]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("neuroflow-ir 1\nmodel script\n")
    assert "update G method=exact" in out and err == ""


def test_cli_reports_impossible_connectivity_without_a_traceback(tmp_path, capsys):
    path = write_script(tmp_path, """\
        a = net.population("A", 5, "dv/dt = -v/tau : volt", params=dict(tau=10*ms),
                           threshold="v > 1*mV")
        b = net.population("B", 4, "dv/dt = -v/tau : volt", params=dict(tau=10*ms))
        net.projection(a, b, on_pre="v += 1*mV", connect=nf.one_to_one())
        model = net.build()
    """)
    assert main(["run", path, "--quiet", "--duration", "1"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and "one_to_one" in err
