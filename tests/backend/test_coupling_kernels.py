"""Coupling kernels (summed variables): dense, csr and one_to_one against a numpy loop of the
same Euler steps, and against each other on random sparse connectivity."""
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.units import ms

DT, TAU, STEPS = 0.1, 5.0, 20
SUMMANDS = {  # summand -> its value per synapse in numpy, from w, x_pre and x_post
    "w*tanh(x_pre)": lambda w, xp, xq: w * np.tanh(xp),
    "w*x_pre": lambda w, xp, xq: w * xp,
    "w*(x_pre - x_post)": lambda w, xp, xq: w * (xp - xq),
    "w*tanh(x_pre - x_post)": lambda w, xp, xq: w * np.tanh(xp - xq),  # does not factor
    "x_pre*x_post + 0.1": lambda w, xp, xq: xp * xq + 0.1,  # no weight: each synapse counts 1
}


def network(summand: str, weights, kernel: str, connect=None, n: int = 6):
    net = nf.Network("coupled")
    G = net.population("G", n, "dx/dt = (-x + I)/tau : 1\nI : 1", method="euler",
                       params=dict(tau=TAU * ms), init=dict(x=np.linspace(-1.5, 1.2, n)))
    net.projection(G, G, model=f"w : 1\nI_post = {summand} : 1 (summed)", weights=weights,
                   kernel=kernel, connect=connect)
    net.monitor(G, "x")
    return net.build()


def run(model, steps: int = STEPS):
    sim = nf.compile(model, dt=DT * ms, dtype="float64")
    return sim, sim.run(steps * DT * ms).trace("G", "x")[1]


def euler(summand: str, W: np.ndarray, connected: np.ndarray, x: np.ndarray, steps: int = STEPS):
    """The same network in numpy: W[pre, post], `connected` marks the synapses."""
    rows = []
    for _ in range(steps):
        rows.append(x)
        per_synapse = SUMMANDS[summand](W, x[:, None], x[None, :])
        x = x + DT * (-x + np.where(connected, per_synapse, 0).sum(axis=0)) / TAU
    return np.array(rows)


@pytest.mark.parametrize("summand", SUMMANDS)
@pytest.mark.parametrize("kernel", ["dense", "csr", "ell"])
def test_all_to_all_matrix_matches_numpy(summand, kernel):
    W = np.random.default_rng(1).normal(size=(6, 6))
    sim, x = run(network(summand, W, kernel))
    assert f"kernel={kernel}" in sim.ir
    expected = euler(summand, W, np.ones((6, 6), bool), np.linspace(-1.5, 1.2, 6))
    assert np.abs(x - expected).max() < 1e-12


@pytest.mark.parametrize("summand", SUMMANDS)
def test_dense_and_csr_agree_on_random_sparse_connectivity(summand):
    n = 60
    traces = [run(network(summand, nf.normal(0, 0.3), kernel, nf.fixed_prob(0.2), n))[1]
              for kernel in ("dense", "csr", "ell")]
    assert np.abs(traces[0] - traces[1]).max() < 1e-12
    assert np.abs(traces[0] - traces[2]).max() < 1e-12
    assert np.abs(traces[0][-1] - traces[0][0]).max() > 1e-3  # the coupling moved something


@pytest.mark.parametrize("summand", SUMMANDS)
def test_one_to_one_matches_numpy(summand):
    w = np.linspace(0.5, 2.0, 6)
    sim, x = run(network(summand, w, "auto", ir.OneToOne()))
    assert "kernel=one_to_one" in sim.ir
    expected = euler(summand, np.diag(w), np.eye(6, dtype=bool), np.linspace(-1.5, 1.2, 6))
    assert np.abs(x - expected).max() < 1e-12


def test_couplings_onto_one_target_add_up_and_cover_only_their_neurons():
    """I of B[0:2] sums from A only, I of B[2:3] from A and from B itself; I of B[3:4] belongs
    to no coupling and keeps its initial value."""
    net = nf.Network("two")
    A = net.population("A", 3, "x : 1", init=dict(x=np.array([1.0, 2.0, 3.0])))
    B = net.population("B", 4, "y : 1\nI : 1", init=dict(y=np.array([0.5, 0.25, 2.0, 4.0]),
                                                          I=np.array([0.0, 0.0, 0.0, 7.0])))
    net.projection(A, B[0:3], model="w : 1\nI_post = w*x_pre : 1 (summed)", weights=0.5)
    net.projection(B[0:2], B[2:3], model="w : 1\nI_post = w*y_pre*y_post : 1 (summed)",
                   weights=2.0, kernel="csr")
    net.monitor(B, "I")
    sim = nf.compile(net.build(), dt=DT * ms, dtype="float64")
    _, summed = sim.run(2 * DT * ms).trace("B", "I")
    np.testing.assert_allclose(summed[0], [0.0, 0.0, 0.0, 7.0])  # recorded before the first sums
    np.testing.assert_allclose(summed[1], [3.0, 3.0, 3.0 + 2.0 * (0.5 + 0.25) * 2.0, 7.0])


