"""Summed variables in the .nfl language: a synapse with `(summed)` lines and no on_pre reaches
the IR through the builder's continuous projections (the same IR as a builder script), runs
Brian2's gap-junction example and rate network as Brian2 does, and its mistakes are reported
at their place in the file."""
import shutil
import textwrap

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.cli import main
from neuroflow.frontend import load, load_text
from neuroflow.passes import run_pipeline
from neuroflow.units import ms
from tests.conftest import EXAMPLES, ROOT
from tests.frontend.test_dsl import _doc_block

BRIAN2 = ROOT / "tests" / "brian2" / "coupling_reference.npz"


def gap_junctions_by_builder() -> nf.ir.Model:
    """examples/gap_junctions.nfl, written with the Python builder."""
    net = nf.Network("gap_junctions")
    N = net.population("N", 10, "dv/dt = (v0 - v + Igap)/tau : 1\nv0 : 1 (constant)\nIgap : 1",
                       threshold="v > 1", reset="v = 0", params=dict(tau=10 * ms, v0=1.05),
                       init=dict(v=np.arange(10) / 9), method="exact")
    net.projection(N, N, model="w : 1\nIgap_post = w*(v_pre - v_post) : 1 (summed)",
                   weights=0.02, connect=nf.ir.AllToAll(), name="gap")
    net.monitor_spikes(N)
    net.monitor(N, "v", indices=[0, 5])
    return net.build()


# ---- the examples ---------------------------------------------------------------------------

def test_gap_junction_file_and_builder_give_identical_ir():
    from_file = load(EXAMPLES / "gap_junctions.nfl").model
    assert nf.ir.print(from_file) == nf.ir.print(gap_junctions_by_builder())
    after = run_pipeline(from_file, verify_each=True)
    assert nf.ir.print(after) == nf.ir.print(run_pipeline(gap_junctions_by_builder()))


def test_gap_junction_example_spikes_as_brian2():
    """Brian2's counts [12, 12, 12, 12, 12, 12, 12, 13, 13, 13], spike for spike."""
    ref = np.load(BRIAN2)
    file = load(EXAMPLES / "gap_junctions.nfl")
    settings = file.settings
    results = nf.compile(file.model, dt=settings.dt, dtype=settings.dtype).run(settings.duration)
    times, neurons = results.spikes("N")
    np.testing.assert_array_equal(np.bincount(neurons, minlength=10), ref["gap_counts"])
    order, ref_order = np.lexsort((neurons, times)), np.lexsort((ref["gap_spike_i"],
                                                                 ref["gap_spike_t"]))
    np.testing.assert_array_equal(neurons[order], ref["gap_spike_i"][ref_order])
    np.testing.assert_allclose(times[order], ref["gap_spike_t"][ref_order], atol=1e-9)
    _, v = results.trace("N", "v")
    np.testing.assert_allclose(v, ref["gap_v"], atol=1e-6)  # the reference is float32


def test_rate_network_of_the_example_follows_brian2(tmp_path):
    """The example's unit and synapse, with Brian2's 100 units, weights and start."""
    ref = np.load(BRIAN2)
    shutil.copy(EXAMPLES / "rate_rnn.nfl", tmp_path)
    np.save(tmp_path / "W.npy", ref["rate_rnn_W"])
    np.save(tmp_path / "x0.npy", ref["rate_rnn_x0"])
    file = load_text(textwrap.dedent("""
        import "rate_rnn.nfl"
        network brian2_case {
            population R[100] = RateUnit(x = load("x0.npy"))
            projection recurrent: R -> R {
                synapse: Recurrent()
                weights: load("W.npy")
            }
            monitor R.x[0:20]
        }
        run brian2_case { dt = 0.1*ms; duration = 50*ms; dtype = float64 }
        """), "case.nfl", tmp_path)
    results = nf.compile(file.model, dt=0.1 * ms, dtype="float64").run(50 * ms)
    _, x = results.trace("R", "x")
    np.testing.assert_allclose(x, ref["rate_rnn_x"], atol=1e-6)  # the reference is float32


def test_rate_rnn_example_is_chaotic():
    """x keeps fluctuating with an amplitude of order 1, and two starts 1e-8 apart move apart
    (a stable network, g < 1, would bring them together)."""
    model = load(EXAMPLES / "rate_rnn.nfl").model
    x = model.find(nf.ir.StateVar, "R")[0]
    assert x.name == "x"
    start = np.random.default_rng(0).uniform(-1, 1, 1000)
    runs = [nf.compile(model.replace(x.replace(init=tuple(x0))), dt=0.1 * ms,
                       dtype="float64").run(600 * ms, seed=1) for x0 in (start, start + 1e-8)]
    t, trace = runs[0].trace("R", "x")
    late = trace[t > 300]
    assert np.all(late.std(axis=0) > 0.2) and np.abs(late).max() > 0.8
    distance = np.abs(runs[1].trace("R", "x")[1] - trace).max(axis=1)
    assert distance[t > 500].max() > 10 * distance[t < 10].max()  # measured: 50 times


