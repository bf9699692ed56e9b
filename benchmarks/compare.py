"""Side-by-side benchmarks: neuroflow, Brian2 (C++ standalone and Cython runtime) and BrainPy.

    python benchmarks/compare.py                          # COBA, CUBA, COBAHH; all simulators
    python benchmarks/compare.py --models coba --trials 3
    python benchmarks/compare.py --scaling --sizes 4000,16000,64000 --budget 300
    python benchmarks/compare.py --only-setup             # make the peers' venvs and stop

Every measurement is a fresh process (a worker in benchmarks/peers/, one at a time) that
prints one JSON line; this script collects them and prints Markdown tables.  Per model
and simulator it measures

  run       the simulation of --duration (1 s) with everything compiled: the best of
            --repeats further runs in the same process
  +compile  the first run in that process: building the network, generating and compiling
            code, drawing the connectivity and simulating --duration, with cold caches
  first     time to first result: a new process that imports the simulator, builds the
            network, compiles it and simulates 10 ms, timed by this script from the process
            start until the worker prints its result (not its exit: tearing down a JAX
            process takes another ~0.2 s); 'cold' with empty caches, 'warm' a second process
            with the caches the first one left (Brian2 keeps Cython modules and the
            standalone project on disk, neuroflow its native kernels, and Python the bytecode
            of every simulator's modules, even where the environment sets
            PYTHONDONTWRITEBYTECODE; neither neuroflow nor BrainPy enables JAX's persistent
            compilation cache)
  rates     excitatory / inhibitory firing rates (Hz) of the first run
  RSS       peak resident memory of the process that ran the simulation (its compilation
            included); for Brian2 standalone the simulation binary's
  nf/x      neuroflow's figure divided by this simulator's: < 1 means neuroflow is faster
            (neuroflow-jax is neuroflow with its native C++ kernels switched off)
  other     CPU cores used on average by other processes during the measurement (a
            disturbance: other people's tests); marked with ! above --disturbed cores

Brian2 2.11 needs Python >= 3.13 and BrainPy 2.9 Python >= 3.12 with its own JAX, so the
peers run in their own venvs under --cache-dir (default ~/.cache/neuroflow-bench), made
here from pyenv's interpreters (or --brian2-python / --brainpy-python) and PyPI on first
use and reused afterwards.  A peer that cannot be installed is reported and skipped.
neuroflow runs under the interpreter that runs this script.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from neuroflow import tables  # the format `neuroflow bench` prints too

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
MODELS = ("coba", "cuba", "cobahh")
MODEL_TITLES = {"coba": "COBA", "cuba": "CUBA", "cobahh": "COBAHH"}
SIMULATORS = ("neuroflow", "neuroflow-jax", "brian2-standalone", "brian2-runtime", "brainpy")
FIRST_RESULT_MS = 10.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the machine ----------------------------------------------------------------------------

def _cpu_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    hz = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields) - idle) / hz, sum(fields) / hz


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy_cores(seconds: float = 1.0) -> float:
    busy0, _ = _cpu_times()
    mine0 = _children_cpu() + sum(os.times()[:2])
    time.sleep(seconds)
    busy1, _ = _cpu_times()
    mine1 = _children_cpu() + sum(os.times()[:2])
    return max(0.0, (busy1 - busy0) - (mine1 - mine0)) / seconds


def wait_until_quiet(limit_s: float, threshold: float) -> float:
    """Wait (at most limit_s) until other processes use less than `threshold` cores."""
    deadline = time.monotonic() + limit_s
    load = busy_cores()
    announced = False
    while load > threshold and time.monotonic() < deadline:
        if not announced:
            log(f"  waiting for the machine to quieten (others use {load:.1f} cores)")
            announced = True
        time.sleep(4.0)
        load = busy_cores()
    return load


def machine_description(compiler: str | None) -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as f:
            names = re.findall(r"model name\s*:\s*(.*)", f.read())
        info["cpu"] = names[0].strip() if names else platform.processor() or platform.machine()
    except OSError:
        info["cpu"] = platform.processor() or platform.machine()
    try:
        with open("/proc/meminfo") as f:
            kib = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
        info["memory_gib"] = round(kib / 2**20, 1)
    except (OSError, AttributeError):
        pass
    if compiler:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                             check=False).stdout
        info["compiler"] = out.splitlines()[0] if out else compiler
    return info


# -- the peers' environments ----------------------------------------------------------------

@dataclass
class Peer:
    name: str            # venv name prefix and package
    spec: str            # what pip installs
    min_python: tuple[int, int]
    prefer: tuple[str, ...]
    python: str | None = None     # the venv's interpreter once ready
    problem: str | None = None    # why it is not available
    versions: dict = field(default_factory=dict)


def _python_version(exe: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([exe, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60, check=False).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find_interpreter(peer: Peer, explicit: str | None) -> str | None:
    """An interpreter for the peer: --*-python, else pyenv's (preferred versions first), else
    PATH."""
    candidates = [explicit] if explicit else []
    pyenv = shutil.which("pyenv")
    if pyenv and not explicit:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True,
                              check=False).stdout.strip()
        listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True,
                                check=False).stdout.split()
        installed = [v for v in listed if re.fullmatch(r"\d+\.\d+\.\d+", v)]
        installed.sort(key=lambda v: [int(x) for x in v.split(".")], reverse=True)
        ordered = [v for pref in peer.prefer for v in installed
                   if v.startswith(pref + ".")] + installed
        for version in ordered:
            exe = Path(root, "versions", version, "bin",
                       "python" + ".".join(version.split(".")[:2]))
            if exe.exists():
                candidates.append(str(exe))
    if not explicit:
        for minor in range(30, peer.min_python[1] - 1, -1):
            exe = shutil.which(f"python3.{minor}")
            if exe:
                candidates.append(exe)
    for exe in candidates:
        version = _python_version(exe)
        if version and version >= peer.min_python:
            return exe
    return None


def installed_versions(exe: Path | str, module: str, packages: list[str]) -> dict | None:
    """The versions of `packages` in the interpreter `exe`, if it imports `module`; else None."""
    code = ("import importlib, importlib.metadata as m, json, sys;"
            " importlib.import_module(sys.argv[1]);"
            " print(json.dumps({k: m.version(k) for k in sys.argv[2:] if k}))")
    try:
        out = subprocess.run([str(exe), "-c", code, module, *packages],
                             capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check_peer(exe: Path, peer: Peer) -> dict | None:
    """The installed versions if the venv imports the peer and matches a pinned spec, else
    None."""
    package = re.split(r"[\[=<>!~ ]", peer.spec, maxsplit=1)[0]
    pinned = peer.spec.split("==")[1].strip() if "==" in peer.spec else None
    extra = {"brian2": ["brian2", "numpy", "cython"],
             "brainpy": ["brainpy", "jax", "jaxlib", "brainevent"]}
    versions = installed_versions(exe, package, extra.get(package, [package]))
    if versions is None or (pinned and versions.get(package) != pinned):
        return None
    return versions


def run_peer_worker(python: str, script: Path, args: list[str],
                    timeout: float) -> tuple[dict | None, str, str]:
    """Run `python script ARGS` (with this repository on its path) and read its last
    `RESULT... {json}` line: `(result, "", stdout)` with "tag" (the line's first word),
    "other_cores" (CPU that other processes used meanwhile: a disturbance), "own_cores" (the
    CPU the worker used over its wall time: above 1 where it ran threads) and "process_s"
    added, or `(None, why, stdout)`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                         env.get("PYTHONPATH", "")])
    busy0, cpu0, start = _cpu_times()[0], _children_cpu(), time.perf_counter()
    try:
        proc = subprocess.run([python, str(script), *args], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return None, f"over the time limit ({timeout:.0f} s)", ""
    wall = time.perf_counter() - start
    own = _children_cpu() - cpu0
    other = max(0.0, (_cpu_times()[0] - busy0) - own) / wall
    found = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    if proc.returncode != 0 or not found:
        lines = [line.strip() for line in (proc.stderr + proc.stdout).splitlines()
                 if line.strip() and "Warning" not in line]
        errors = [line for line in lines if "Error" in line or line.startswith("hint")]
        return None, (f"exit {proc.returncode}: "
                      + " | ".join((errors or lines)[-2:])[-300:]), proc.stdout
    tag, _, payload = found[-1].partition(" ")
    result = json.loads(payload)
    result.update(tag=tag, other_cores=other, own_cores=own / wall, process_s=wall)
    return result, "", proc.stdout


def add_ratios(ratios: dict[str, list[float]], ours: dict, theirs: dict) -> None:
    """Append neuroflow's first and warm call over the peer's time (one side-by-side repeat of
    the analysis benchmarks), unless either side failed."""
    if "failed" not in ours and "failed" not in theirs:
        ratios.setdefault("first", []).append(ours["first_s"] / theirs["analysis_s"])
        ratios.setdefault("warm", []).append(ours["analysis_s"] / theirs["analysis_s"])


def print_ratios(ratios: dict[str, list[float]], label: str) -> None:
    for name, values in ratios.items():
        if values:
            print(f"{label} ({name}): min {min(values):.3f}"
                  f" median {statistics.median(values):.3f}")


def make_venv(interpreter: str, venv: Path, packages: list[str], logfile: Path) -> str | None:
    """Make `venv` from `interpreter` and pip-install `packages` (with any pip options among
    them), logging to `logfile`; None when it worked, else what failed."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    exe = venv / "bin" / "python"
    steps = [[interpreter, "-m", "venv", "--clear", str(venv)],
             [str(exe), "-m", "pip", "install", "--upgrade", "pip"],
             [str(exe), "-m", "pip", "install", *packages]]
    with open(logfile, "w") as out:
        for step in steps:
            try:
                code = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, timeout=3600,
                                      check=False).returncode
            except (OSError, subprocess.SubprocessError) as err:
                code = type(err).__name__
            if code != 0:
                lines = [line.strip() for line in logfile.read_text().splitlines() if line.strip()]
                errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
                return f"`{' '.join(step[-3:])}` failed ({code}): {errors[-1][:300]}"
    return None


def prepare_venv(peer, cache: Path, explicit_python: str | None, install: bool,
                 packages: list[str], check) -> None:
    """Find or make `peer`'s venv `NAME-pyX.Y` under `cache` with `packages`; `check(exe)`
    gives the versions it imports (None if it does not).  Sets peer.python and peer.versions,
    or peer.problem."""
    interpreter = find_interpreter(peer, explicit_python)
    if interpreter is None:
        peer.problem = (f"no Python >= {peer.min_python[0]}.{peer.min_python[1]} found "
                        f"(pyenv install {peer.prefer[0]}, or --{peer.name}-python)")
        return
    major, minor = _python_version(interpreter)
    venv = cache / f"{peer.name}-py{major}.{minor}"
    exe = venv / "bin" / "python"
    versions = check(exe) if exe.exists() else None
    if versions:
        peer.python, peer.versions = str(exe), versions
        return
    if not install:
        peer.problem = f"no working venv at {venv} (run without --no-install to make it)"
        return
    log(f"installing {' '.join(packages)} into {venv} (Python {major}.{minor}); this takes a"
        " few minutes")
    logfile = cache / f"{peer.name}-py{major}.{minor}-install.log"
    peer.problem = make_venv(interpreter, venv, packages, logfile)
    if peer.problem:
        return
    versions = check(exe)
    if versions is None:
        peer.problem = f"installed, but importing it fails (see {logfile})"
        return
    peer.python, peer.versions = str(exe), versions


def prepare_peer(peer: Peer, cache: Path, explicit_python: str | None, install: bool) -> None:
    prepare_venv(peer, cache, explicit_python, install, [peer.spec],
                 lambda exe: _check_peer(exe, peer))


# -- one measurement -----------------------------------------------------------------------

@dataclass
class Measurement:
    sim: str
    model: str
    n: int
    kind: str                        # run, first-cold, first-warm
    result: dict | None = None       # the worker's JSON
    wall_s: float = 0.0              # of the whole process, from its start
    result_s: float = 0.0            # from its start until its result line was printed
    other_cores: float = 0.0
    error: str | None = None


def worker_command(sim: str, pythons: dict) -> list[str]:
    if sim == "neuroflow":
        return [pythons[sim], str(PEERS / "neuroflow_bench.py")]
    if sim == "neuroflow-jax":
        return [pythons[sim], str(PEERS / "neuroflow_bench.py"), "--no-native"]
    if sim.startswith("brian2"):
        device = "cpp_standalone" if sim == "brian2-standalone" else "runtime"
        return [pythons[sim], str(PEERS / "brian2_bench.py"), "--device", device]
    return [pythons[sim], str(PEERS / "brainpy_bench.py")]


NEUROFLOW_ENV: dict = {}   # set by --neuroflow-rev: where the snapshot of the package is


def worker_environment(sim: str, workdir: str) -> dict:
    """The environment of a worker: neuroflow keeps its native kernels in the workdir, so that
    a fresh workdir is a cold cache for neuroflow as it is for Brian2. Every worker may write
    Python's bytecode cache, as a user's interpreter does: pip precompiles the peers' packages,
    and without it an editable or snapshot neuroflow would compile its sources in every process."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if sim.startswith("neuroflow"):
        env["XDG_CACHE_HOME"] = os.path.join(workdir, "cache")
        env.update(NEUROFLOW_ENV)
    return env


def snapshot_neuroflow(rev: str, into: str) -> None:
    """Export the package at git revision `rev` into `into`, for the neuroflow workers to import:
    the working tree may change while a long comparison runs."""
    root = HERE.parent
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=root, capture_output=True,
                         text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", sha, "neuroflow"], cwd=root,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    NEUROFLOW_ENV.update(PYTHONPATH=into, NEUROFLOW_BENCH_SOURCE=f"{sha} (snapshot)")
    log(f"neuroflow workers import the package as of {sha}")


def run_until_exit(cmd: list[str], workdir: str, timeout: float, env: dict):
    """Run `cmd` to its end: (exit status, stdout, stderr, the perf_counter time at which its
    `RESULT` line arrived, or None). A result is there when that line is printed; what the
    interpreter does afterwards (a JAX process spends ~0.2 s tearing its modules down) is
    not waited for by the person who reads it."""
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=workdir,
                                env=env)
        deadline = threading.Timer(timeout, proc.kill)
        deadline.start()
        out, result_at = [], None
        try:
            for line in proc.stdout:
                if result_at is None and line.startswith("RESULT "):
                    result_at = time.perf_counter()
                out.append(line)
            proc.wait()
        finally:
            killed = not deadline.is_alive()
            deadline.cancel()
        if killed and proc.returncode != 0:
            raise subprocess.TimeoutExpired(cmd, timeout)
        err.seek(0)
        return proc.returncode, "".join(out), err.read(), result_at


