"""Worker: the rate RNN of `_rate.py` in neuroflow, or as a hand-written `jax.lax.scan` of the
same update with the same W and x(0); prints `RESULT {json}`.

    python benchmarks/peers/rate_rnn_neuroflow.py --net sparse --impl neuroflow [--kernel csr]
    python benchmarks/peers/rate_rnn_neuroflow.py --net sparse --impl scan --form segsum
    python benchmarks/peers/rate_rnn_neuroflow.py --net sparse --check      # float64 agreement
    python benchmarks/peers/rate_rnn_neuroflow.py --net sparse --profile DIR

`--impl neuroflow`: the network written with the builder (a summed variable, kernel `--kernel`,
default auto), float32, x of neuron 0 recorded; `first_s` is building, compiling, drawing the
connectivity and `sim.run(duration)`, `runs_s` further `sim.run(duration, seed=...)` calls
(which reuse the connectivity).

`--impl scan`: W and x(0) are the ones neuroflow draws for the seed (taken from
`sim.program.initial`), and the whole run is one jitted `lax.scan` of

    x <- x + dt*(-x + W^T tanh(x))/tau

with W as a dense [pre, post] matrix (`--form dense`: one mat-vec), per synapse sorted by post
(`segsum`: a gather, a product and a sorted `segment_sum`, what neuroflow's csr kernel
does without native kernels) or
as a `jax.experimental.sparse.BCOO` matrix (`bcoo`).  Nothing is recorded: this is the limit
for JAX.  `first_s` is compiling and one run, `runs_s` further calls.

`--check`: float64, `--check-steps` steps from the same W and x(0), neuroflow with the dense
and the csr kernel (every neuron recorded) against the scan (dense and segsum); prints the
largest differences (they should be ~1e-12).

`--profile DIR`: writes the jaxpr of neuroflow's step and of the scan's step and the optimised
HLO of both loops to DIR, and puts the operation counts of the loop bodies in the result.
"""
from __future__ import annotations

import sys
import time
from importlib import metadata
from pathlib import Path

import _rate

HERE = Path(__file__).resolve().parent
EQUATIONS = "dx/dt = (-x + I_rec)/tau : 1\nI_rec : 1"
SYNAPSES = "w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)"
FORMS = ("dense", "segsum", "bcoo")


def extra_args(parser) -> None:
    parser.add_argument("--impl", choices=("neuroflow", "scan"), default="neuroflow")
    parser.add_argument("--kernel", choices=("auto", "dense", "csr"), default="auto")
    parser.add_argument("--form", choices=FORMS, default="dense", help="W in the scan")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--no-native", action="store_true", help="neuroflow: pure-JAX kernels")
    parser.add_argument("--check", action="store_true", help="float64 agreement, no timing")
    parser.add_argument("--check-steps", type=int, default=200)
    parser.add_argument("--profile", default=None, metavar="DIR")


def build(nf, n: int, p: float, kernel: str, record=(0,)):
    from neuroflow.units import ms
    net = nf.Network("rate_rnn")
    G = net.population("G", n, EQUATIONS, params=dict(tau=_rate.TAU_MS * ms),
                       init=dict(x=nf.uniform(-1, 1)), method="euler")
    net.projection(G, G, model=SYNAPSES, weights=nf.normal(0, _rate.weight_sigma(n, p)),
                   connect=nf.all_to_all() if p >= 1 else nf.fixed_prob(p), kernel=kernel,
                   name="rec")
    net.monitor(G, "x", indices=list(record))
    return net.build()


def compile_model(nf, args, kernel: str, dtype: str, record=(0,)):
    from neuroflow.units import ms
    options = {"native": False} if args.no_native else {}
    return nf.compile(build(nf, args.n, args.p, kernel, record), dt=_rate.DT_MS * ms,
                      dtype=dtype, **options)


def drawn(nf, args, dtype: str):
    """W's synapses (pre, post, weight as numpy, sorted by post) and x(0) as neuroflow draws them
    for the seed (the csr kernel keeps the synapses as they are)."""
    import numpy as np
    sim = compile_model(nf, args, "csr", dtype)
    state, _, conn = sim.program.initial(args.seed)
    arrays = {k: np.asarray(v) for k, v in conn["rec"].items()}
    return arrays["pre"], arrays["post"], arrays["weights"], np.asarray(state["pops"]["G"]["x"])


