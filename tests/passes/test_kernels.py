"""The `kernels` pass: the cost model's candidates, what it picks, and what users force."""
import jax
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS
from neuroflow.passes import run_pipeline
from neuroflow.runtime import _compile as compile_module
from neuroflow.passes.kernels import (KernelOptions, choose_kernel, constants, coupling_costs,
                                      predicted_costs)
from neuroflow.units import ms
from tests.conftest import load_example
from tests.passes.irtext import after, lines

COSTED = {"dense", "event", "csr", "ell"}


def projection(n_pre, n_post, rule, weight=0.5, kernel="auto"):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule, weight,
                         ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")), 0.0, kernel)


@pytest.mark.parametrize("native", [True, False])
def test_every_kernel_with_cost_terms_is_a_candidate_and_registered(native):
    costs = predicted_costs(projection(1000, 800, nf.fixed_prob(0.1)),
                            KernelOptions(native=native), 0.1)
    assert set(costs) == COSTED and COSTED <= set(KERNELS)
    assert all(c > 0 for c in costs.values())


@pytest.mark.parametrize("native", [True, False])
def test_auto_picks_only_kernels_with_cost_terms(native):
    cases = [(10, 10, 1.0, 1.0), (4000, 4000, 0.02, 10.0), (200, 200, 0.5, 5000.0),
             (50000, 50000, 0.001, 1.0)]
    for n_pre, n_post, p, rate in cases:
        node = projection(n_pre, n_post, nf.fixed_prob(p))
        assert choose_kernel(node, KernelOptions(rate=rate, native=native), 0.1) in COSTED


def test_a_sparse_quiet_network_gets_event_and_a_small_busy_one_dense():
    sparse = projection(4000, 4000, nf.fixed_prob(0.02))
    assert choose_kernel(sparse, KernelOptions(rate=10.0, native=False), 0.1) == "event"
    busy = projection(50, 50, nf.all_to_all(), weight=ir.Normal(1.0, 0.1))
    assert choose_kernel(busy, KernelOptions(rate=2000.0, native=False), 0.1) == "dense"


def test_training_leaves_the_event_kernel_out_unless_it_is_forced():
    sparse = projection(4000, 4000, nf.fixed_prob(0.02))
    options = KernelOptions(rate=10.0, native=False, training=True)
    assert choose_kernel(sparse, options, 0.1) in COSTED - {"event"}
    assert choose_kernel(sparse.replace(kernel="event"), options, 0.1) == "event"


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_any_registered_kernel_can_be_forced(kernel):
    node = projection(100, 100, nf.fixed_prob(0.1))
    assert choose_kernel(node, KernelOptions(default=kernel), 0.1) == kernel
    assert choose_kernel(node.replace(kernel=kernel), KernelOptions(), 0.1) == kernel


@pytest.mark.parametrize("kernel", ["csr", "ell"])
def test_coba_forced_to_csr_or_ell_prints_the_choice_and_all_costs(kernel):
    model = load_example("coba")["model"].add(ir.Clock(0.1))
    lowered = run_pipeline(model, "resolve,canonicalize,integrate,delays,"
                                  f"kernels{{default={kernel}}},schedule", verify_each=True)
    assert all(p.kernel == kernel and {k for k, _ in p.costs} == COSTED
               for p in lowered.find(ir.Projection))
    assert f"kernel={kernel}" in ir.print(lowered)


def test_coba_runs_the_same_spikes_with_csr_ell_and_event_parallel_as_with_event():
    model = load_example("coba")["model"]
    spikes = {}
    for kernel in ("event", "csr", "ell", "event_parallel"):
        pipeline = f"resolve,canonicalize,integrate,delays,kernels{{default={kernel}}},schedule"
        results = nf.compile(model, dt=0.1 * ms, dtype="float64", pipeline=pipeline,
                             native=False).run(50 * ms, seed=0)
        spikes[kernel] = results.spikes("P")
    for kernel in ("csr", "ell", "event_parallel"):
        for a, b in zip(spikes["event"], spikes[kernel]):
            assert (a == b).all()


# ---- text in, text out ---------------------------------------------------------------------------
# Projection lines are long: a backslash at the end of a line continues it.