def measure(sim: str, model: str, n: int, p: float, duration: float, repeats: int, kind: str,
            workdir: str, pythons: dict, args: argparse.Namespace, timeout: float) -> Measurement:
    m = Measurement(sim, model, n, kind)
    if args.wait_idle > 0:
        wait_until_quiet(args.wait_idle, args.disturbed)
    cmd = worker_command(sim, pythons) + ["--model", model, "--n", str(n), "--p", repr(p),
                                          "--duration", repr(duration), "--repeats", str(repeats),
                                          "--seed", str(args.seed), "--workdir", workdir]
    busy0, _ = _cpu_times()
    cpu0 = _children_cpu()
    start = time.perf_counter()
    try:
        returncode, stdout, stderr, result_at = run_until_exit(cmd, workdir, timeout,
                                                               worker_environment(sim, workdir))
    except subprocess.TimeoutExpired:
        m.wall_s = time.perf_counter() - start
        m.error = f"over the time limit ({timeout:.0f} s)"
        return m
    m.wall_s = time.perf_counter() - start
    m.result_s = (result_at - start) if result_at is not None else m.wall_s
    busy1, _ = _cpu_times()
    m.other_cores = max(0.0, (busy1 - busy0) - (_children_cpu() - cpu0)) / m.wall_s
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    if returncode != 0 or not lines:
        tail = [line for line in (stderr + stdout).splitlines() if line.strip()][-4:]
        m.error = f"exit {returncode}: " + " | ".join(tail)[-400:]
        return m
    m.result = json.loads(lines[-1][len("RESULT "):])
    return m


