"""Worker: one benchmark model in Brian2, in this process; prints `RESULT {json}`.

    python brian2_bench.py --model coba --device cpp_standalone|runtime [--n 4000 --p 0.02]

Runs under a Python >= 3.13 with brian2 installed (compare.py makes that venv).  The
models are written here from the published equations of Brette et al. (2007): COBA with
the constant drive I = 20 mV used by the neuroflow and BrainPy versions, CUBA, and COBAHH
(benchmark 3).  dt = 0.1 ms, float64 (Brian2's only type), one thread.

cpp_standalone: first_s is building the network, generating the C++ project, compiling
it and running the binary once; runs_s re-runs the compiled binary (connectivity drawn in
C++ again, results written to disk); peak RSS is that of the simulation binary.
runtime: Cython code generation; first_s is building the network (connect() included),
compiling and `run(duration)`; runs_s are further `run(duration)` calls continuing the
same network; peak RSS is the Python process's.  The Cython cache lives in --workdir, so
a fresh --workdir is a cold cache and a reused one a warm cache.
"""
from __future__ import annotations

import os
import sys
import time

import _common


def extra_args(parser) -> None:
    parser.add_argument("--device", choices=("cpp_standalone", "runtime"), required=True)


def build(b2, model: str, n: int, p: float):
    """The network's objects: (neurons, exc view, inh view, [synapses], spike monitor)."""
    from brian2 import NeuronGroup, SpikeMonitor, Synapses, ms, mV, nS, pF, uS
    ne = int(n * _common.EXC_FRACTION)
    if model == "coba":
        eqs = """
        dv/dt  = (ge*(Ee - v) + gi*(Ei - v) + (El - v) + I) / taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
        dgi/dt = -gi / taui : 1
        """
        ns = dict(taum=20 * ms, Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, I=20 * mV, Vt=-50 * mV,
                  Vr=-60 * mV, taue=5 * ms, taui=10 * ms)
        P = NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                        method="exponential_euler", namespace=ns)
        P.v = "-55*mV + 2*mV*randn()"
        on_exc, on_inh = "ge += 0.6", "gi += 6.7"
    elif model == "cuba":
        eqs = """
        dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, El=-49 * mV)
        P = NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact", namespace=ns)
        P.v = "-60*mV + 10*mV*rand()"
        on_exc, on_inh = "ge += 1.62*mV", "gi += -9*mV"
    else:  # cobahh, Traub-Miles kinetics on a 20 000 um2 patch
        eqs = """
        dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) - gNa*m**3*h*(v - ENa) - gKd*n**4*(v - EK)) / Cm : volt
        dm/dt = alpha_m*(1 - m) - beta_m*m : 1
        dh/dt = alpha_h*(1 - h) - beta_h*h : 1
        dn/dt = alpha_n*(1 - n) - beta_n*n : 1
        dge/dt = -ge / taue : siemens
        dgi/dt = -gi / taui : siemens
        alpha_m = 1.28 / exprel((13*mV - v + VT) / (4*mV)) / ms : Hz
        beta_m = 1.4 / exprel((v - VT - 40*mV) / (5*mV)) / ms : Hz
        alpha_h = 0.128 * exp((17*mV - v + VT) / (18*mV)) / ms : Hz
        beta_h = 4 / (1 + exp((40*mV - v + VT) / (5*mV))) / ms : Hz
        alpha_n = 0.16 / exprel((15*mV - v + VT) / (5*mV)) / ms : Hz
        beta_n = 0.5 * exp((10*mV - v + VT) / (40*mV)) / ms : Hz
        """  # noqa: E501
        ns = dict(Cm=200 * pF, gl=10 * nS, El=-60 * mV, EK=-90 * mV, ENa=50 * mV, gNa=20 * uS,
                  gKd=6 * uS, VT=-63 * mV, Ee=0 * mV, Ei=-80 * mV, taue=5 * ms, taui=10 * ms)
        P = NeuronGroup(n, eqs, threshold="v > -20*mV", refractory=3 * ms,
                        method="exponential_euler", namespace=ns)
        P.v = "-65*mV + 5*mV*randn()"
        P.ge = "40*nS + 15*nS*randn()"
        P.gi = "200*nS + 120*nS*randn()"
        on_exc, on_inh = "ge += 6*nS", "gi += 67*nS"
    exc, inh = P[:ne], P[ne:]
    Ce = Synapses(exc, P, on_pre=on_exc)
    Ci = Synapses(inh, P, on_pre=on_inh)
    Ce.connect(p=p)
    Ci.connect(p=p)
    monitor = SpikeMonitor(P)
    return P, Ce, Ci, monitor


def main() -> None:
    args = _common.parse_args(extra_args)
    import brian2 as b2
    import numpy as np
    import_s = time.perf_counter() - _common.START
    work = _common.workdir(args, "brian2")

    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    start = time.perf_counter()
    if args.device == "cpp_standalone":
        project = os.path.join(work, "standalone")
        b2.set_device("cpp_standalone", directory=project, build_on_run=False)
    else:
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(work, "cython-cache")
        b2.prefs.codegen.runtime.cython.multiprocess_safe = False
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(args.seed)
    net = b2.Network(*build(b2, args.model, args.n, args.p))
    monitor = next(obj for obj in net.objects if isinstance(obj, b2.SpikeMonitor))
    duration = args.duration * b2.ms
    net.run(duration)
    runs_s = []
    extra = {}
    if args.device == "cpp_standalone":
        b2.device.build(directory=project, compile=True, run=True, with_output=False)
        first_s = time.perf_counter() - start
        counts = np.asarray(monitor.count[:])
        extra["loop_s_first"] = b2.device._last_run_time
        binary_rss = 0.0
        for _ in range(args.repeats):
            wall, rss = _common.run_binary(["./main", "--results_dir", b2.device.results_dir],
                                           project)
            runs_s.append(wall)
            binary_rss = max(binary_rss, rss)
        with open(os.path.join(b2.device.results_dir, "last_run_info.txt")) as f:
            extra["loop_s"] = float(f.read().split()[0])  # the binary's own timing of its last loop
        peak = binary_rss if args.repeats else None
        extra["rss_of"] = "simulation binary" if args.repeats else "Python process"
        extra["python_rss_mib"] = _common.peak_rss_mib()
    else:
        first_s = time.perf_counter() - start
        counts = np.asarray(monitor.count[:]).copy()
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            net.run(duration)
            runs_s.append(time.perf_counter() - t0)
        peak = None
        extra["rss_of"] = "Python process"
    ne = int(args.n * _common.EXC_FRACTION)
    import Cython
    _common.emit(args, f"brian2-{args.device}", import_s=import_s, first_s=first_s, runs_s=runs_s,
                 spikes_exc=int(counts[:ne].sum()), spikes_inh=int(counts[ne:].sum()),
                 versions={"brian2": b2.__version__, "numpy": np.__version__,
                           "cython": Cython.__version__},
                 peak_rss=peak, dtype="float64", **extra)


if __name__ == "__main__":
    sys.exit(main())
