"""Native fused blocks against the same model run by XLA, and their math against numpy."""
import ctypes

import numpy as np
import pytest
import scipy.special

import neuroflow as nf
from neuroflow import ir
from neuroflow.backend.jax import _native
from neuroflow.backend.jax._codegen import PRELUDE
from neuroflow.units import mV, ms, nA
from tests.conftest import load_example

pytestmark = pytest.mark.skipif(not _native.available(),
                                reason="no C++ compiler: native code is not built")
BEFORE = "resolve,canonicalize,integrate,delays,kernels"


def both(model, duration, dtype="float64", dt=0.1 * ms, **run):
    xla = nf.compile(model, dt=dt, dtype=dtype, pipeline=BEFORE + ",fuse{native=false},schedule")
    native = nf.compile(model, dt=dt, dtype=dtype, pipeline=BEFORE + ",fuse,schedule")
    assert native.program.native_blocks and not xla.program.native_blocks
    return xla.run(duration, **run), native.run(duration, **run)


def assert_same_run(a, b, pop, atol):
    if pop in a._spikes:  # without a spike monitor the final state says it all
        for x, y in zip(a.spikes(pop), b.spikes(pop)):
            np.testing.assert_array_equal(x, y)
    if a.final is None or b.final is None:  # members of a sweep keep no final state
        return
    for name, value in a.final.population(pop).items():
        np.testing.assert_allclose(b.final.population(pop)[name], value, rtol=0, atol=atol,
                                   err_msg=name)


@pytest.mark.parametrize("dtype,atol", [("float64", 1e-11), ("float32", 1e-4)])
def test_coba_native_block_gives_xlas_spikes(dtype, atol):
    """Same spikes for 100 ms of the chaotic COBA network: the blocks differ in the last bits only
    (exp, reciprocals, fused multiply-adds)."""
    a, b = both(load_example("coba")["model"], 100 * ms, dtype, seed=0)
    assert sum(len(t) for t in [a.spikes("P")[0]]) > 1000
    assert_same_run(a, b, "P", atol)


@pytest.mark.parametrize("name,pop", [("cuba", "P"), ("hh", "HH")])
def test_examples_native_block_gives_xlas_results(name, pop):
    # CUBA: an exact coupled linear system (propagator matrices); HH: exponential Euler with exprel
    example = load_example(name)
    a, b = both(example["model"], 50 * ms, dt=example.get("dt", 0.1 * ms), seed=1)
    assert_same_run(a, b, pop, 1e-8)


def test_per_neuron_parameters_timed_inputs_and_builtins():
    net = nf.Network("mix")
    p = net.population("P", 40, """
        dv/dt = (El - v + R*I_in + 0.01*mV*i + 0.001*mV*t/ms + noise_free) / tau : volt (unless refractory)
        noise_free = 0.5*mV*sin(t/(3*ms)) : volt
    """,  # noqa: E501
        threshold="v > Vt", reset="v = Vr - 0.1*mV*int(lastspike > 5*ms)", refractory="tau/10",
        params=dict(El=-65 * mV, R=10 * mV / nA, Vt=-50 * mV, Vr=-70 * mV,
                    tau=np.linspace(5, 20, 40) * ms),
        init=dict(v=nf.uniform(-70 * mV, -50 * mV)))
    net.timed_input(p, "I_in", np.linspace(1.0, 3.0, 20) * nA, 5 * ms)
    net.monitor_spikes(p)
    a, b = both(net.build(), 100 * ms, seed=3)
    assert len(a.spikes("P")[0]) > 20
    assert_same_run(a, b, "P", 1e-10)


def test_sweep_runs_the_native_block_per_member():
    model = load_example("coba")["model"]
    sim = nf.compile(model, dt=0.1 * ms, dtype="float64")
    assert sim.program.native_blocks  # else this would compare XLA with itself
    runs = sim.sweep(20 * ms, {"P.I": [18 * mV, 22 * mV]}, seed=0)
    for k, current in enumerate([18 * mV, 22 * mV]):
        single = sim.run(20 * ms, seed=0, params={"P.I": current})
        assert_same_run(single, runs[k], "P", 1e-12)
        # a sweep member keeps no final state: its recorded v stands for it, step by step
        assert single.traced == runs[k].traced == (("P", "v"),)
        for x, y in zip(single.trace("P", "v"), runs[k].trace("P", "v")):
            np.testing.assert_array_equal(x, y)


def test_a_block_the_generator_cannot_build_falls_back_to_xla():
    """An IR edited by hand to ask for native code for noise still runs, on XLA, with a notice."""
    net = nf.Network("noisy")
    net.population("P", 10, "dv/dt = -v/(10*ms) + xi/sqrt(10*ms) : 1", method="euler_maruyama")
    text = ir.print(nf.passes.run_pipeline(net.build().add(ir.Clock(0.1)),
                                           f"{BEFORE},fuse,schedule"))
    assert "backend=xla" in text
    forced = ir.parse_text(text.replace("backend=xla", "backend=native"))
    with pytest.warns(UserWarning, match="runs on XLA: random numbers"):
        program = nf.backend.jax.lower(forced, 0.1, "float64")
    assert not program.native_blocks


