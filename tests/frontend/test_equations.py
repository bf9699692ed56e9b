"""Brian2-style equation strings: comments, flags and the kinds of lines."""
import neuroflow as nf
from neuroflow.frontend import parse_equations
from tests.conftest import EXAMPLES


def test_comment_lines_and_trailing_comments_are_ignored():
    lines = parse_equations("""
        # the membrane
        dv/dt = (El - v)/tau : volt (unless refractory)  # leaky
        # a per-neuron parameter
        I : volt (constant)
    """, "test")
    assert [(line.kind, line.name) for line in lines] == [("ode", "v"), ("param", "I")]
    assert lines[0].flags == {"unless refractory"} and lines[0].loc.line == 3


def test_top_level_load_reads_a_model_file():
    model_file = nf.load(EXAMPLES / "lif_fi.nfl")
    assert isinstance(model_file.model, nf.ir.Model)
