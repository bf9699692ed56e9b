"""Several processes of one JAX job (jax.distributed, gloo collectives on CPU): a sweep over the
devices of two local processes, and `neuroflow run --processes 2` (one network partitioned over
the processes' devices), give what one process gives,
bit for bit; a process that dies, a coordinator that is not there and a job that outlasts its
timeout end in clear errors, never in a hang."""
import os
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

import neuroflow as nf
from neuroflow import distributed
from neuroflow.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# A small COBA-like network (random connectivity, noise-free) swept over 3 drives on every
# device of the job: 3 runs padded to 4 over 2 processes, two each.  Each process saves the
# whole results it got; run as one process, it also saves each member run alone.
SWEEP = """
import sys
import jax
import numpy as np
import neuroflow as nf
from neuroflow.units import mV, ms
from tests.runtime.workers import small_coba

job = nf.distributed.initialize(timeout=120)
net = small_coba()
sim = nf.compile(net.build(), dt=0.1 * ms)
currents = [18, 22, 26]
swept = sim.sweep(30 * ms, {"P.I": [c * mV for c in currents]}, seed=3, devices=jax.devices())
saved = {"processes": job.count, "devices": len(jax.devices()),
         "local": len(jax.local_devices())}
for k, member in enumerate(swept):
    saved[f"t{k}"], saved[f"i{k}"] = member.spikes("P")
    saved[f"v{k}"] = member.trace("P", "v")[1]
if job.count == 1:
    for k, current in enumerate(currents):
        alone = sim.run(30 * ms, seed=3, params={"P.I": current * mV})
        saved[f"alone_t{k}"], saved[f"alone_i{k}"] = alone.spikes("P")
        saved[f"alone_v{k}"] = alone.trace("P", "v")[1]
else:  # the devices of one process only: the others would have nothing to run
    try:
        sim.sweep(1 * ms, {"P.I": [20 * mV]}, devices=jax.local_devices())
    except nf.ModelError as error:
        saved["refused"] = str(error)
# a member that blows up is named, by every process, as one process names it
growing = nf.Network("growing")
G = growing.population("G", 10, equations="dv/dt = (-v + I) / taum : volt",
                       params=dict(I=20 * mV, taum=10 * ms), init=dict(v=0 * mV))
growing.monitor(G, "v", indices=[0])
try:
    nf.compile(growing.build(), dt=0.1 * ms, chunk_steps=500).sweep(
        120 * ms, {"G.taum": [10 * ms, 10 * ms, -1 * ms]}, devices=jax.devices())
except nf.SimulationError as error:
    saved["blew_up"] = str(error)
np.savez(f"{sys.argv[1]}/{job.index}.npz", **saved)
"""


def _environment() -> dict:
    """This checkout's neuroflow in the processes, and one CPU device each."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("XLA_FLAGS", None)
    return env


def test_a_sweep_over_two_processes_equals_one_process_and_single_runs_bit_for_bit(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(SWEEP)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    alone = subprocess.run([sys.executable, str(script), str(tmp_path / "one")],
                           env=_environment(), capture_output=True, text=True, timeout=300)
    assert alone.returncode == 0, alone.stderr[-3000:]
    distributed.launch([sys.executable, str(script), str(tmp_path / "two")], 2, timeout=300,
                       env=_environment())
    one = np.load(tmp_path / "one" / "0.npz")
    two = [np.load(tmp_path / "two" / f"{k}.npz") for k in range(2)]
    assert int(one["processes"]) == 1 and int(one["devices"]) == 1
    for part in two:
        assert int(part["processes"]) == 2 and int(part["devices"]) == 2
        assert int(part["local"]) == 1
        assert "processes" in str(part["refused"])
        assert str(part["blew_up"]) == str(one["blew_up"])
    assert "G.v became -inf for neuron 0" in str(one["blew_up"])
    counts = set()
    for k in range(3):
        counts.add(len(one[f"t{k}"]))
        assert len(one[f"t{k}"]) > 0  # a silent network would compare nothing
        for name in ("t", "i", "v"):
            reference = one[f"alone_{name}{k}"]
            assert np.array_equal(one[f"{name}{k}"], reference), (k, name)
            for part in two:  # every process holds every member, its own and the other's
                assert np.array_equal(part[f"{name}{k}"], reference), (k, name)
    assert len(counts) == 3  # the drives really make different runs


def test_neuroflow_run_over_two_processes_equals_one_process(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the processes run this checkout's neuroflow
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    model = str(EXAMPLES / "coba.nfl")
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    assert main(["run", model, "--duration", "30", "--seed", "5", "--out", str(one),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", model, "--duration", "30", "--seed", "5", "--out", str(two),
                 "--processes", "2"]) == 0
    printed = capsys.readouterr().out
    assert "simulated 30 ms" in printed and "ran as 2 processes" in printed
    assert "[Gloo]" not in printed
    alone, joined = nf.Results.load(one), nf.Results.load(two)
    assert len(alone.spikes("P")[0]) > 0
    for a, b in [*zip(alone.spikes("P"), joined.spikes("P")),
                 *zip(alone.trace("P", "v"), joined.trace("P", "v"))]:
        assert np.array_equal(a, b)
    # one network, each process simulating its part: the job's two devices, one per process
    assert joined.final.model.get("partition").devices == 2
    for var, value in alone.final.population("P").items():
        assert np.array_equal(joined.final.population("P")[var], value), var


def test_a_model_that_cannot_be_split_over_processes_says_where_and_what_to_do(monkeypatch,
                                                                             capsys):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    model = str(EXAMPLES / "gap_junctions.nfl")
    assert main(["run", model, "--duration", "5", "--processes", "2"]) == 1
    printed = capsys.readouterr().err
    assert "gap_junctions.nfl:32:9: coupling 'gap'" in printed and "--processes" in printed


# Process 1 dies (crashes: no clean exit) once the job is joined, while process 0 waits for it
# in a collective.
DIES = """
import os
import jax
import numpy as np
import neuroflow as nf
from jax.sharding import Mesh, NamedSharding, PartitionSpec

