"""The .nfl language: a file and its builder script give the same IR; composition, imports,
networks, inputs and monitors reach the IR through the builder; errors point into the file."""
import textwrap
import time

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.frontend import ErrorList, load, load_text
from neuroflow.passes import run_pipeline
from neuroflow.units import ms, mV
from tests.conftest import EXAMPLES, ROOT, load_example
from tests.references import spikes_with_resets

TWINS = ["coba", "cuba", "lif_fi", "hh", "stdp"]


def build(text: str, directory=None) -> nf.frontend.ModelFile:
    return load_text(textwrap.dedent(text), "model.nfl", directory)


def error_of(text: str, directory=None) -> nf.NeuroflowError:
    """The error that loading and resolving `text` raises."""
    with pytest.raises(nf.NeuroflowError) as info:
        run_pipeline(build(text, directory).model, "resolve")
    return info.value


LIF = """
neuron LIF {
    parameters {
        tau = 10*ms
        El = -70*mV
        Vt = -50*mV
        Vr = -70*mV
    }
    equations {
        dv/dt = (El - v)/tau : volt
    }
    threshold: v > Vt
    reset: v = Vr
}
"""


# ---- the examples: one IR through both doors ----------------------------------------------------

@pytest.mark.parametrize("name", TWINS)
def test_file_and_script_give_identical_ir(name):
    from_file = load(EXAMPLES / f"{name}.nfl").model
    from_script = load_example(name)["model"]
    assert nf.ir.print(from_file) == nf.ir.print(from_script)


@pytest.mark.parametrize("name", TWINS)
def test_file_and_script_give_identical_ir_after_the_pipeline(name):
    from_file = run_pipeline(load(EXAMPLES / f"{name}.nfl").model, verify_each=True)
    from_script = run_pipeline(load_example(name)["model"])
    assert nf.ir.print(from_file) == nf.ir.print(from_script)


def test_file_locations_point_into_the_file():
    model = load(EXAMPLES / "coba.nfl").model
    ode = model.find(nf.ir.ODE)[0]
    assert ode.loc.origin.endswith("coba.nfl")
    assert ode.loc.source_line().strip().startswith("dv/dt")
    threshold = model.find(nf.ir.Threshold)[0]
    assert threshold.loc.source_line().strip() == "threshold: v > Vt"
    assert threshold.loc.source_line()[threshold.loc.column - 1:] == "v > Vt"


@pytest.mark.parametrize("name", ["coba", "cuba", "lif_fi", "hh", "hh_channels", "two_areas",
                                  "stdp", "izhikevich", "wilson_cowan", "gap_junctions",
                                  "rate_rnn", "brunel2000", "cann", "wang2002"])
def test_examples_resolve(name):
    run_pipeline(load(EXAMPLES / f"{name}.nfl").model, "resolve")


def test_run_sections_of_the_examples():
    coba = load(EXAMPLES / "coba.nfl")
    assert (coba.settings.dt.to("ms") == pytest.approx(0.1)
            and coba.settings.duration.to("ms") == 1000)
    assert coba.views["exc"] == nf.ir.PopSlice("P", 0, 3200)
    hh = load(EXAMPLES / "hh_channels.nfl")
    assert hh.settings.dtype == "float64" and hh.settings.dt.to("ms") == pytest.approx(0.01)


def test_hh_made_of_channels_matches_brian2(reference):
    """The channels of the standard library, composed, give Brian2's trace as hh.py does."""
    ref = reference("hh_single_rk4.npz")
    model = load(EXAMPLES / "hh_channels.nfl").model
    init = {"v": float(ref["v0_mV"]), "Na_m": float(ref["m0"]), "Na_h": float(ref["h0"]),
            "K_n": float(ref["n0"])}
    model = model.replace(*[var.replace(init=init[var.name]) for var in model.find(nf.ir.StateVar)])
    pipeline = "resolve,canonicalize,integrate{method=rk4},kernels,schedule"
    sim = nf.compile(model, dt=0.01 * ms, dtype="float64", pipeline=pipeline)
    t, v = sim.run(100 * ms).trace("HH", "v")
    np.testing.assert_allclose(t, ref["t_ms"], atol=1e-9)
    crossings = t[1:][(v[:-1, 0] < 0) & (v[1:, 0] >= 0)]
    assert len(crossings) == 7
    assert np.max(np.abs(v[:, 0] - ref["v_mV"])) < 0.05  # as for hh.py; measured 1.2e-4 mV


