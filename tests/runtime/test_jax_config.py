"""neuroflow leaves JAX's configuration to the program that imports it: importing any part of
it, compiling and running a float64 model, and the command line change no `jax.config` value,
and JAX code outside neuroflow keeps its float32 defaults."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import io, json, sys, contextlib
    import jax, jax.numpy as jnp, numpy as np

    before = jax.config.values
    changed = {}

    def check(stage):
        now = jax.config.values
        for name in sorted(before.keys() | now.keys()):
            if before.get(name) != now.get(name):
                changed.setdefault(stage, {})[name] = [repr(before.get(name)),
                                                       repr(now.get(name))]

    import neuroflow as nf
    import neuroflow.backend, neuroflow.backend.jax, neuroflow.cli, neuroflow.frontend
    import neuroflow.ir, neuroflow.passes, neuroflow.runtime, neuroflow.runtime.analyze
    import neuroflow.runtime.train
    check("import")

    def model():
        net = nf.Network("decay")
        P = net.population("P", 4, "dv/dt = -v/(10*ms) : 1", init=dict(v=1.0))
        net.monitor(P, "v")
        net.population("R", 50, threshold="rand() < 0.5")  # the uint64 hash
        net.monitor_spikes("R")
        return net.build()

    runs = {}
    for dtype in ("float64", "float32"):
        sim = nf.compile(model(), dt=0.1, dtype=dtype)
        results = sim.run(20.0, seed=3)
        t, v = results.trace("P", "v")
        runs[dtype] = dict(error=float(np.abs(v - np.exp(-t[:, None] / 10)).max()),
                           dtype=str(v.dtype), spikes=results.spikes("R")[1].tolist())
    check("run")

    source = sys.argv[1]
    with contextlib.redirect_stdout(io.StringIO()):
        code = neuroflow.cli.main(["run", source, "--quiet", "--dtype", "float64"])
    check("cli")

    print(json.dumps(dict(changed=changed, runs=runs, cli=code,
                          default=str(jnp.ones(3).dtype),
                          converted=str(jnp.asarray(np.ones(3)).dtype))))
""")

MODEL = """
neuron Decay {
    equations {
        dv/dt = -v/(10*ms) : 1
    }
    initial {
        v = 1
    }
}

network decay {
    population P[3] = Decay()
    monitor P.v
}

run decay {
    dt = 0.1*ms
    duration = 5*ms
}
"""


def test_neuroflow_changes_no_jax_configuration(tmp_path):
    source = tmp_path / "decay.nfl"
    source.write_text(MODEL)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(source)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["changed"] == {}
    assert report["default"] == report["converted"] == "float32"
    assert report["cli"] == 0
    # float64 stays float64 inside neuroflow: exact decay to rounding, not to float32's 1e-7
    runs = report["runs"]
    assert runs["float64"]["dtype"] == "float64" and runs["float64"]["error"] < 1e-13
    assert runs["float32"]["dtype"] == "float32" and runs["float32"]["error"] < 1e-6
    # the random numbers come from the same 64-bit hash in both precisions
    assert 4000 < len(runs["float64"]["spikes"]) < 6000  # 50 neurons, 200 steps, p = 0.5
    assert runs["float32"]["spikes"] == runs["float64"]["spikes"]


CACHE_SCRIPT = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    import jax, jax.numpy as jnp
    import neuroflow as nf
    from neuroflow.backend.jax import jax_scope

    ours = Path(os.environ["XDG_CACHE_HOME"]) / "neuroflow" / "xla"
    with jax_scope():
        inside = jax.config.jax_compilation_cache_dir
    net = nf.Network("decay")
    net.population("P", 4, "dv/dt = -v/(10*ms) : 1", init=dict(v=1.0))
    nf.compile(net.build(), dt=0.1, native=False).run(5.0)
    # the program's own settings, after neuroflow compiled: JAX's cache is not neuroflow's
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    before = sorted(p.name for p in ours.iterdir()) if ours.is_dir() else []
    jax.jit(lambda x: jnp.sin(x) * 3)(jnp.ones(5)).block_until_ready()
    after = sorted(p.name for p in ours.iterdir()) if ours.is_dir() else []
    mine = Path(sys.argv[1])
    jax.config.update("jax_compilation_cache_dir", str(mine))
    jax.jit(lambda x: jnp.cos(x) * 5)(jnp.ones(7)).block_until_ready()
    print(json.dumps(dict(inside=inside, ours=str(ours), same=before == after,
                          mine=[p.name for p in mine.iterdir()] if mine.is_dir() else [])))
""")


def test_neuroflow_compilation_cache_is_its_own(tmp_path):
    """Compiled steps go to neuroflow's cache folder while neuroflow runs; afterwards JAX code of
    the program neither writes there nor finds its own cache setting ignored."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", CACHE_SCRIPT, str(tmp_path / "mine")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["inside"] == report["ours"]
    assert report["same"]
    assert report["mine"]  # the program's own cache got its function
