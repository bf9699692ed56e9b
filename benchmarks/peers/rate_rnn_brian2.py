"""Worker: the rate RNN of `_rate.py` in Brian2 2.11, C++ standalone; prints `RESULT {json}`.

    python rate_rnn_brian2.py --net sparse|dense [--duration 1000 --repeats 0]

Runs under the Brian2 venv that `benchmarks/compare.py` makes.  The model is written as in
Brian2's documentation of summed variables:

    G = NeuronGroup(N, 'dx/dt = (-x + I_rec)/tau : 1\nI_rec : 1', method='euler')
    S = Synapses(G, G, 'w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)')
    S.connect(p=0.1)  (sparse)  or  S.connect()  (dense);  S.w = 'sigma*randn()'

with x(0) ~ U(-1, 1) and x of neuron 0 recorded; W and x(0) are drawn by Brian2 from the seed
(the same distributions, another realisation).  float64 (Brian2's only type), one thread,
dt = 0.1 ms.  `first_s` is building the network, generating the C++ project, compiling it
and running the binary once (which creates the synapses, then simulates); `loop_s` is
Brian2's own timing of the simulation loop in that run (`device._last_run_time`: synapse
creation and compilation excluded).  `runs_s` are `--repeats` further runs of the binary
(wall, synapse creation included) and `loop_s_repeats` their loop times.
"""
from __future__ import annotations

import os
import sys
import time

import _common
import _rate


def extra_args(parser) -> None:
    parser.add_argument("--workdir", default=None,
                        help="a folder for the standalone project (fresh one when omitted)")


def main() -> None:
    args = _rate.parse_args(extra_args)
    args.repeats = max(args.repeats, 0)
    import brian2 as b2
    import numpy as np
    from brian2 import NeuronGroup, StateMonitor, Synapses, ms
    work = _common.workdir(args, "brian2-rate")

    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    start = time.perf_counter()
    project = os.path.join(work, "standalone")
    b2.set_device("cpp_standalone", directory=project, build_on_run=False)
    b2.defaultclock.dt = _rate.DT_MS * ms
    b2.seed(args.seed)
    namespace = {"tau": _rate.TAU_MS * ms, "sigma": _rate.weight_sigma(args.n, args.p)}
    G = NeuronGroup(args.n, "dx/dt = (-x + I_rec)/tau : 1\nI_rec : 1", method="euler",
                    namespace=namespace)
    G.x = "-1 + 2*rand()"
    S = Synapses(G, G, "w : 1\nI_rec_post = w*tanh(x_pre) : 1 (summed)", namespace=namespace)
    if args.p >= 1:
        S.connect()
    else:
        S.connect(p=args.p)
    S.w = "sigma*randn()"
    monitor = StateMonitor(G, "x", record=[0])
    net = b2.Network(G, S, monitor)
    net.run(args.duration * ms)
    b2.device.build(directory=project, compile=True, run=True, with_output=False)
    first_s = time.perf_counter() - start
    x_end = np.asarray(G.x[:])
    loop_s = b2.device._last_run_time
    runs_s, loops = [], []
    info = os.path.join(b2.device.results_dir, "last_run_info.txt")
    for _ in range(args.repeats):
        wall, _ = _common.run_binary(["./main", "--results_dir", b2.device.results_dir], project)
        runs_s.append(wall)
        with open(info) as f:
            loops.append(float(f.read().split()[0]))
    import Cython
    _rate.emit(args, "brian2-standalone", first_s=first_s, runs_s=runs_s, x_end=x_end.tolist(),
               versions={"brian2": b2.__version__, "numpy": np.__version__,
                         "cython": Cython.__version__},
               dtype="float64", loop_s=loop_s, loop_s_repeats=loops, synapses=int(len(S)))


if __name__ == "__main__":
    sys.exit(main())
