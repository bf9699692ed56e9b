"""The native kernels on several threads (`native/pool.h`): a large step splits its procedural
projections and its population updates over the threads.  Whatever the number of threads, the
results must be the same to the last bit, and still agree with the synapses the numpy reference
generates.  The sizes are above the kernels' thresholds for splitting (16384 synapses in a call,
8192 post neurons per part; a population update that takes 10 us or more on one thread)."""
import jax
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import KERNELS, _native
from neuroflow.backend.jax._procedural import synapses
from neuroflow.units import mV, ms

PROCEDURAL = KERNELS["procedural"]


@pytest.fixture
def set_threads():
    if not _native.available():
        pytest.skip("no C++ compiler: the native kernels are not built")
    before = _native.threads()
    yield _native.set_threads
    _native.set_threads(before)


def projection(n_pre, n_post, rule, weight):
    return ir.Projection("p", ir.PopSlice("A", 0, n_pre), ir.PopSlice("B", 0, n_post), rule,
                         weight, ir.Type("float", ()), ir.Statement("x", "+=", ir.Ref("w")),
                         0.0, "procedural")


@pytest.mark.parametrize("rule", [nf.fixed_prob(0.012), nf.fixed_fan_out(150)],
                         ids=["fixed_prob", "fixed_fan_out"])
@pytest.mark.usefixtures("x64")  # the float64 kernel's arrays
def test_a_large_projection_sums_the_same_on_one_two_and_three_threads(rule, set_threads):
    node = projection(3000, 20000, rule, 0.37)
    seed, index = 11, 1
    pre, post = synapses(node, seed, index)
    rng = np.random.default_rng(3)
    for dtype in ("float32", "float64"):
        arrays = PROCEDURAL.build(node, None, None, None, dtype, seed=seed, index=index)
        kernel = jax.jit(lambda s, arrays=arrays: PROCEDURAL.propagate(arrays, s, node,
                                                                       native=True))
        for fraction in (0.003, 0.05, 0.4):
            spikes = rng.random(node.pre.size) < fraction
            counts = np.bincount(post[spikes[pre]], minlength=node.post.size)
            sums = {}
            for threads in (1, 2, 3):
                set_threads(threads)
                sums[threads] = np.asarray(kernel(spikes))
            # every synapse adds the same weight: the count of a target's synapses times it
            np.testing.assert_allclose(sums[1], counts * 0.37, rtol=1e-5 if dtype == "float32"
                                       else 1e-13)
            for threads in (2, 3):
                np.testing.assert_array_equal(sums[threads], sums[1])


def large_coba(n=50_000, fan_in=400):
    """COBA at n neurons with `fan_in` procedural synapses onto each, weights scaled so that the
    input stays that of fan-in 80: enough synapses per step for the kernels to split them."""
    net = nf.Network("coba")
    P = net.population("P", n, equations="""
        dv/dt  = (ge*(Ee - v) + gi*(Ei - v) + (El - v) + I) / taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
        dgi/dt = -gi / taui : 1
    """, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
        params=dict(taum=20 * ms, Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, I=20 * mV,
                    Vt=-50 * mV, Vr=-60 * mV, taue=5 * ms, taui=10 * ms),
        init=dict(v=nf.normal(-55 * mV, 2 * mV)))
    scale = 80 / fan_in
    net.projection(P[:4 * n // 5], P, on_pre=f"ge += {0.6 * scale}",
                   connect=nf.fixed_prob(fan_in / n), kernel="procedural", name="excitatory")
    net.projection(P[4 * n // 5:], P, on_pre=f"gi += {6.7 * scale}",
                   connect=nf.fixed_prob(fan_in / n), kernel="procedural", name="inhibitory")
    net.monitor_spikes(P)
    # neurons at the edges of the stretches the update is split into on 2 and 3 threads (4 per
    # thread, of a multiple of 64 neurons: 6272 and 4224)
    net.monitor(P, "v", indices=[0, 4223, 4224, 6271, 6272, 8447, 8448, 12543, 12544, n - 1])
    return net.build()


def test_a_large_network_gives_the_same_spikes_and_traces_on_one_and_two_threads(set_threads):
    sim = nf.compile(large_coba(), dt=0.1 * ms, dtype="float32")
    assert sim.program.native
    runs = {}
    for threads in (1, 2, 3):
        set_threads(threads)
        runs[threads] = sim.run(30 * ms, seed=5)
    spikes = runs[1].spikes("P")
    assert len(spikes[0]) > 1000  # the network is active: the kernels have synapses to split
    for threads in (2, 3):
        for a, b in zip(runs[threads].spikes("P"), spikes):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(runs[threads].trace("P", "v")[1],
                                      runs[1].trace("P", "v")[1])


def test_a_program_over_several_devices_gives_each_its_share_of_the_threads(set_threads):
    set_threads(4)
    with _native.threads_shared_by(2):
        assert _native.threads() == 2
        with _native.threads_shared_by(3):  # never below one
            assert _native.threads() == 1
        assert _native.threads() == 2
    assert _native.threads() == 4
    with _native.threads_shared_by(1):
        assert _native.threads() == 4
    with pytest.raises(KeyError), _native.threads_shared_by(4):  # restored on the way out too
        raise KeyError("stop")
    assert _native.threads() == 4


def test_the_pool_backs_off_while_a_helper_loses_its_core(set_threads):
    """A call whose helper took a task and then lost its core (here: slept 20 ms) for longer than
    the caller would have taken alone runs the next calls on the caller alone (`pool.h`'s back-off):
    on a loaded machine waiting for a descheduled helper costs more than the second thread gains."""
    import ctypes

    set_threads(2)
    library = _native._POOLED[0]
    probe = library.NeuroflowProbePool
    probe.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    workers = np.full(8, -1, np.int32)

    def call(helper_sleep_us: int) -> set:
        workers[:] = -1
        probe(8, 200_000, helper_sleep_us, workers.ctypes.data)  # 8 tasks of 0.2 ms
        assert (workers >= 0).all()
        return set(workers.tolist())

    # until a helper takes a task (it wakes within the first task on an idle machine)
    helped = next((True for _ in range(50) if call(20_000) != {0}), False)
    if not helped:
        pytest.skip("no helper was scheduled in time on this machine")
    # the next calls, helper or not, run on their caller alone
    assert all(call(0) == {0} for _ in range(20))
    for _ in range(1000):  # the rest of the back-off: the other tests find the pool as it was
        probe(2, 0, 0, workers.ctypes.data)