def _math(name: str, real: str):
    source = PRELUDE + f"""
extern "C" void neuroflow_generated(const void* const* in, void* const* out) {{
  const {real}* x = static_cast<const {real}*>(in[0]);
  {real}* y = static_cast<{real}*>(out[0]);
  const int64_t n = *static_cast<const int64_t*>(in[1]);
  for (int64_t i = 0; i < n; ++i) y[i] = {name}(x[i]);
}}
"""
    ident = _native.load_generated(source)
    library = _native._LOADED[ident]

    def call(x):
        x = np.ascontiguousarray(x, dtype=np.float64 if real == "double" else np.float32)
        y, n = np.empty_like(x), np.array([len(x)], np.int64)
        ins = (ctypes.c_void_p * 2)(x.ctypes.data, n.ctypes.data)
        outs = (ctypes.c_void_p * 1)(y.ctypes.data)
        library.neuroflow_generated(ins, outs)
        return y
    return call


@pytest.mark.parametrize("real,ulps", [("double", 4), ("float", 4)])
def test_generated_exp_expm1_exprel_against_numpy(real, ulps):
    dtype = np.float64 if real == "double" else np.float32
    rng = np.random.default_rng(0)
    limit = 700 if real == "double" else 85
    x = np.concatenate([rng.uniform(-limit, limit, 20000), rng.uniform(-1, 1, 20000),
                        rng.normal(0, 1e-4, 2000),
                        [0.0, -0.0, 0.3465, -0.3466, 0.35, -0.35]]).astype(dtype)
    exact = {"nf_exp": np.exp(x.astype(np.float64)), "nf_expm1": np.expm1(x.astype(np.float64))}
    with np.errstate(divide="ignore", invalid="ignore"):
        exact["nf_exprel"] = np.where(x == 0, 1.0,
                                      np.expm1(x.astype(np.float64)) / x.astype(np.float64))
    for name, want in exact.items():
        got = _math(name, real)(x).astype(np.float64)
        spacing = np.abs(np.spacing(want.astype(dtype))).astype(np.float64)
        assert np.max(np.abs(got - want) / spacing) <= ulps, name


@pytest.mark.parametrize("real", ["double", "float"])
def test_generated_exp_at_the_edges(real):
    dtype = np.float64 if real == "double" else np.float32
    x = np.array([-np.inf, -1e4, -800, -746, -104, -90, -87.5, 88.8, 89, 709.9, 710, 1e4, np.inf,
                  np.nan], dtype)
    for name, exact in (("nf_exp", np.exp), ("nf_expm1", np.expm1)):
        with np.errstate(over="ignore", under="ignore"):
            want = exact(x.astype(np.float64)).astype(dtype)
        got = _math(name, real)(x)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=name)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want), err_msg=name)
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite],
                                   rtol=1e-6 if real == "float" else 1e-14, atol=0, err_msg=name)


@pytest.mark.parametrize("real", ["double", "float"])
def test_every_generated_library_function_against_numpy(real):
    # the generated code calls libm through compiler builtins (no <cmath>): each name must be
    # the function numpy computes, in both precisions
    dtype = np.float64 if real == "double" else np.float32
    x = np.linspace(0.05, 3.0, 101).astype(dtype)
    numpy_of = {"log": np.log, "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan,
                "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "sqrt": np.sqrt, "abs": np.abs,
                "floor": np.floor, "ceil": np.ceil, "sign": np.sign, "arctan": np.arctan,
                "erf": scipy.special.erf}
    for name, fn in nf.ir.FUNCTIONS.items():
        if fn.arity != 1 or name not in numpy_of:
            continue
        odd = ("abs", "floor", "ceil", "sign", "sin", "tanh", "arctan", "erf")
        for sign in (1, -1) if name in odd else (1,):
            got = _math("[](auto v) { return " + fn.cpp.format("v") + "; }", real)(sign * x)
            np.testing.assert_allclose(got, numpy_of[name](sign * x), rtol=4 * np.finfo(dtype).eps,
                                       atol=0, err_msg=f"{name} ({real})")
    unary = {n for n, fn in nf.ir.FUNCTIONS.items() if fn.arity == 1}
    assert unary - set(numpy_of) <= {"exp", "expm1", "exprel", "sigmoid", "int"}
    # `x**1.5` and `int(x)` in an expression
    power = _math("[](auto v) { return nf_pow(v, decltype(v)(1.5)); }", real)(x)
    np.testing.assert_allclose(power, x.astype(np.float64) ** 1.5, rtol=4 * np.finfo(dtype).eps,
                               atol=0)
    np.testing.assert_array_equal(_math("nf_trunc", real)(-2 * x), np.trunc(-2 * x))


def test_compile_without_native_code_says_so_in_the_ir():
    sim = nf.compile(load_example("coba")["model"], dt=0.1 * ms, native=False)
    assert ("fused P [P.update, P.threshold, P.reset] backend=xla" in sim.ir
            and not sim.program.native_blocks)