job = nf.distributed.initialize(timeout=60)
if job.index == 1:
    os._exit(3)
mesh = Mesh(np.asarray(jax.devices()), ("batch",))
values = jax.device_put(np.arange(4.0), NamedSharding(mesh, PartitionSpec("batch")))
nf.distributed.gather(values)
"""


def test_a_process_that_dies_stops_the_job_with_a_clear_error(tmp_path):
    script = tmp_path / "dies.py"
    script.write_text(DIES)
    start = time.monotonic()
    with pytest.raises(distributed.DistributedError, match="process 1 of 2 exited with code 3"):
        distributed.launch([sys.executable, str(script)], 2, timeout=120, env=_environment())
    assert time.monotonic() - start < 60  # stopped when it died, not at the timeout


def test_without_the_launcher_the_survivors_end_when_a_process_dies(tmp_path):
    """Started by hand (as on a cluster): JAX's heartbeat ends process 0, waiting for a process
    that is gone, after `heartbeat` seconds."""
    script = tmp_path / "dies.py"
    script.write_text(DIES.replace("initialize(timeout=60)", "initialize(timeout=60, heartbeat=3)"))
    address = f"localhost:{distributed.free_port()}"
    procs = [subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True,
                              env=_environment() | {distributed.COORDINATOR: address,
                                                    distributed.PROCESSES: "2",
                                                    distributed.PROCESS_ID: str(k)})
             for k in range(2)]
    try:
        _, error = procs[0].communicate(timeout=90)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert procs[1].returncode == 3
    assert procs[0].returncode != 0 and "heartbeat" in error


def test_a_job_that_outlasts_its_timeout_is_stopped():
    start = time.monotonic()
    with pytest.raises(distributed.DistributedError, match="did not end within 1 s"):
        distributed.launch([sys.executable, "-c", "import time; time.sleep(60)"], 2, timeout=1)
    assert time.monotonic() - start < 10


def test_a_command_that_cannot_start_is_a_clear_error(tmp_path):
    with pytest.raises(distributed.DistributedError, match="could not start"):
        distributed.launch([str(tmp_path / "no-such-program")], 2, timeout=10)
    with pytest.raises(distributed.DistributedError, match="whole number of processes"):
        distributed.launch([sys.executable, "-c", "pass"], 0)


def test_a_coordinator_that_is_not_there_is_a_clear_error():
    address = f"localhost:{distributed.free_port()}"
    start = time.monotonic()
    with pytest.raises(distributed.DistributedError,
                       match=f"process 1 could not reach the coordinator at {address}"):
        distributed.initialize(address, 2, 1, timeout=1)
    assert time.monotonic() - start < 10


def test_initialize_reads_the_environment_and_names_what_is_missing(monkeypatch):
    for name in (distributed.COORDINATOR, distributed.PROCESSES, distributed.PROCESS_ID):
        monkeypatch.delenv(name, raising=False)
    # nothing given: this one process, nothing started
    assert distributed.initialize() == distributed.Processes(1, 0)
    monkeypatch.setenv(distributed.PROCESSES, "2")
    with pytest.raises(distributed.DistributedError,
                       match="NEUROFLOW_COORDINATOR, NEUROFLOW_PROCESS_ID"):
        distributed.initialize()
    monkeypatch.setenv(distributed.PROCESS_ID, "2")
    with pytest.raises(distributed.DistributedError, match="process 2 of 2"):
        distributed.initialize("localhost:1234")
    monkeypatch.setenv(distributed.PROCESS_ID, "one")
    with pytest.raises(distributed.DistributedError, match="'one' is not a whole number"):
        distributed.initialize("localhost:1234")
    with pytest.raises(distributed.DistributedError, match="not 'host:port'"):
        distributed.initialize("localhost", 2, 0)


def test_initialize_after_jax_started_says_to_call_it_first():
    jax.devices()  # JAX's backends are up in this process
    with pytest.raises(distributed.DistributedError, match="initialize\\(\\) first"):
        distributed.initialize(f"localhost:{distributed.free_port()}", 2, 0, timeout=1)


def test_importing_neuroflow_leaves_jax_unstarted():
    """Joining a job must come before JAX starts: importing neuroflow may not start it."""
    code = ("import neuroflow, neuroflow.cli\n"
            "from jax._src import xla_bridge\n"
            "print(xla_bridge.backends_are_initialized())")
    done = subprocess.run([sys.executable, "-c", code], env=_environment(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_cli_over_processes_names_a_missing_model_once(capsys):
    assert main(["run", "no-such-model.nfl", "--processes", "2"]) == 1
    assert capsys.readouterr().err.strip() == "error: no such model file: no-such-model.nfl"


@pytest.mark.parametrize("count", ["0", "two"])
def test_cli_refuses_a_bad_number_of_processes(count, capsys):
    with pytest.raises(SystemExit):
        main(["run", str(EXAMPLES / "lif_fi.nfl"), "--processes", count])
    assert "number of processes" in capsys.readouterr().err
