"""Small models with closed-form answers, written in the model language."""
import neuroflow as nf


def one_neuron(equations: str, parameters: str = "", initial: str = "",
               events: str = "") -> nf.ir.Model:
    """A population of one neuron of the given equations (unitless)."""
    text = f"""
neuron N {{
    parameters {{
{parameters}
    }}
    equations {{
{equations}
    }}
    initial {{
{initial}
    }}
{events}
}}
network n {{
    population P[1] = N()
}}
"""
    return nf.load_text(text).model


def linear(matrix, center=(1.0, -2.0)):
    """dx/dt = A (x - center) in two dimensions."""
    (a, b), (c, d) = matrix
    x0, y0 = center
    return one_neuron(f"        dx/dt = {a}*(x - {x0}) + {b}*(y - {y0}) : 1\n"
                      f"        dy/dt = {c}*(x - {x0}) + {d}*(y - {y0}) : 1")


FITZHUGH_NAGUMO = ("        dV/dt = V - V**3/3 - w + I : 1\n"
                   "        dw/dt = (V + 0.7 - 0.8*w)/12.5 : 1", "        I = 0.5")