def coupling(form: str, n: int, pre, post, weight, dtype):
    """`tanh(x) -> W^T tanh(x)` for one form of W."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    if form == "dense":
        matrix = np.zeros((n, n))
        np.add.at(matrix, (pre, post), weight)
        w = jnp.asarray(matrix, dtype)
        return lambda r: r @ w
    if form == "segsum":
        pre_j, post_j = jnp.asarray(pre, jnp.int32), jnp.asarray(post, jnp.int32)
        w = jnp.asarray(weight, dtype)
        return lambda r: jax.ops.segment_sum(r[pre_j] * w, post_j, n, indices_are_sorted=True)
    from jax.experimental import sparse
    indices = jnp.asarray(np.stack([post, pre], axis=1), jnp.int32)   # W^T: rows are post
    matrix = sparse.BCOO((jnp.asarray(weight, dtype), indices), shape=(n, n),
                         indices_sorted=True, unique_indices=True)
    return lambda r: matrix @ r


def scan_step(recurrent, dtype):
    import jax.numpy as jnp
    dt, tau = jnp.asarray(_rate.DT_MS, dtype), jnp.asarray(_rate.TAU_MS, dtype)

    def step(x, _):
        return x + dt * (-x + recurrent(jnp.tanh(x))) / tau, x   # also the state it started from
    return step


def scan_run(step, steps: int, record: bool = False):
    import jax
    if record:
        return jax.jit(lambda x: jax.lax.scan(step, x, None, length=steps)[1])
    return jax.jit(lambda x: jax.lax.scan(lambda c, _: (step(c, _)[0], None), x, None,
                                          length=steps)[0])


def time_calls(fn, repeats: int) -> tuple[float, list[float], object]:
    import jax
    start = time.perf_counter()
    out = jax.block_until_ready(fn())
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        runs.append(time.perf_counter() - start)
    return first, runs, out


def run_neuroflow(nf, args) -> dict:
    import numpy as np
    from neuroflow.units import ms
    start = time.perf_counter()
    sim = compile_model(nf, args, args.kernel, args.dtype)
    results = sim.run(args.duration * ms, seed=args.seed, progress=False)
    first_s = time.perf_counter() - start
    runs_s = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        sim.run(args.duration * ms, seed=args.seed, progress=False)
        runs_s.append(time.perf_counter() - start)
    coupling_node = next(iter(sim.model.find(nf.ir.Coupling)))
    extra = dict(kernel=str(coupling_node.kernel), forced=args.kernel != "auto",
                 costs={str(k): v for k, v in coupling_node.costs},
                 fused=[str(getattr(f, "backend", "?")) for f in sim.model.find(nf.ir.FusedUpdate)])
    if args.profile:
        extra["profile"] = profile_neuroflow(sim, args)
    return dict(first_s=first_s, runs_s=runs_s, extra=extra,
                x_end=np.asarray(results.final.state["pops"]["G"]["x"]))


def run_scan(nf, args) -> dict:
    import jax.numpy as jnp
    import numpy as np
    start = time.perf_counter()
    dtype = jnp.dtype(args.dtype)
    pre, post, weight, x0 = drawn(nf, args, args.dtype)
    step = scan_step(coupling(args.form, args.n, pre, post, weight, dtype), dtype)
    x0 = jnp.asarray(x0, dtype)
    run = scan_run(step, _rate.steps(args))
    prepare_s = time.perf_counter() - start
    first_s, runs_s, x_end = time_calls(lambda: run(x0), args.repeats)
    extra = dict(form=args.form, prepare_s=prepare_s)
    if args.profile:
        extra["profile"] = profile_scan(run, step, x0, args)
    return dict(first_s=first_s, runs_s=runs_s, extra=extra, x_end=np.asarray(x_end))


def check(nf, args) -> None:
    """neuroflow (dense and csr kernels) against the scan, float64, same W and x(0)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    from neuroflow.units import ms
    jax.config.update("jax_enable_x64", True)
    steps = args.check_steps
    pre, post, weight, x0 = drawn(nf, args, "float64")
    scans = {form: np.asarray(scan_run(scan_step(coupling(form, args.n, pre, post, weight,
                                                           jnp.float64), jnp.float64),
                                       steps, record=True)(jnp.asarray(x0)))
             for form in ("dense", "segsum")}
    worst = 0.0
    for kernel in ("dense", "csr"):
        sim = compile_model(nf, args, kernel, "float64", record=range(args.n))
        _, trace = sim.run(steps * _rate.DT_MS * ms, seed=args.seed, progress=False).trace("G", "x")
        trace = np.asarray(trace)
        trace = trace if trace.shape == (steps, args.n) else trace.T
        for form, reference in scans.items():
            diff = float(np.max(np.abs(trace - reference)))
            worst = max(worst, diff)
            print(f"{args.net}: neuroflow {kernel:5s} vs scan {form:6s}: max |x difference| over"
                  f" {steps} steps and {args.n} neurons = {diff:.2e}"
                  f"  (max |x| {np.max(np.abs(reference)):.2f})", flush=True)
    print(f"RESULT-CHECK {{\"net\": \"{args.net}\", \"steps\": {steps}, \"max_diff\": {worst!r}}}",
          flush=True)


