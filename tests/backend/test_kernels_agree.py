"""Property: on random small networks every kernel that accepts the connectivity gives the
same summed input as `dense`, to float64 rounding."""
import jax
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS
from neuroflow.backend.jax._kernels import draw_synapses

SIZES = [1, 5, 32, 80]
RULES = {
    "fixed_prob": lambda draw, n_pre, n_post: nf.fixed_prob(draw(st.sampled_from([0.0, 1.0, 0.02,
                                                                                  0.3, 0.7]))),
    "fixed_fan_in": lambda draw, n_pre, n_post: nf.fixed_fan_in(draw(st.integers(0, n_pre))),
    "fixed_fan_out": lambda draw, n_pre, n_post: nf.fixed_fan_out(draw(st.integers(0, n_post))),
    "all_to_all": lambda draw, n_pre, n_post: nf.all_to_all(),
}


@st.composite
def networks(draw):
    # a few sizes, so that most examples reuse compiled shapes
    n_pre, n_post = draw(st.sampled_from(SIZES)), draw(st.sampled_from(SIZES))
    rule = RULES[draw(st.sampled_from(sorted(RULES)))](draw, n_pre, n_post)
    weight = draw(st.sampled_from([0.6, -1.5, ir.Normal(1.0, 0.5)]))
    node = ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule, weight,
                         ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")), 0.0, "auto")
    seed = draw(st.integers(0, 2**31))
    rate = draw(st.sampled_from([0.0, 0.05, 0.5, 1.0]))
    return node, seed, rate


def accepting(node, pre, post, weight):
    """`{kernel name: arrays}` for the kernels that can run these synapses (the fixed-structure
    kernels refuse other connectivity with a ValueError)."""
    built = {}
    for name, kernel in KERNELS.items():
        if getattr(kernel, "generates_synapses", False):  # draws its own synapses: not comparable
            continue
        try:
            built[name] = kernel.build(node, pre, post, weight, "float64")
        except ValueError:
            continue
    return built


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_every_kernel_agrees_with_dense(case):
    with jax.enable_x64(True):  # the kernels are called here directly, in float64
        check_kernels_agree(*case)


def check_kernels_agree(node, seed, rate):
    rng = np.random.default_rng(seed)
    pre, post, weight = draw_synapses(node, rng)
    built = accepting(node, pre, post, weight)
    assert {"dense", "event", "csr", "ell"} <= set(built)
    # some spikes, then all (the event kernel's pass over every synapse): one compilation per kernel
    spikes = (rng.random(node.pre.size) < rate, np.ones(node.pre.size, bool))
    results = {name: jax.jit(lambda arrays, a, b, kernel=KERNELS[name]:
                             (kernel.propagate(arrays, a, node),
                              kernel.propagate(arrays, b, node)))
               (arrays, *spikes) for name, arrays in built.items()}
    for name, got in results.items():
        for k in range(2):
            np.testing.assert_allclose(np.asarray(got[k]), np.asarray(results["dense"][k]),
                                       rtol=1e-12, atol=1e-12, err_msg=name)