def test_kernels_are_printed_with_costs_and_a_spike_kernel_is_refused():
    sim, _ = run(network("w*tanh(x_pre)", nf.normal(0, 0.3), "auto", nf.fixed_prob(0.1), 400), 1)
    line = next(line for line in sim.ir.splitlines() if line.startswith("coupling"))
    assert "kernel=" in line and "costs@cpu=[dense:" in line and "csr:" in line
    with pytest.raises(nf.ModelError, match="sums continuously.*not 'event'"):
        run(network("w*tanh(x_pre)", 0.5, "event"), 1)


@pytest.mark.parametrize("kernel", ["dense", "csr"])
def test_weights_from_an_expression_of_indices_and_neuron_values(kernel):
    """A ring: weights of the angle between the neurons and of their index distance."""
    n = 16
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    net = nf.Network("ring")
    G = net.population("G", n, "dx/dt = (-x + I)/tau : 1\nI : 1\ntheta : 1 (constant)",
                       params=dict(tau=TAU * ms, theta=theta), init=dict(x=np.cos(theta)),
                       method="euler")
    net.projection(G, G, model="w : 1\nI_post = w*x_pre : 1 (summed)", kernel=kernel,
                   weights="0.1*exp((cos(theta_pre - theta_post) - 1)/0.5) - 0.02*abs(i - j)/N_pre")
    net.monitor(G, "x")
    sim = nf.compile(net.build(), dt=DT * ms, dtype="float64")
    assert "w:float[]<1>={0.1*exp((cos(theta_pre - theta_post) - 1.0)/0.5)" in sim.ir
    index = np.arange(n)
    W = (0.1 * np.exp((np.cos(theta[:, None] - theta[None, :]) - 1) / 0.5)
         - 0.02 * np.abs(index[:, None] - index[None, :]) / n)
    expected = euler("w*x_pre", W, np.ones((n, n), bool), np.cos(theta))
    assert np.abs(sim.run(STEPS * DT * ms).trace("G", "x")[1] - expected).max() < 1e-12


def test_spike_weights_from_an_expression_of_indices():
    net = nf.Network("indexed")
    A = net.population("A", 3, threshold="True")
    B = net.population("B", 2, "v : volt")
    net.projection(A, B, "v += w", weights="(i + 10*j)*mV")
    net.monitor(B, "v")
    _, v = nf.compile(net.build(), dt=DT * ms, dtype="float64").run(2 * DT * ms).trace("B", "v")
    np.testing.assert_allclose(v[1], [0 + 1 + 2, 30 + 1 + 2 + 0])  # Σ_i (i + 10 j), in mV


def test_an_unknown_name_in_weights_is_located():
    net = nf.Network("bad")
    G = net.population("G", 3, "x : 1")
    with pytest.raises(nf.ModelError, match="unknown name 'k'") as caught:
        net.projection(G, G, model="w : 1\nx_post = w : 1 (summed)", weights="0.5*k")
    assert caught.value.hint and "i, j" in caught.value.hint


@pytest.mark.parametrize("rule", [nf.fixed_prob(0.2), nf.fixed_fan_out(5)])
def test_procedural_coupling_matches_numpy_on_the_synapses_it_generates(rule):
    """The procedural kernel regenerates its synapses from the seed every step: the same ones
    as the numpy reference of the procedural projections draws for its index."""
    from neuroflow.backend.jax._lower import COUPLING_INDEX
    from neuroflow.backend.jax._procedural import synapses
    n, seed = 40, 3
    model = network("w*(x_pre - x_post)", 0.3, "procedural", rule, n)
    sim = nf.compile(model, dt=DT * ms, dtype="float64")
    assert "kernel=procedural" in sim.ir
    x = sim.run(STEPS * DT * ms, seed=seed).trace("G", "x")[1]
    pre, post = synapses(model.get("G_to_G_0"), seed, COUPLING_INDEX)
    connected = np.zeros((n, n), bool)
    connected[pre, post] = True
    expected = euler("w*(x_pre - x_post)", np.full((n, n), 0.3), connected,
                     np.linspace(-1.5, 1.2, n))
    assert connected.sum() > n and np.abs(x - expected).max() < 1e-12