def test_parse_and_resolve_time_of_coba_is_measured():
    """Not an assertion on speed (machines differ): the number is reported by the test run."""
    load(EXAMPLES / "coba.nfl")  # the parser is built once per process
    start = time.perf_counter()
    run_pipeline(load(EXAMPLES / "coba.nfl").model, "resolve")
    elapsed = time.perf_counter() - start
    print(f"parse + resolve of coba.nfl: {elapsed * 1000:.1f} ms")
    assert elapsed < 10  # only catches a hang


# ---- composition ------------------------------------------------------------------------------

CHANNELS = LIF.replace("dv/dt = (El - v)/tau : volt",
                       "dv/dt = (El - v + syn.I)/tau : volt").replace(
    "    reset: v = Vr\n", "    reset: v = Vr\n    syn = Syn(tau = 2*ms)\n") + """
channel Syn {
    parameters {
        tau = 5*ms
        E = 0*mV
    }
    equations {
        dg/dt = -g/tau : 1
        I = g*(E - v) : volt
    }
    initial {
        g = 0.5
    }
}
"""


def test_parts_are_prefixed_and_their_free_names_belong_to_the_neuron():
    model = build(CHANNELS + "network n { population P[3] = LIF() }").model
    text = nf.ir.print(model)
    assert "sub P.syn_I : float[3]<mV> = syn_g*(syn_E - v)" in text
    assert "ode P.syn_g = -syn_g/syn_tau" in text
    assert "ode P.v = (El - v + syn_I)/tau" in text
    assert "param P.syn_tau : float[]<ms> = 2.0" in text  # the override in the neuron
    assert "state P.syn_g : float[3]<1> = 0.5" in text
    run_pipeline(model, "resolve")


def test_overrides_reach_parts_from_the_population():
    model = build(CHANNELS + "network n { population P[3] = "
                  "LIF(syn.tau = 7*ms, syn.g = 0.25, v = -60*mV) }").model
    text = nf.ir.print(model)
    assert "param P.syn_tau : float[]<ms> = 7.0" in text
    assert "state P.syn_g : float[3]<1> = 0.25" in text
    assert "state P.v : float[3]<mV> = -60.0" in text


def test_on_pre_and_monitors_reach_a_part():
    model = build(CHANNELS + """
        network n {
            population P[3] = LIF()
            projection P -> P { on_pre: syn.g += 0.1 }
            monitor P.syn.g[0:2] every 5
        }""").model
    projection = model.find(nf.ir.Projection)[0]
    assert projection.effect.target == "syn_g"
    monitor = model.find(nf.ir.StateMonitor)[0]
    assert (monitor.var, monitor.indices, monitor.every) == ("syn_g", (0, 1), 5)


def test_nested_parts_prefix_level_by_level():
    text = CHANNELS + """
        channel Soma {
            equations { I = dend.I : volt }
            dend = Syn()
        }
        network n { population P[2] = Top() }
        neuron Top {
            equations { dv/dt = (s.I - v)/(10*ms) : volt }
            s = Soma()
        }
    """
    model = build(text).model
    names = {node.id for node in model.nodes}
    assert {"P.s_I", "P.s_dend_I", "P.s_dend_g", "P.s_dend_tau"} <= names
    run_pipeline(model, "resolve")