def describe(m: Measurement) -> str:
    if m.error:
        return f"FAILED {m.error}"
    r = m.result
    if m.kind == "run":
        runs = ", ".join(f"{x:.3f}" for x in r["runs_s"])
        return (f"+compile {r['first_s']:.2f} s, runs {runs} s, "
                f"rates {r['rate_exc_hz']:.1f}/{r['rate_inh_hz']:.1f}"
                f" Hz, RSS {r['peak_rss_mib']:.0f} MiB, others {m.other_cores:.2f} cores")
    return (f"{m.result_s:.2f} s to the result, {m.wall_s:.2f} s to the exit (import "
            f"{r['import_s']:.2f}, build+compile+run {r['first_s']:.2f}),"
            f" others {m.other_cores:.2f} cores")


# -- tables --------------------------------------------------------------------------------

def _best(m: Measurement) -> float | None:
    if m.result is None:
        return None
    return min(m.result["runs_s"]) if m.result["runs_s"] else None


def _best_or_first(m: Measurement) -> float:
    best = _best(m)
    return best if best is not None else m.result["first_s"]


def _ratio(nf: tuple | None, other: tuple | None) -> str:
    if nf is None or other is None or other[0] == 0:
        return "–"
    return f"{nf[0] / other[0]:.2f}"