# -- profiling ------------------------------------------------------------------------------

def _hlo_tools():
    sys.path.insert(0, str(HERE.parent))
    import hlo_ops
    return hlo_ops


def _loop_ops(hlo_text: str) -> list[str]:
    hlo_ops = _hlo_tools()
    ops = [hlo_ops.opcode(line) for line in hlo_ops.loop_body(hlo_text)]
    return [op for op in ops if op not in hlo_ops.BOOKKEEPING]


def profile_neuroflow(sim, args) -> dict:
    import jax
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    state, params, conn = sim.program.initial(args.seed)
    derived = sim.program.prepare(params)
    jaxpr = jax.make_jaxpr(sim.program.step)(state, params, conn, derived)
    hlo = sim._chunk.lower(state, params, conn, derived, 1000).compile().as_text()
    tag = f"{args.net}-neuroflow-{args.kernel}" + ("-jax" if args.no_native else "")
    (out / f"{tag}.jaxpr.txt").write_text(str(jaxpr))
    (out / f"{tag}.hlo.txt").write_text(hlo)
    ops = _loop_ops(hlo)
    return dict(jaxpr_eqns=len(jaxpr.jaxpr.eqns),
                jaxpr_primitives=[str(e.primitive) for e in jaxpr.jaxpr.eqns],
                hlo_loop_ops=ops, files=[f"{tag}.jaxpr.txt", f"{tag}.hlo.txt"])


def profile_scan(run, step, x0, args) -> dict:
    import jax
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    jaxpr = jax.make_jaxpr(lambda x: step(x, None)[0])(x0)
    hlo = run.lower(x0).compile().as_text()
    tag = f"{args.net}-scan-{args.form}"
    (out / f"{tag}.jaxpr.txt").write_text(str(jaxpr))
    (out / f"{tag}.hlo.txt").write_text(hlo)
    return dict(jaxpr_eqns=len(jaxpr.jaxpr.eqns),
                jaxpr_primitives=[str(e.primitive) for e in jaxpr.jaxpr.eqns],
                hlo_loop_ops=_loop_ops(hlo), files=[f"{tag}.jaxpr.txt", f"{tag}.hlo.txt"])


def main() -> None:
    args = _rate.parse_args(extra_args)
    import jax

    import neuroflow as nf
    if args.check:
        check(nf, args)
        return
    measured = run_neuroflow(nf, args) if args.impl == "neuroflow" else run_scan(nf, args)
    tool = "neuroflow" if args.impl == "neuroflow" else f"jax-scan-{args.form}"
    versions = {"neuroflow": getattr(nf, "__version__", "?"), "jax": jax.__version__,
                "jaxlib": metadata.version("jaxlib")}
    _rate.emit(args, tool, first_s=measured["first_s"], runs_s=measured["runs_s"],
               x_end=measured["x_end"].tolist(), versions=versions, dtype=args.dtype,
               backend=jax.default_backend(), package=str(Path(nf.__file__).resolve().parent),
               native=not args.no_native, **measured["extra"])


if __name__ == "__main__":
    sys.exit(main())