def test_the_example_of_the_docs_is_the_gap_junction_example():
    from_docs = build(_doc_block("neuron Leaky")).model
    from_file = load(EXAMPLES / "gap_junctions.nfl").model
    unmonitored = [line for line in nf.ir.print(from_file).splitlines()
                   if not line.startswith("monitor")]
    assert nf.ir.print(from_docs).splitlines() == unmonitored


def test_cli_checks_the_gap_junction_example(capsys):
    assert main(["check", str(EXAMPLES / "gap_junctions.nfl")]) == 0
    printed = capsys.readouterr().out
    assert "1 coupling" in printed and "summed Igap = {w*(v_pre - v_post)}" in printed


# ---- how a projection gives weights, views and parts ------------------------------------------

NEURON = """
neuron Leaky {
    parameters {
        tau = 10*ms
    }
    equations {
        dv/dt = (1.05 - v + Igap)/tau : 1
        Igap : 1
    }
    threshold: v > 1
    reset: v = 0
}
"""

GAP = """
synapse Gap {
    equations {
        w : 1
        Igap_post = w*(v_pre - v_post) : 1 (summed)
    }
}
"""


def build(text: str) -> nf.frontend.ModelFile:
    return load_text(textwrap.dedent(text), "model.nfl")


def network(projection: str, synapse: str = GAP) -> str:
    return NEURON + synapse + f"""
network n {{
    population P[4] = Leaky()
    projection gap: P -> P {{
        {projection}
    }}
}}
"""


def test_weights_come_from_weights_or_from_initial():
    printed = {nf.ir.print(build(network(f"synapse: Gap()\n{item}")).model)
               for item in ("weights: 0.02", "initial { w = 0.02 }")}
    assert len(printed) == 1 and "w:float[]<1>=0.02 summed Igap" in printed.pop()


def test_parameters_become_constants_and_a_kernel_can_be_chosen():
    synapse = GAP.replace("w*(v_pre - v_post)", "k*w*(v_pre - v)").replace(
        "    equations", "    parameters {\n        k = 2\n    }\n    equations")
    model = build(network("synapse: Gap(k = 3)\nweights: 0.1\nkernel: csr", synapse)).model
    (coupling,) = model.find(nf.ir.Coupling)
    assert nf.ir.to_text(coupling.summand) == "3.0*w*(v_pre - v_post)"
    assert coupling.kernel == nf.ir.Kernel.CSR


def test_projections_onto_one_target_add_up():
    """Two projections from halves of P give what one projection with both weights gives."""
    split = NEURON + GAP + """
    network n {
        population P[4] = Leaky(v = [0, 0.3, 0.6, 0.9])
        projection a: P[:2] -> P { synapse: Gap(); weights: 0.1 }
        projection b: P[2:] -> P { synapse: Gap(); weights: 0.2 }
        monitor P.v
    }
    """
    matrix = str([[0.1] * 4] * 2 + [[0.2] * 4] * 2)  # [pre, post]
    whole = split.replace("a: P[:2] -> P { synapse: Gap(); weights: 0.1 }",
                          f"a: P -> P {{ synapse: Gap(); weights: {matrix} }}").replace(
        "        projection b: P[2:] -> P { synapse: Gap(); weights: 0.2 }\n", "")
    assert [len(build(text).model.find(nf.ir.Coupling)) for text in (split, whole)] == [2, 1]
    traces = [nf.compile(build(text).model, dt=0.1 * ms, dtype="float64").run(50 * ms).trace(
        "P", "v")[1] for text in (split, whole)]
    np.testing.assert_allclose(traces[0], traces[1], rtol=1e-12, atol=1e-12)


def test_views_and_names_of_parts():
    model = build("""
        channel Gate {
            equations { dg/dt = -g/(5*ms) : 1 }
        }
        neuron Cell {
            equations { dv/dt = (I + gate.g - v)/(10*ms) : 1; I : 1 }
            gate = Gate()
        }
        synapse S {
            equations {
                w : 1
                I_post = w*(gate.g_pre - gate.g) : 1 (summed)
            }
        }
        network n {
            population P[20] = Cell()
            view left = P[:10]
            projection c: left -> P[10:] { synapse: S(); weights: 0.5 }
        }
        """).model
    (coupling,) = run_pipeline(model, "resolve").find(nf.ir.Coupling)
    assert nf.ir.to_text(coupling.summand) == "w*(gate_g_pre - gate_g_post)"
    assert (coupling.pre, coupling.post) == (nf.ir.PopSlice("P", 0, 10),
                                             nf.ir.PopSlice("P", 10, 20))