def test_a_parameter_may_use_earlier_parameters_and_i():
    model = build(LIF.replace("Vr = -70*mV", "Vr = El + i*1*mV")
                  + "network n { population P[3] = LIF() }").model
    vr = model.get("P.Vr")
    assert vr.value == (-70.0, -69.0, -68.0)


# ---- networks ---------------------------------------------------------------------------------

def test_subnetworks_prefix_their_populations_and_views():
    loaded = build(LIF + """
        network EI {
            population E[8] = LIF()
            population I[2] = LIF()
            view head = E[0:4]
            projection inner: E -> I { on_pre: v += 1*mV; connect: fixed_fan_in(2) }
        }
        network Both {
            a = EI()
            b = EI()
            projection link: a.head -> b.I { on_pre: v += 0.5*mV }
            monitor spikes a.E
            monitor b.E.v[0, 1]
        }
    """)
    model = loaded.model
    assert [p.name for p in model.populations] == ["a_E", "a_I", "b_E", "b_I"]
    link = model.get("link")
    assert link.pre == nf.ir.PopSlice("a_E", 0, 4) and link.post == nf.ir.PopSlice("b_I", 0, 2)
    assert "a_inner" in model and "b_inner" in model
    assert loaded.views == {"a.head": nf.ir.PopSlice("a_E", 0, 4),
                            "b.head": nf.ir.PopSlice("b_E", 0, 4)}
    run_pipeline(model, "resolve")


def test_projection_settings_reach_the_builder():
    model = build(LIF + """
        network n {
            population P[5] = LIF()
            projection P[0:2] -> P[2:5] {
                on_pre: v += w
                weights: normal(1*mV, 0.1*mV)
                delay: 1.5*ms
                kernel: dense
                connect: fixed_fan_out(2)
            }
        }
    """).model
    projection = model.find(nf.ir.Projection)[0]
    expected = nf.Network("n")
    handle = expected.population("P", 5, "dv/dt = (El - v)/tau : volt", threshold="v > Vt",
                                 reset="v = Vr", params={"tau": 10 * ms, "El": -70 * mV,
                                                         "Vt": -50 * mV, "Vr": -70 * mV})
    expected.projection(handle[0:2], handle[2:5], "v += w", weights=nf.normal(1 * mV, 0.1 * mV),
                        delay=1.5 * ms, kernel="dense", connect=nf.fixed_fan_out(2))
    assert nf.ir.print(model) == nf.ir.print(expected.build())
    assert projection.kernel == "dense"


def test_timed_input_and_array_values(tmp_path):
    np.save(tmp_path / "drive.npy", np.array([0.0, 2.0, 1.0]))
    loaded = build(LIF.replace("        Vr = -70*mV\n",
                               "        Vr = -70*mV\n        I : volt\n").replace(
        "(El - v)/tau", "(El - v + I)/tau") + """
        network n {
            population P[2] = LIF(El = [-70, -65]*mV)
            population Q[2] = LIF()
            input P.I = [0, 10, 20]*mV every 50*ms
            input Q.I = load("drive.npy")*mV every 10*ms
        }
    """, tmp_path)
    model = loaded.model
    assert model.get("P.El").value == (-70.0, -65.0)
    inputs = {node.id: node for node in model.find(nf.ir.TimedInput)}
    assert inputs["P.I"].values == (0.0, 10.0, 20.0) and inputs["P.I"].period == 50.0
    assert inputs["Q.I"].values == (0.0, 2.0, 1.0) and inputs["Q.I"].period == 10.0
    assert "P.I" not in {p.id for p in model.find(nf.ir.Parameter)}
    run_pipeline(model, "resolve")


def test_run_section_method_is_the_default_of_every_neuron():
    loaded = build(LIF + "network n { population P[2] = LIF() }\nrun { method = euler; seed = 4 }")
    assert loaded.model.populations[0].method == "euler"
    assert loaded.settings.seed == 4