def _other(ms: list[Measurement], threshold: float) -> str:
    worst = max((m.other_cores for m in ms), default=0.0)
    return f"{worst:.2f}" + (" !" if worst > threshold else "")


def model_table(model: str, sims: list[str], runs: dict, firsts: dict, problems: dict,
                threshold: float) -> str:
    lines = [tables.header(["simulator", "run (s)", "nf/x", "+compile (s)", "nf/x",
                            "first, cold (s)", "nf/x", "first, warm (s)", "rates E/I (Hz)",
                            "peak RSS (MiB)", "nf/x", "other"])]
    stats = {}
    for sim in sims:
        ms = runs.get((sim, model), [])
        cold = [m for m in firsts.get((sim, model), []) if m.kind == "first-cold"]
        warm = [m for m in firsts.get((sim, model), []) if m.kind == "first-warm"]
        ok = [m for m in ms if m.result]
        stats[sim] = {
            "run": tables.spread([_best(m) for m in ok]),
            "compile": tables.spread([m.result["first_s"] for m in ok]),
            "cold": tables.spread([m.result_s for m in cold if m.result]),
            "warm": tables.spread([m.result_s for m in warm if m.result]),
            "rss": tables.spread([m.result["peak_rss_mib"] for m in ok], "{:.0f}"),
        }
    nf = stats.get("neuroflow", {})
    for sim in sims:
        if sim in problems:
            lines.append(f"| {sim} | not run: {tables.cell(problems[sim])} |" + " |" * 10)
            continue
        s = stats[sim]
        ms = runs.get((sim, model), []) + firsts.get((sim, model), [])
        failed = [m for m in ms if m.error]
        if not any(m.result for m in ms):
            reason = failed[0].error if failed else "no result"
            lines.append(f"| {sim} | failed: {tables.cell(reason)} |" + " |" * 10)
            continue
        ok = [m for m in runs.get((sim, model), []) if m.result]
        rates = (f"{statistics.median(m.result['rate_exc_hz'] for m in ok):.1f} / "
                 f"{statistics.median(m.result['rate_inh_hz'] for m in ok):.1f}") if ok else "–"

        def cell(key, s=s):
            return s[key][1] if s[key] else "–"

        def ratio(key, s=s):
            return _ratio(nf.get(key), s[key])
        cells = [sim, cell("run"), ratio("run"), cell("compile"), ratio("compile"), cell("cold"),
                 ratio("cold"), cell("warm"), rates, cell("rss"), ratio("rss"),
                 _other(ms, threshold)]
        lines.append(tables.row(cells))
        if failed:
            lines.append(f"| ↳ {len(failed)} of {len(ms)} measurements failed: "
                         f"{tables.cell(failed[0].error)} |" + " |" * 11)
    return "\n".join(lines)