def test_a_parameter_that_gives_weights_cannot_change_in_a_run():
    net = nf.Network("k")
    A = net.population("A", 3, "x : 1\nk : 1 (constant)", params=dict(k=np.array([1.0, 2, 3])),
                       init=dict(x=1.0))
    net.projection(A, A, model="w : 1\nx_post = w : 1 (summed)", weights="k_pre")
    sim = nf.compile(net.build(), dt=DT * ms)
    with pytest.raises(nf.ModelError, match="'A.k' gives the weights"):
        sim.run(1 * ms, params={"A.k": np.array([5.0, 5, 5])})
    with pytest.raises(nf.ModelError, match="'A.k' gives the weights"):
        sim.sweep(1 * ms, {"A.k": [np.array([5.0, 5, 5]), np.array([7.0, 7, 7])]})


def test_specialized_parameters_stay_where_weights_and_plastic_synapses_read_them():
    net = nf.Network("k")
    A = net.population("A", 3, "x : 1\nk : 1 (constant, shared)\nh : 1 (constant, shared)",
                       params=dict(k=2.0, h=3.0), threshold="True")
    net.projection(A, A, model="w : 1\nx_post = w : 1 (summed)", weights="k_pre")
    B = net.population("B", 2, "g : 1\nE : 1 (constant, shared)", params=dict(E=4.0))
    net.projection(A, B, "g += w*E_post", model="w : 1", init=dict(w=1.0))
    pipeline = "resolve,canonicalize{specialize=true},factorize,integrate,kernels,schedule"
    sim = nf.compile(net.build(), dt=DT * ms, pipeline=pipeline)
    assert "param A.k" in sim.ir and "param B.E" in sim.ir and "param A.h" not in sim.ir
    final = sim.run(2 * DT * ms).final.state["pops"]
    np.testing.assert_allclose(final["A"]["x"], [6.0] * 3)  # Σ of k over 3 pre neurons
    np.testing.assert_allclose(final["B"]["g"], [2 * 3 * 4.0] * 2)  # 2 steps, 3 spikes, w*E


@pytest.mark.parametrize("weights, rule", [(nf.normal(0, 0.3), nf.fixed_prob(0.2)),
                                           (0.3, nf.all_to_all())])
def test_what_the_procedural_kernel_cannot_sum_is_a_model_error(weights, rule):
    with pytest.raises(nf.ModelError, match="cannot sum with the procedural kernel"):
        nf.compile(network("w*x_pre", weights, "procedural", rule, 20), dt=DT * ms)


def _sums_natively(sim, target: str) -> bool:
    import jax

    state, params, conn = sim.program.initial(0)
    step = jax.make_jaxpr(sim.program.step)(state, params, conn, sim.program.prepare(params))
    return target in str(step)


@pytest.mark.parametrize("n", [3, 9])
def test_a_dense_coupling_from_few_neurons_sums_without_a_matrix_product(n):
    """From at most FEW_PRE = 8 pre neurons the dense kernel multiplies and sums elementwise (XLA
    fuses it); from more it is one mat-vec; both match numpy."""
    import jax

    W = np.random.default_rng(2).normal(size=(n, n))
    sim, x = run(network("w*tanh(x_pre)", W, "dense", n=n))
    state, params, conn = sim.program.initial(0)
    step = str(jax.make_jaxpr(sim.program.step)(state, params, conn, sim.program.prepare(params)))
    assert ("dot_general" in step) == (n > 8)
    expected = euler("w*tanh(x_pre)", W, np.ones((n, n), bool), np.linspace(-1.5, 1.2, n))
    assert np.abs(x - expected).max() < 1e-12