def test_imports_look_next_to_the_file_then_in_the_standard_library(tmp_path):
    (tmp_path / "cells.nfl").write_text(LIF)
    loaded = build('import "cells.nfl"\nimport "synapses.nfl"\n'
                   'network n { population P[2] = LIF() }', tmp_path)
    assert "LIF" in loaded.components and "ExpConductance" in loaded.components


def test_import_cycles_are_reported(tmp_path):
    (tmp_path / "a.nfl").write_text('import "b.nfl"\n')
    (tmp_path / "b.nfl").write_text('import "a.nfl"\n')
    err = error_of('import "a.nfl"\n' + LIF + "network n { population P[2] = LIF() }", tmp_path)
    assert "imports itself" in err.message


def test_a_neuron_parameter_overridden_in_another_unit_than_its_default_is_refused():
    """`tau = 10*ms` declares no unit, but its default has one: an override that drops it is an
    error at the override (a model with units otherwise, or none at all, would silently read it
    as a plain number)."""
    err = error_of(LIF + "network n { population P[2] = LIF(tau = 20) }")
    assert err.message == "parameter 'tau' is in 1 but its default is in ms", err.message
    assert err.loc.source_line().startswith("network n") and err.loc.column == 35  # at 'tau = 20'
    assert err.loc.source_line()[err.loc.column - 1:].startswith("tau = 20")
    assert "20*ms" in err.hint
    # the same value with its unit is accepted
    model = build(LIF + "network n { population P[2] = LIF(tau = 20*ms) }").model
    assert model.get("P.tau").value == 20.0


def test_errors_in_an_imported_file_point_into_it(tmp_path):
    (tmp_path / "cells.nfl").write_text(LIF.replace("(El - v)/tau", "(El - v)/tua"))
    err = error_of('import "cells.nfl"\nnetwork n { population P[2] = LIF() }', tmp_path)
    assert err.loc.origin.endswith("cells.nfl") and "tua" in err.message


def izhikevich_reference(end: float, current: float) -> np.ndarray:
    """Spike times (ms) of the stdlib's Izhikevich neuron (regular spiking, I in mV/ms): solve_ivp
    to the crossing of 30 mV, reset there, go on."""
    def rhs(_, y):
        v, u = y
        return [0.04 * v * v + 5 * v + 140 - u + current, 0.02 * (0.2 * v - u)]

    return spikes_with_resets(rhs, [-65.0, -13.0], end, lambda _, y: y[0] - 30,
                              lambda y: [-65.0, y[1] + 8])


@pytest.mark.parametrize("dt", [0.1, 0.01])
def test_izhikevich_regular_spiking_follows_solve_ivp(dt):
    model = build('import "neurons.nfl"\nnetwork n {\n population P[1] = Izhikevich(I = 10*mV/ms)\n'
                  ' monitor spikes P\n}').model
    spikes = nf.compile(model, dt=dt * ms, dtype="float64").run(200 * ms).spikes("P")[0]
    reference = izhikevich_reference(200.0, 10.0)
    assert len(reference) == 5 and len(spikes) == len(reference)
    # The crossing is found at the end of its step and the reset applied there, so each spike
    # delays the rest of the trajectory by up to one step: the k-th spike lags by up to k steps
    # (at dt = 0.1 ms the fifth lags by 0.42 ms; at 0.01 ms by 0.03 ms: first order in dt).
    lag = spikes - reference
    assert np.all(lag >= -dt - 1e-9) and np.all(lag <= dt * np.arange(1, 6)), lag


def fitzhugh_nagumo(_, y, a=0.7, b=0.8, tau=12.5, current=0.5):
    v, w = y
    return [v - v**3 / 3 - w + current, (v + a - b * w) / tau]


def wilson_cowan(_, y):
    def response(x, a, theta):
        return 1 / (1 + np.exp(-a * (x - theta))) - 1 / (1 + np.exp(a * theta))
    e, i = y
    return [(-e + (1 - e) * response(16 * e - 12 * i + 1.25, 1.3, 4.0)) / 10,
            (-i + (1 - i) * response(15 * e - 3 * i, 2.0, 3.7)) / 10]


