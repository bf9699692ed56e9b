"""Without working native kernels a model still runs, on the pure-JAX paths, with one notice.

Runs in a fresh process: which kernels are built and registered is decided once per process.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, runpy, warnings
import numpy as np
import neuroflow as nf
from neuroflow.units import ms
model = runpy.run_path("examples/coba.py", run_name="test")["model"]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sim = nf.compile(model, dt=0.1 * ms, dtype="float64")
    got = sim.run(30 * ms, seed=3, progress=False)
want = nf.compile(model, dt=0.1 * ms, dtype="float64",
                  native=False).run(30 * ms, seed=3, progress=False)
print(json.dumps({
    "notices": [str(w.message) for w in caught if "native" in str(w.message)],
    "same": all(np.array_equal(a, b) for a, b in zip(got.spikes("P"), want.spikes("P"))),
    "spikes": int(len(got.spikes("P")[0])),
}))
"""


def test_a_compiler_that_fails_leaves_the_pure_jax_kernels_and_says_so(tmp_path):
    failing = tmp_path / "broken-c++"
    failing.write_text("#!/bin/sh\necho 'broken-c++: cannot compile' >&2\nexit 1\n")
    failing.chmod(0o755)
    env = dict(os.environ, CXX=str(failing), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["spikes"] > 100 and report["same"]
    assert any("building the native CPU kernels failed" in notice and "cannot compile" in notice
               for notice in report["notices"]), report["notices"]