def scaling_table(sims: list[str], sizes: list[int], runs: dict, notes: dict,
                  threshold: float) -> str:
    lines = [tables.header(["N", "simulator", "run (s)", "nf/x", "+compile (s)", "rates E/I (Hz)",
                            "peak RSS (MiB)", "nf/x", "other"])]
    for n in sizes:
        nf_ms = [m for m in runs.get(("neuroflow", n), []) if m.result]
        nf_run = tables.spread([_best(m) for m in nf_ms])
        nf_rss = tables.spread([m.result["peak_rss_mib"] for m in nf_ms])
        for sim in sims:
            if (sim, n) in notes:
                lines.append(f"| {n} | {sim} | {tables.cell(notes[(sim, n)])} |" + " |" * 6)
                continue
            ms = runs.get((sim, n), [])
            ok = [m for m in ms if m.result]
            if not ok:
                reason = ms[0].error if ms else "not run"
                lines.append(f"| {n} | {sim} | failed: {tables.cell(reason)} |" + " |" * 6)
                continue
            run, comp = (tables.spread([_best(m) for m in ok]),
                         tables.spread([m.result["first_s"] for m in ok]))
            rss = tables.spread([m.result["peak_rss_mib"] for m in ok], "{:.0f}")
            rates = (f"{statistics.median(m.result['rate_exc_hz'] for m in ok):.1f} / "
                     f"{statistics.median(m.result['rate_inh_hz'] for m in ok):.1f}")
            cells = [str(n), sim, run[1] if run else "–", _ratio(nf_run, run),
                     comp[1] if comp else "–", rates, rss[1] if rss else "–", _ratio(nf_rss, rss),
                     _other(ms, threshold)]
            lines.append(tables.row(cells))
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated: coba,cuba,cobahh")
    parser.add_argument("--sims", default=",".join(SIMULATORS),
                        help="comma-separated: " + ",".join(SIMULATORS))
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="simulated ms per run (default 1000)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="compiled runs per measurement (best is shown)")
    parser.add_argument("--trials", type=int, default=1,
                        help="independent repetitions of every measurement; tables show median "
                             "(min–max)")
    parser.add_argument("--no-first", action="store_true",
                        help="skip the time-to-first-result processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scaling", action="store_true",
                        help="COBA at --sizes with fixed fan-in instead")
    parser.add_argument("--sizes", default="4000,16000,64000,256000")
    parser.add_argument("--fan-in", type=float, default=80.0,
                        help="expected synapses per neuron and projection type in the sweep: "
                             "p = fan-in / N (default 80, as COBA 4000 at p = 0.02)")
    parser.add_argument("--budget", type=float, default=300.0,
                        help="seconds one sweep process may take: a size whose predicted time "
                             "(simulation linear in N from the previous size) exceeds it is "
                             "skipped; one over 2x is stopped")
    parser.add_argument("--neuroflow-rev", default=None,
                        help="run neuroflow as of this git revision (e.g. HEAD), exported to a "
                             "temporary folder, instead of the working tree, which others may "
                             "be editing")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="limit for one worker process (s)")
    parser.add_argument("--cache-dir",
                        default=os.path.join(os.path.expanduser("~"), ".cache", "neuroflow-bench"),
                        help="where the peers' venvs live (default ~/.cache/neuroflow-bench)")
    parser.add_argument("--brian2-spec", default="brian2==2.11.0")
    parser.add_argument("--brainpy-spec", default="brainpy[cpu]==2.9.0")
    parser.add_argument("--brian2-python", default=None, help="a Python >= 3.13 for Brian2's venv")
    parser.add_argument("--brainpy-python", default=None,
                        help="a Python >= 3.12 for BrainPy's venv")
    parser.add_argument("--no-install", action="store_true", help="use existing venvs only")
    parser.add_argument("--only-setup", action="store_true",
                        help="prepare the venvs, print versions, stop")
    parser.add_argument("--wait-idle", type=float, default=60.0,
                        help="before each measurement wait up to this long for other processes to "
                             "use less than --disturbed cores (0: never wait)")
    parser.add_argument("--disturbed", type=float, default=0.3,
                        help="other processes' average CPU cores above which a figure is "
                             "marked '!'")
    parser.add_argument("--json", default=None,
                        help="also write every measurement to this JSON file")
    args = parser.parse_args()

    models = [m for m in args.models.split(",") if m]
    sims = [s for s in args.sims.split(",") if s]
    for name in models:
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    for name in sims:
        if name not in SIMULATORS:
            parser.error(f"unknown simulator {name!r}; choose from {', '.join(SIMULATORS)}")

    compiler = shutil.which("g++") or shutil.which("c++")
    cache = Path(args.cache_dir)
    pythons, problems, versions = {"neuroflow": sys.executable,
                                   "neuroflow-jax": sys.executable}, {}, {}
    peers = {"brian2": Peer("brian2", args.brian2_spec, (3, 13), ("3.13",)),
             "brainpy": Peer("brainpy", args.brainpy_spec, (3, 12), ("3.13", "3.12"))}
    explicit = {"brian2": args.brian2_python, "brainpy": args.brainpy_python}
    for key, peer in peers.items():
        if not any(s.startswith(key) for s in sims):
            continue
        prepare_peer(peer, cache, explicit[key], not args.no_install)
        versions[key] = peer.versions
        for sim in sims:
            if sim.startswith(key):
                if peer.problem:
                    problems[sim] = peer.problem
                else:
                    pythons[sim] = peer.python
    if "brian2-standalone" in sims and "brian2-standalone" not in problems and compiler is None:
        problems["brian2-standalone"] = "no C++ compiler (g++) on PATH"
    try:
        import jax

        import neuroflow  # noqa: F401
        versions["neuroflow"] = {"jax": jax.__version__}
    except ImportError as err:
        problems["neuroflow"] = problems["neuroflow-jax"] = f"cannot import neuroflow here: {err}"

    machine = machine_description(compiler)
    print(f"machine: {machine.get('cpu')}, {machine['cores']} cores, "
          f"{machine.get('memory_gib')} GiB, "
          f"{machine['platform']}; {machine.get('compiler', 'no C++ compiler')}")
    print(f"neuroflow: Python {machine['python']}, "
          f"JAX {versions.get('neuroflow', {}).get('jax', '?')}")
    for key, peer in peers.items():
        if any(s.startswith(key) for s in sims):
            where = peer.python.replace(os.path.expanduser("~"), "~", 1) if peer.python else ""
            state = peer.problem or f"{where}: " + ", ".join(f"{k} {v}"
                                                             for k, v in peer.versions.items())
            print(f"{key}: {state}")
    if args.only_setup:
        return 0
    active = [s for s in sims if s not in problems]
    started = time.perf_counter()
    everything: list[Measurement] = []

    def run_one(sim, model, n, p, duration, repeats, kind, workdir, timeout):
        log(f"{sim} {model} N={n} {kind} ...")
        m = measure(sim, model, n, p, duration, repeats, kind, workdir, pythons, args, timeout)
        log(f"  {describe(m)}")
        everything.append(m)
        return m

    with tempfile.TemporaryDirectory(prefix="nf-compare-") as scratch:
        def fresh(tag):
            return tempfile.mkdtemp(prefix=tag + "-", dir=scratch)

        if args.neuroflow_rev:
            snapshot_neuroflow(args.neuroflow_rev, fresh("neuroflow-src"))

        if not args.scaling:
            runs, firsts = {}, {}
            for model in models:
                for trial in range(args.trials):
                    for sim in active:
                        m = run_one(sim, model, 4000, 0.02, args.duration, args.repeats, "run",
                                    fresh(sim), args.timeout)
                        runs.setdefault((sim, model), []).append(m)
                        if args.no_first:
                            continue
                        work = fresh(sim)
                        for kind in ("first-cold", "first-warm"):
                            m = run_one(sim, model, 4000, 0.02, FIRST_RESULT_MS, 0, kind, work,
                                        args.timeout)
                            firsts.setdefault((sim, model), []).append(m)
            for model in models:
                print(f"\n### {MODEL_TITLES[model]}, 4000 neurons, "
                      f"{args.duration / 1000:g} s simulated, dt 0.1 ms\n")
                print(model_table(model, sims, runs, firsts, problems, args.disturbed))
        else:
            sizes = [int(float(s)) for s in args.sizes.split(",") if s]
            runs, notes = {}, {}
            for sim in sims:
                if sim in problems:
                    for n in sizes:
                        notes[(sim, n)] = f"not run: {problems[sim]}"
            for sim in active:
                previous = None
                for n in sizes:
                    if previous is not None and previous.result is None:
                        notes[(sim, n)] = "skipped: the previous size did not finish"
                        continue
                    if previous is not None:
                        # the simulations grow with N; import and compilation are taken as fixed
                        simulated = (args.repeats + 1) * _best_or_first(previous)
                        predicted = previous.wall_s - simulated + simulated * n / previous.n
                        if predicted > args.budget:
                            notes[(sim, n)] = (f"skipped: predicted {predicted:.0f} s > budget "
                                               f"{args.budget:.0f} s")
                            log(f"{sim} N={n}: {notes[(sim, n)]}")
                            continue
                    p = min(1.0, args.fan_in / n)
                    for trial in range(args.trials):
                        m = run_one(sim, "coba", n, p, args.duration, args.repeats, "run",
                                    fresh(sim), min(args.timeout, 2 * args.budget))
                        runs.setdefault((sim, n), []).append(m)
                    ok = [m for m in runs[(sim, n)] if m.result]
                    previous = max(ok, key=lambda m: m.wall_s) if ok else runs[(sim, n)][-1]
            print(f"\n### COBA scaling, fan-in {args.fan_in:g} (p = {args.fan_in:g}/N), "
                  f"{args.duration / 1000:g} s simulated, dt 0.1 ms\n")
            print(scaling_table(sims, sizes, runs, notes, args.disturbed))

    print(f"\n{len(everything)} measurements in {time.perf_counter() - started:.0f} s; "
          f"runs are the best of {args.repeats}; {args.trials} trial(s)"
          + ("; 'first' is a fresh process simulating 10 ms"
             if not args.scaling and not args.no_first else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "versions": versions, "problems": problems,
                       "args": vars(args), "measurements": [m.__dict__ for m in everything]},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
