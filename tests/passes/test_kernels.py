"""The `kernels` pass: the cost model's candidates, what it picks, and what users force."""
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS
from neuroflow.passes import run_pipeline
from neuroflow.passes.kernels import KernelOptions, choose_kernel, predicted_costs
from neuroflow.units import ms
from tests.conftest import load_example

COSTED = {"dense", "event", "csr", "ell"}


def projection(n_pre, n_post, rule, weight=0.5, kernel="auto"):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule, weight,
                         ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")), 0.0, kernel)


@pytest.mark.parametrize("native", [True, False])
def test_every_kernel_with_cost_terms_is_a_candidate_and_registered(native):
    costs = predicted_costs(projection(1000, 800, nf.fixed_prob(0.1)), KernelOptions(native=native), 0.1)
    assert set(costs) == COSTED and COSTED <= set(KERNELS)
    assert all(c > 0 for c in costs.values())


@pytest.mark.parametrize("native", [True, False])
def test_auto_picks_only_kernels_with_cost_terms(native):
    cases = [(10, 10, 1.0, 1.0), (4000, 4000, 0.02, 10.0), (200, 200, 0.5, 5000.0), (50000, 50000, 0.001, 1.0)]
    for n_pre, n_post, p, rate in cases:
        node = projection(n_pre, n_post, nf.fixed_prob(p))
        assert choose_kernel(node, KernelOptions(rate=rate, native=native), 0.1) in COSTED


def test_a_sparse_quiet_network_gets_event_and_a_small_busy_one_dense():
    sparse = projection(4000, 4000, nf.fixed_prob(0.02))
    assert choose_kernel(sparse, KernelOptions(rate=10.0, native=False), 0.1) == "event"
    busy = projection(50, 50, nf.all_to_all(), weight=ir.Normal(1.0, 0.1))
    assert choose_kernel(busy, KernelOptions(rate=2000.0, native=False), 0.1) == "dense"


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_any_registered_kernel_can_be_forced(kernel):
    node = projection(100, 100, nf.fixed_prob(0.1))
    assert choose_kernel(node, KernelOptions(default=kernel), 0.1) == kernel
    assert choose_kernel(node.replace(kernel=kernel), KernelOptions(), 0.1) == kernel


@pytest.mark.parametrize("kernel", ["csr", "ell"])
def test_coba_forced_to_csr_or_ell_prints_the_choice_and_all_costs(kernel):
    model = load_example("coba")["model"].add(ir.Clock(0.1))
    lowered = run_pipeline(model, f"resolve,canonicalize,integrate,delays,kernels{{default={kernel}}},schedule",
                           verify_each=True)
    assert all(p.kernel == kernel and {k for k, _ in p.costs} == COSTED for p in lowered.find(ir.Projection))
    assert f"kernel={kernel}" in ir.print(lowered)


def test_coba_runs_the_same_spikes_with_csr_and_ell_as_with_event():
    model = load_example("coba")["model"]
    spikes = {}
    for kernel in ("event", "csr", "ell"):
        pipeline = f"resolve,canonicalize,integrate,delays,kernels{{default={kernel}}},schedule"
        results = nf.compile(model, dt=0.1 * ms, dtype="float64", pipeline=pipeline, native=False).run(50 * ms, seed=0)
        spikes[kernel] = results.spikes("P")
    for kernel in ("csr", "ell"):
        for a, b in zip(spikes["event"], spikes[kernel]):
            assert (a == b).all()
