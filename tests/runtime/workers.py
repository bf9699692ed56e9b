"""What the tests that need a fresh process share: a small COBA-like network (worker scripts
import it from here) and running a worker with host devices forced (the XLA flag must be set
before JAX starts, so in a process of its own)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import neuroflow as nf
from neuroflow.units import mV, ms

ROOT = Path(__file__).resolve().parents[2]


def small_coba(n: int = 400, *, rate: bool = False, traced=(0, 7, 399)) -> nf.Network:
    """Conductance-based LIF neurons, the first 320 excitatory, connected at random (native
    kernels where they build), a spike monitor and a voltage trace of `traced`."""
    net = nf.Network("coba_small")
    P = net.population("P", n, equations='''
        dv/dt = (ge*(Ee - v) + gi*(Ei - v) + (El - v) + I) / (20*ms) : volt (unless refractory)
        dge/dt = -ge / (5*ms) : 1
        dgi/dt = -gi / (10*ms) : 1
    ''', threshold="v > -50*mV", reset="v = -60*mV", refractory=5 * ms,
        params=dict(I=20 * mV, Ee=0 * mV, Ei=-80 * mV, El=-60 * mV),
        init=dict(v=nf.normal(-55 * mV, 2 * mV)))
    net.projection(P[:320], P, on_pre="ge += 0.6", connect=nf.fixed_prob(0.05), name="exc")
    net.projection(P[320:], P, on_pre="gi += 6.7", connect=nf.fixed_prob(0.05), name="inh")
    net.monitor_spikes(P)
    if rate:
        net.monitor_rate(P)
    net.monitor(P, "v", indices=list(traced))
    return net


def report_of(worker: str, devices: int = 2, timeout: int = 600) -> dict:
    """Run `worker` (Python source that prints `RESULT <json>`) in a fresh process with
    `devices` host devices forced, this checkout's neuroflow, and return the JSON."""
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", worker], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])