# ---- mistakes, at their place ------------------------------------------------------------------

def place(text: str, line_part: str, word: str) -> tuple[int, int]:
    """The line (1-based) of `text` holding `line_part`, and the column of `word` in it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line_part in line:
            return number, line.index(word) + 1
    raise AssertionError(f"{line_part!r} is not in the text")


SUMMED_LINE = "Igap_post = w*(v_pre - v_post) : 1 (summed)"
MISTAKES = {
    "summed lines and on_pre": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("    }\n}", "    }\n"
                                                              "    on_pre { v += w }\n}")),
        ("on_pre { v += w }", "v += w"), ["has summed variables ('Igap_post'", "and an on_pre"],
        "two synapses"),
    "a summed line in a neuron": (
        network("synapse: Gap()\nweights: 0.02").replace(
            "        Igap : 1\n", f"        Igap : 1\n        {SUMMED_LINE}\n", 1),
        (SUMMED_LINE, "Igap_post"), ["'Igap_post' of neuron 'Leaky' is (summed)"],
        "move the line into a synapse"),
    "an unknown pre name": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("v_pre", "u_pre")),
        ("u_pre - v_post", "u_pre"), ["unknown name 'u_pre' in the summand"], "v_pre"),
    "an unknown name of a part": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("v_pre", "exc.g_pre")),
        ("exc.g_pre - v_post", "exc.g_pre"), ["unknown name 'exc.g_pre'", "has no 'exc.g'"],
        "summand reads w"),
    "an unknown bare name": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("v_post", "vv")),
        ("v_pre - vv", "vv"), ["unknown name 'vv'", "the post neuron (neuron 'Leaky')"],
        "did you mean 'v'"),
    "a target with a differential equation": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("Igap_post", "v_post")),
        ("v_post = w*", "v_post"), ["sums into 'v', which has a differential equation"],
        "declare it as 'v : 1'"),
    "a target that is a parameter": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("Igap_post", "tau_post")),
        ("tau_post = w*", "tau_post"), ["sums into 'tau', which is a parameter"],
        "declare it as"),
    "a target of a part": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("Igap_post", "exc.g_post")),
        ("exc.g_post", "."), ["cannot declare a name of a part"], "not of a part"),
    "a unit mismatch in the summand": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("v_post)", "1*mV)")),
        ("v_pre - 1*mV", "v_pre"), ["unit mismatch", "'v_pre' is in 1"], "same units"),
    "a summand in the wrong unit": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace("v_post)", "v_post)*mV")),
        (SUMMED_LINE.replace(")", ")*mV", 1), "Igap_post"), ["sums values in mV into 'Igap'"],
        "units of its target"),
    "a summed line declared in another unit than its target": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace(": 1 (summed)", ": volt (summed)")),
        ("(summed)", "Igap_post"), ["'Igap_post' of projection 'gap' is declared in mV",
                                    "'Igap' of 'P' is in 1"], "units of its target"),
    "two summed lines into one target": (
        network("synapse: Gap()\nweights: 0.02", GAP.replace(
            f"{SUMMED_LINE}\n", f"{SUMMED_LINE}\n        Igap_post = w*v_pre : 1 (summed)\n")),
        ("Igap_post = w*v_pre", "Igap_post"), ["'Igap_post' is declared twice"],
        "one summed line per target"),
    "no weights": (
        network("synapse: Gap()"), ("projection gap", "projection"),
        ["projection 'gap' has no weights"], "weights"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_is_reported_at_its_place(name):
    text, (line_part, word), fragments, hint = MISTAKES[name]
    with pytest.raises(nf.NeuroflowError) as info:
        run_pipeline(build(text).model, "resolve")
    err = info.value
    text = textwrap.dedent(text)
    assert (err.loc.origin, (err.loc.line, err.loc.column)) == ("model.nfl",
                                                                place(text, line_part, word)), err
    assert all(fragment in err.message for fragment in fragments), err
    assert hint in err.hint, err
    assert str(err).splitlines()[0].startswith(f"model.nfl:{err.loc.line}:{err.loc.column}: ")


def test_a_librarys_synapse_is_checked_without_a_network(tmp_path, capsys):
    library = tmp_path / "gap.nfl"
    library.write_text(textwrap.dedent(GAP))
    assert main(["check", str(library)]) == 0
    library.write_text(textwrap.dedent(GAP.replace("    }\n}", "    }\n    on_post { w += 1 }\n}")))
    assert main(["check", str(library)]) == 1
    assert "has summed variables ('Igap_post', line 5) and an on_post" in capsys.readouterr().err