@pytest.mark.parametrize("neuron, variables, rhs, y0", [
    ("FitzHughNagumo", ("v", "w"), fitzhugh_nagumo, [-1.0, 1.0]),
    ("WilsonCowan", ("E", "I"), wilson_cowan, [0.1, 0.05])])
def test_standard_library_rate_neurons_follow_solve_ivp(neuron, variables, rhs, y0):
    monitors = "".join(f" monitor P.{name}\n" for name in variables)
    model = build(f'import "neurons.nfl"\nnetwork n {{\n population P[2] = {neuron}()\n'
                  f'{monitors}}}').model
    results = nf.compile(model, dt=0.05 * ms, dtype="float64").run(50 * ms)
    t = results.trace("P", variables[0])[0]
    # the trace holds the state at the start of each step
    reference = solve_ivp(rhs, (0, 50), y0, t_eval=t, method="LSODA", rtol=1e-11, atol=1e-12).y
    for name, expected in zip(variables, reference):
        ours = results.trace("P", name)[1]
        assert np.ptp(expected) > 0.05  # the reference moves: not a check of a resting state
        np.testing.assert_allclose(ours, np.stack([expected] * 2, axis=1), rtol=0, atol=1e-6)


# ---- errors -----------------------------------------------------------------------------------

def test_all_unknown_names_of_a_file_are_reported_at_once():
    text = LIF.replace("(El - v)/tau", "(El - v)/tua").replace("v > Vt", "v > V_t") + """
        network n {
            population P[2] = LIF()
            population Q[2] = LFI()
            monitor spikes R
        }
    """
    err = error_of(text)
    assert isinstance(err, ErrorList)
    messages = [e.message for e in err.errors]
    assert any("'tua'" in m for m in messages) and any("'V_t'" in m for m in messages)
    assert any("'LFI'" in m for m in messages) and any("'R'" in m for m in messages)
    assert all(e.loc is not None and e.loc.origin == "model.nfl" for e in err.errors)
    assert str(err).endswith(f"{len(err.errors)} errors")
    lines = [e.loc.line for e in err.errors]
    assert lines == sorted(lines)


def test_unit_errors_from_resolve_point_into_the_file():
    err = error_of(LIF.replace("(El - v)/tau", "(El - v + tau)/tau")
                   + "network n { population P[2] = LIF() }")
    assert err.loc.origin == "model.nfl"
    assert err.loc.source_line().strip() == "dv/dt = (El - v + tau)/tau : volt"
    assert err.loc.source_line()[err.loc.column - 1:].startswith("El - v + tau")


def test_parameter_cycles_are_reported():
    err = error_of(LIF.replace("Vt = -50*mV", "Vt = Vr").replace("Vr = -70*mV", "Vr = Vt")
                   + "network n { population P[2] = LIF() }")
    assert "circle" in err.message


def test_subexpression_cycles_point_at_the_first_of_them():
    err = error_of(LIF.replace("dv/dt = (El - v)/tau : volt",
                               "dv/dt = (El - v + I)/tau : volt\n        I = J*2 : volt\n"
                               "        J = I/2 : volt")
                   + "network n { population P[2] = LIF() }")
    assert "cycle" in err.message and "P.I -> P.J -> P.I" in err.message
    assert err.loc.origin == "model.nfl" and err.loc.source_line().strip() == "I = J*2 : volt"
    assert err.hint


def test_a_file_without_a_network_is_a_library():
    loaded = build(LIF)
    assert loaded.model is None and loaded.components == ("LIF",)


def test_a_library_reports_unknown_names_in_its_neurons():
    with pytest.raises(nf.ModelError, match="unknown name 'tua'"):
        build(LIF.replace("(El - v)/tau", "(El - v)/tua"))