PROJECTIONS = """\
neuroflow-ir 1
model kernels
population A size=1000 method=auto
state A.x : float[1000]<1> = 0.0
threshold A : x > 1.0
population B size=20 method=auto
state B.x : float[20]<1> = 0.0
threshold B : x > 1.0
projection sparse : A[0:1000] -> A[0:1000] connect=fixed_prob(0.1) w:float[]<1>=0.5 \
on_pre={x += w} delay=0.0 kernel=auto
projection busy : B[0:20] -> B[0:20] connect=all_to_all() w:float[]<1>=normal(0.5, 0.1) \
on_pre={x += w} delay=0.0 kernel=auto
projection late : B[0:20] -> B[0:20] connect=all_to_all() w:float[]<1>=normal(0.5, 0.1) \
on_pre={x += w} delay=uniform(0.0, 1.0) kernel=auto
projection mirror : A[0:20] -> B[0:20] connect=one_to_one() w:float[]<1>=0.5 \
on_pre={x += w} delay=0.0 kernel=auto
projection forced : A[0:1000] -> B[0:20] connect=fixed_prob(0.1) w:float[]<1>=0.5 \
on_pre={x += w} delay=0.0 kernel=csr
clock dt=0.1
"""

# - sparse: few of its 100000 synapses see a spike in a step: `event` is by far the cheapest;
# - busy: 20 x 20 with a weight per synapse: the 400-entry matrix product, `dense`, is cheapest;
# - late: busy again, but one delay per synapse, which only `event` schedules;
# - mirror: one-to-one with one weight: the kernel that needs no indices, costs aside;
# - forced: the user's `kernel=csr` stays, although `event` is predicted cheaper.
CHOSEN = """\
neuroflow-ir 1
model kernels
population A size=1000 method=auto
state A.x : float[1000]<1> = 0.0
threshold A : x > 1.0
population B size=20 method=auto
state B.x : float[20]<1> = 0.0
threshold B : x > 1.0
projection sparse : A[0:1000] -> A[0:1000] connect=fixed_prob(0.1) w:float[]<1>=0.5 \
on_pre={x += w} delay=0.0 kernel=event costs@cpu=[dense:140.0, event:1.12, csr:441.3, ell:486.0]
projection busy : B[0:20] -> B[0:20] connect=all_to_all() w:float[]<1>=normal(0.5, 0.1) \
on_pre={x += w} delay=0.0 kernel=dense costs@cpu=[dense:0.06, event:0.17, csr:3.06, ell:6.7]
projection late : B[0:20] -> B[0:20] connect=all_to_all() w:float[]<1>=normal(0.5, 0.1) \
on_pre={x += w} delay=uniform(0.0, 1.0) \
kernel=event costs@cpu=[dense:0.06, event:0.17, csr:3.06, ell:6.7]
projection mirror : A[0:20] -> B[0:20] connect=one_to_one() w:float[]<1>=0.5 \
on_pre={x += w} delay=0.0 kernel=one_to_one costs@cpu=[dense:0.06, event:0.17, csr:1.39, ell:5.55]
projection forced : A[0:1000] -> B[0:20] connect=fixed_prob(0.1) w:float[]<1>=0.5 \
on_pre={x += w} delay=0.0 kernel=csr costs@cpu=[dense:2.8, event:0.54, csr:10.1, ell:14.62]
clock dt=0.1
"""


def test_the_cost_model_picks_a_kernel_per_projection_and_a_forced_one_stays():
    assert after(PROJECTIONS, "kernels") == CHOSEN
    assert after(CHOSEN, "kernels") == CHOSEN


def test_the_printed_costs_are_the_fitted_constants_times_what_each_kernel_touches():
    # `sparse` at 10 Hz with dt = 0.1 ms: 1000*1000*0.1 = 1e5 synapses; 1000*10*1e-4 = 1 pre neuron
    # spikes per step and reaches 1e5*10*1e-4 = 100 synapses; `ell` pads the mean fan-in 100 to
    # 100 + 3*sqrt(100) = 130 slots per post neuron.  Each term: (fixed, then what it scales with).
    touched = {"dense": (1, 1000 * 1000), "event": (1, 1000, 1, 100), "csr": (1, 1000, 1e5),
               "ell": (1, 1000, 1000 * 130)}
    costs = ", ".join(f"{kernel}:{round(sum(c * x for c, x in zip(constants(True)[kernel], n)), 2)}"
                      for kernel, n in touched.items())
    sparse = lines(after(PROJECTIONS, "kernels"), "projection sparse")[0]
    assert sparse.endswith(f" kernel=event costs@cpu=[{costs}]")


def test_a_default_kernel_replaces_auto_but_not_what_a_projection_needs_or_asks_for():
    out = after(PROJECTIONS, "kernels{default=ell}")
    kernels = [line.split(" kernel=")[1].split()[0] for line in lines(out, "projection")]
    assert kernels == ["ell", "ell", "event", "ell", "csr"]  # late needs event, forced asks for csr


def test_a_kernel_forced_on_a_projection_with_a_delay_per_synapse_must_be_event():
    text = PROJECTIONS.replace("uniform(0.0, 1.0) kernel=auto", "uniform(0.0, 1.0) kernel=csr")
    with pytest.raises(ir.ModelError, match="'late' has one delay per synapse, which only the"):
        after(text, "kernels")