@pytest.mark.parametrize("dtype,tolerance", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("kernel,call,connect", [
    ("csr", "NeuroflowCsrSum", nf.fixed_prob(0.12)), ("csr", "NeuroflowCsrSum", nf.all_to_all()),
    ("dense", "NeuroflowDenseSum", nf.fixed_prob(0.3)),
    ("dense", "NeuroflowDenseSum", nf.all_to_all())])
def test_native_sums_match_the_pure_jax_kernel_and_numpy(dtype, tolerance, kernel, call, connect):
    # 37 pre values per row: csr rows of many lengths (0 to ~12 synapses, and 37: not multiples
    # of its four partial sums); for dense, not a multiple of the kernel's lanes (16 floats, 8
    # doubles), of its two blocks of lanes, nor of its groups of four rows; weighted and
    # unweighted terms (the last summand counts each synapse once)
    from neuroflow.backend.jax import _native

    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    n, steps = 37, 30
    for summand in ("w*tanh(x_pre)", "w*(x_pre - x_post)", "0.02*x_pre*x_post + 0.01"):
        model = network(summand, nf.normal(0, 0.4), kernel, connect, n)
        traces = []
        for native in (True, False):
            sim = nf.compile(model, dt=DT * ms, dtype=dtype, native=native)
            assert _sums_natively(sim, call) == native
            if kernel == "dense":
                assert (" kernel=dense native " in sim.ir) == native  # the choice, in the IR
            traces.append(sim.run(steps * DT * ms).trace("G", "x")[1])
        assert np.abs(traces[0] - traces[1]).max() < tolerance
        assert np.abs(traces[0][-1] - traces[0][0]).max() > 1e-3
        if kernel == "dense" and summand in SUMMANDS:  # and the native sums against numpy's
            W, connected = _drawn_dense(sim)  # `sim`: the pure-JAX one, W laid out [pre, post]
            expected = euler(summand, W, connected, np.linspace(-1.5, 1.2, n), steps)
            assert np.abs(traces[0] - expected).max() < tolerance


def _drawn_dense(sim):
    """W [pre, post] and the synapses of a compiled network's dense coupling (pure-JAX layout)."""
    _, _, conn = sim.program.initial(0)
    arrays = {k: np.asarray(v) for k, v in conn["G_to_G_0"].items()}
    return arrays["weights"], arrays.get("counts", arrays["weights"]) != 0  # w = 0: none


def test_native_dense_sums_are_the_same_on_one_two_and_three_threads():
    """A coupling of 530 x 530 (above the size the kernel splits over the threads, in ranges
    of rows that are not all groups of four, every other step backward) gives the same traces
    to the last bit on any number of threads, and XLA's within float64 rounding."""
    from neuroflow.backend.jax import _native

    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    model = network("w*tanh(x_pre)", nf.normal(0, 0.1), "dense", nf.all_to_all(), 530)
    before, traces = _native.threads(), {}
    try:
        for threads in (1, 2, 3):
            _native.set_threads(threads)
            sim = nf.compile(model, dt=DT * ms, dtype="float64")
            traces[threads] = sim.run(STEPS * DT * ms).trace("G", "x")[1]
    finally:
        _native.set_threads(before)
    for threads in (2, 3):
        np.testing.assert_array_equal(traces[threads], traces[1])
    xla = nf.compile(model, dt=DT * ms, dtype="float64", native=False)
    assert np.abs(xla.run(STEPS * DT * ms).trace("G", "x")[1] - traces[1]).max() < 1e-12


def test_a_dense_coupling_onto_few_post_neurons_sums_natively():
    """Wang 2002's pools: 200 pre neurons summed into 3 (a tiny matrix XLA runs as a scalar
    loop) go to the native kernel from NATIVE_DENSE_PRE pre neurons on, and agree with XLA's
    product to float64 rounding; from fewer pre neurons XLA keeps them."""
    from neuroflow.backend.jax import _native
    from neuroflow.passes.kernels import NATIVE_DENSE_PRE

    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")

    def pools(n_pre):
        net = nf.Network("pools")
        G = net.population("G", n_pre, "dx/dt = -x/tau : 1", method="euler",
                           params=dict(tau=TAU * ms), init=dict(x=np.linspace(-1.5, 1.2, n_pre)))
        P = net.population("P", 3, "s : 1")
        net.projection(G, P, model="w : 1\ns_post = w*tanh(x_pre) : 1 (summed)",
                       weights=np.random.default_rng(4).normal(size=(n_pre, 3)))
        net.monitor(P, "s")
        return net.build()

    for n_pre, native in ((200, True), (NATIVE_DENSE_PRE - 1, False)):
        traces = []
        for allowed in (True, False):
            sim = nf.compile(pools(n_pre), dt=DT * ms, dtype="float64", native=allowed)
            assert _sums_natively(sim, "NeuroflowDenseSum") == (native and allowed)
            traces.append(sim.run(STEPS * DT * ms).trace("P", "s")[1])
        assert np.abs(traces[0] - traces[1]).max() < 1e-12
        assert np.abs(traces[0]).max() > 0.5