# ---- the command line -------------------------------------------------------------------------

def test_cli_check_prints_a_summary(capsys):
    assert main(["check", str(EXAMPLES / "coba.nfl")]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "population P: 4000 neurons" in out and "projection excitatory" in out


def test_cli_check_reports_errors_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "bad.nfl"
    path.write_text(LIF.replace("(El - v)/tau", "(El - v)/tua")
                    + "network n { population P[2] = LIF() }")
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and "Traceback" not in out + err
    assert f"{path}:10:26: unknown name 'tua'" in err and "hint: did you mean 'tau'?" in err


def test_cli_ir_of_a_file(capsys):
    assert main(["ir", str(EXAMPLES / "lif_fi.nfl"), "--before-passes"]) == 0
    out = capsys.readouterr().out
    assert out == nf.ir.print(load_example("lif_fi")["model"])


def test_cli_runs_a_file_with_its_run_section(tmp_path, capsys):
    path = tmp_path / "small.nfl"
    path.write_text(LIF + "network n {\n population P[2] = LIF(El = -40*mV)\n monitor spikes P\n}\n"
                    "run { dt = 0.5*ms; duration = 20*ms; dtype = float64 }\n")
    out_file = tmp_path / "r.npz"
    assert main(["run", str(path), "--quiet", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "simulated 20 ms with dt = 0.5 ms (float64)" in out
    assert out_file.exists()


def test_cli_reports_a_library_without_a_network(capsys):
    assert main(["check", str(ROOT / "neuroflow" / "stdlib" / "synapses.nfl")]) == 0
    assert "a library" in capsys.readouterr().out
    assert main(["run", str(ROOT / "neuroflow" / "stdlib" / "synapses.nfl")]) == 1
    assert "no network" in capsys.readouterr().err


# ---- the examples of docs/language.md ----------------------------------------------------------

def _code_blocks(path) -> list[str]:
    """The ``` blocks without a language tag (the .nfl ones) of a markdown file."""
    found, current, keep = [], None, False
    for line in path.read_text().splitlines():
        if line.startswith("```") and current is None:
            current, keep = [], line == "```"
        elif line.startswith("```"):
            if keep:
                found.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


DOC_BLOCKS = _code_blocks(ROOT / "docs" / "language.md")


def _doc_block(start: str) -> str:
    return next(b for b in DOC_BLOCKS if b.startswith(start))


def test_docs_first_file_is_coba():
    text = _doc_block("# The COBA benchmark network")
    assert nf.ir.print(build(text).model) == nf.ir.print(load_example("coba")["model"])


def adex_euler_reference(duration: float, dt: float, current: float) -> np.ndarray:
    """Spike times (ms) of docs/language.md's AdEx by a plain float64 loop of what the docs say:
    Euler steps (in mV, ms, nS, pF, pA), v held while refractory (2 ms from the spike's step),
    threshold VT + 5*DeltaT, then v = Vr and w += b."""
    C, gL, EL, VT, DeltaT, tauw, a, b = 281.0, 30.0, -70.6, -50.4, 2.0, 144.0, 4.0, 80.5
    v, w, last, spikes = EL, 0.0, -np.inf, []
    for k in range(int(round(duration / dt))):
        t = k * dt
        refractory = t < last + 2.0
        dv = (gL * (EL - v) + gL * DeltaT * np.exp((v - VT) / DeltaT) - w + current) / C
        v, w = v if refractory else v + dt * dv, w + dt * (a * (v - EL) - w) / tauw
        if not refractory and v > VT + 5 * DeltaT:
            spikes.append(t)
            v, w, last = EL, w + b, t
    return np.array(spikes)


def test_docs_neuron_with_every_block_follows_a_plain_euler_loop():
    text = (_doc_block("neuron AdEx")
            + "\nnetwork n {\n population P[3] = AdEx(I = 1*nA)\n monitor spikes P\n}\n")
    results = nf.compile(build(text).model, dt=0.1 * ms, dtype="float64").run(100 * ms)
    reference = adex_euler_reference(100.0, 0.1, 1000.0)
    assert len(reference) >= 4  # adapting: the intervals grow
    assert np.all(np.diff(np.diff(reference)) > 0)
    t, i = results.spikes("P")
    for neuron in range(3):
        np.testing.assert_allclose(t[i == neuron], reference, atol=1e-9)


def test_docs_composition_and_network_examples_resolve():
    run_pipeline(build(_doc_block('import "hodgkin_huxley.nfl"\n\nneuron HodgkinHuxley')
                       + "\nnetwork n { population P[1] = HodgkinHuxley() }").model, "resolve")
    neuron = (EXAMPLES / "coba.nfl").read_text().split("network coba")[0]
    neuron = neuron.replace("taui = 10*ms", "taui = 10*ms\n        I_ext : amp").replace(
        "+ I) / taum", "+ I + I_ext*1*Mohm) / taum")
    run_pipeline(build(neuron + _doc_block("network coba {\n"
                                           "    population P[4000] = CobaLIF(I")).model, "resolve")


def test_readme_model_file_is_coba():
    text = next(b for b in _code_blocks(ROOT / "README.md") if b.startswith("neuron CobaLIF"))
    assert nf.ir.print(build(text).model) == nf.ir.print(load_example("coba")["model"])


def test_hh_file_equals_the_builder_with_the_flattened_names():
    """Composition is only naming: hh_channels.nfl is the builder's HH with its parts' names
    prefixed."""
    from neuroflow.units import cm2, mS, uA, uF
    net = nf.Network("hh")
    hh = net.population("HH", 1, equations="""
        dv/dt = (I_ext + Na_I + K_I + L_I) / C : volt
        Na_I = Na_g*Na_m**3*Na_h*(Na_E - v) : amp/meter**2
        dNa_m/dt = Na_alpha_m*(1 - Na_m) - Na_beta_m*Na_m : 1
        dNa_h/dt = Na_alpha_h*(1 - Na_h) - Na_beta_h*Na_h : 1
        Na_alpha_m = 1/exprel(-(v + 40*mV)/(10*mV)) / ms : Hz
        Na_beta_m = 4*exp(-(v + 65*mV)/(18*mV)) / ms : Hz
        Na_alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV)) / ms : Hz
        Na_beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV))) / ms : Hz
        K_I = K_g*K_n**4*(K_E - v) : amp/meter**2
        dK_n/dt = K_alpha_n*(1 - K_n) - K_beta_n*K_n : 1
        K_alpha_n = 0.1/exprel(-(v + 55*mV)/(10*mV)) / ms : Hz
        K_beta_n = 0.125*exp(-(v + 65*mV)/(80*mV)) / ms : Hz
        L_I = L_g*(L_E - v) : amp/meter**2
    """, params={"C": 1 * uF / cm2, "I_ext": 10 * uA / cm2, "Na_g": 120 * mS / cm2, "Na_E": 50 * mV,
                 "K_g": 36 * mS / cm2, "K_E": -77 * mV, "L_g": 0.3 * mS / cm2, "L_E": -54.4 * mV},
        init={"v": -65 * mV, "Na_m": 0.052932, "Na_h": 0.596121, "K_n": 0.317677}, method="rk4")
    net.monitor(hh, "v")
    assert nf.ir.print(load(EXAMPLES / "hh_channels.nfl").model) == nf.ir.print(net.build())


def test_the_builder_refuses_a_second_node_with_the_same_id():
    net = nf.Network("twice")
    handle = net.population("P", 2, "dv/dt = -v/(10*ms) : volt")
    net.monitor_spikes(handle)
    with pytest.raises(nf.ModelError, match="defined twice") as info:
        net.monitor_spikes(handle[0:1])
    assert "whole" in info.value.hint or "all the neurons" in info.value.hint