# ---- the kind of device --------------------------------------------------------------------------
GPU_CASES = [(10, 10, 1.0, 1.0), (1000, 1000, 0.1, 10.0), (4000, 4000, 0.02, 10.0),
             (200, 200, 0.5, 5000.0), (64000, 64000, 80 / 64000, 10.0)]


@pytest.mark.parametrize("device", ["gpu", "tpu"])
def test_on_an_accelerator_the_loop_over_spikes_is_never_picked(device):
    for n_pre, n_post, p, rate in GPU_CASES:
        node = projection(n_pre, n_post, nf.fixed_prob(p))
        costs = predicted_costs(node, KernelOptions(rate=rate, device=device), 0.1)
        assert set(costs) == COSTED | {"event_parallel"}
        assert choose_kernel(node, KernelOptions(rate=rate, device=device), 0.1) != "event"


def test_on_a_gpu_a_large_quiet_network_gets_the_parallel_event_kernel():
    # 64k neurons, fan-in 80, 10 Hz: 5.1M synapses, ~512 of them reached per step
    node = projection(64000, 64000, nf.fixed_prob(80 / 64000))
    assert choose_kernel(node, KernelOptions(rate=10.0, device="gpu"), 0.1) == "event_parallel"
    assert choose_kernel(node, KernelOptions(rate=10.0, device="cpu"), 0.1) == "event"
    training = KernelOptions(rate=10.0, device="gpu", training=True)
    assert choose_kernel(node, training, 0.1) not in ("event", "event_parallel")


COUPLED = """\
neuroflow-ir 1
model coupled
population R size=100 method=auto
state R.r : float[100]<1> = 0.0
coupling gap : R[0:100] -> R[0:100] connect=fixed_prob(0.1) w:float[]<1>=0.5 summed I = {w*r_pre} \
terms=[{1.0} w {r_pre}] kernel=auto
"""


def test_native_kernels_count_only_on_a_cpu():
    assert constants(True, "gpu") == constants(False, "gpu")
    assert constants(True, "cpu") != constants(False, "cpu")
    coupling = ir.parse_text(COUPLED).get("gap")
    assert (coupling_costs(coupling, KernelOptions(native=True, device="gpu"))
            == coupling_costs(coupling, KernelOptions(native=False, device="gpu")))


def test_the_device_is_printed_with_the_costs_and_reads_back():
    out = after(PROJECTIONS, "kernels{device=gpu}")
    # `late`, 20 x 20 all_to_all at 10 Hz, dt 0.1 ms: 400 synapses, 0.02 spikes and 0.4 synapses
    # reached per step; with GPU's constants: dense 4 + 400e-6, event 16 + 20e-6 + 0.02*12 +
    # 0.4*1.5e-5, event_parallel 16 + 20*2e-6 + 20e-6 + 0.4*4e-5, csr 4 + 20e-6 + 400*1.5e-5, ell
    # 4 + 20e-6 + 400*8e-6; one delay per synapse: the cheaper of the two event kernels
    late = lines(out, "projection late")[0]
    assert late.endswith("kernel=event_parallel costs@gpu=[dense:4.0, event:16.24,"
                         " event_parallel:16.0, csr:4.01, ell:4.0]")
    assert all(" costs@gpu=[" in line for line in lines(out, "projection"))
    assert after(out, "kernels{device=gpu}") == out


def test_an_unknown_kind_of_device_is_refused_with_the_known_ones():
    with pytest.raises(ir.ModelError, match="no cost model for devices of kind 'fpga'") as error:
        after(PROJECTIONS, "kernels{device=fpga}")
    assert "cpu, gpu, tpu" in str(error.value)


def test_compile_predicts_costs_for_the_device_jax_runs_on_and_the_pipeline_overrides_it(
        monkeypatch):
    model = load_example("coba")["model"]
    sim = nf.compile(model, dt=0.1 * ms)
    assert all(p.cost_device == jax.devices()[0].platform for p in sim.model.find(ir.Projection))
    # as on a machine whose JAX runs on a GPU: compile hands the kernels pass that table
    monkeypatch.setattr(compile_module, "device_kind", lambda: "gpu")
    on_gpu = nf.compile(model, dt=0.1 * ms)
    assert {(p.kernel, p.cost_device) for p in on_gpu.model.find(ir.Projection)} == {("ell", "gpu")}
    pipeline = nf.passes.DEFAULT_PIPELINE.replace("kernels", "kernels{device=tpu}")
    forced = nf.compile(model, dt=0.1 * ms, pipeline=pipeline)
    assert {p.cost_device for p in forced.model.find(ir.Projection)} == {"tpu"}
    assert "costs@tpu=[" in ir.print(forced.model)
