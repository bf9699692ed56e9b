"""`benchmarks/gpu_check.py --cpu-smoke`: the GPU check's every step at tiny sizes on the CPU,
so that the script a GPU machine would run is known to work without one."""
import json
import os
import subprocess
import sys

from tests.conftest import EXAMPLES

SCRIPT = EXAMPLES.parent / "benchmarks" / "gpu_check.py"


def test_the_gpu_check_runs_on_the_cpu_at_tiny_sizes(tmp_path):
    out = tmp_path / "check.json"
    root = str(EXAMPLES.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root,
                                                                   os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(SCRIPT), "--cpu-smoke", "--json", str(out)],
                          capture_output=True, text=True, env=env, cwd=root, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("jax ", "device ", "cost model for: gpu", "synaptic events/s",
                 "identical spike trains", "-> PASS", "event_parallel  measured"):
        assert line in done.stdout, line
    rows = json.loads(out.read_text())["rows"]
    cases = [row["case"] for row in rows if "events_per_s" in row]
    assert cases == ["coba-300", "coba-800", "coba-3k", "sweep-8"]
    for row in rows:
        if "events_per_s" in row:
            # spikes times synapses over the run: a rate in the network's range, events counted
            assert 5 < row["rate_hz"] < 60 and row["events_per_s"] > 0 and row["run_s"] > 0
    assert [r["kernels"] for r in rows if r["case"] == "coba-3k"] == [
        "excitatory=procedural, inhibitory=procedural"]
    check = next(row for row in rows if row["case"] == "check")
    assert check["identical"] and check["passed"]  # the same CPU on both sides
    forced = {(r["case"], r["kernel"]) for r in rows if "kernel" in r}
    assert ("kernels-800", "event_parallel") in forced and ("kernels-800", "dense") not in forced
