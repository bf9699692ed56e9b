"""Count the operations of the compiled step before and after fusion, and time each variant.

    python benchmarks/hlo_ops.py [--n 4000] [--duration 1000] [--models coba cuba cobahh]

For each benchmark model (benchmarks/models/) and three pipelines — without `fuse`
(Brian2's schedule, XLA fuses what it can), `fuse{native=false}` (blocks lowered by XLA)
and `fuse` (blocks as generated C++) — prints:
- `jaxpr`: equations in the traced step (what neuroflow hands to XLA);
- `hlo`: instructions in the optimised HLO of the loop body (bookkeeping ops — parameters,
  constants, tuples, get-tuple-element, bitcasts — not counted);
  each is a kernel XLA:CPU runs one after the other per step (a fusion, a custom call, a
  copy, ...), with a fixed cost of its own on top of its work;
- the run time of `duration` ms (best of 3, compilation excluded).
Never part of the test run.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import jax

import neuroflow as nf
from neuroflow.units import ms

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
from neuroflow_bench import load_model  # noqa: E402  (benchmarks/peers is not a package)

BEFORE = "resolve,canonicalize,integrate,delays,kernels"
PIPELINES = {"no fuse": BEFORE + ",schedule", "fuse (xla)": BEFORE + ",fuse{native=false},schedule",
             "fuse (native)": BEFORE + ",fuse,schedule"}
BOOKKEEPING = {"parameter", "constant", "tuple", "get-tuple-element", "bitcast"}


def loop_body(hlo: str) -> list[str]:
    """The instruction lines of the while loop's body (the step) in optimised HLO text."""
    body = re.search(r"body=(%?[\w.\-]+)", hlo).group(1).lstrip("%")
    match = re.search(rf"^%?{re.escape(body)} .*?\{{\n(.*?)\n\}}", hlo, re.S | re.M)
    return [line.strip() for line in match.group(1).splitlines() if "=" in line]


def opcode(line: str) -> str:
    """The opcode of `%name = TYPE opcode(operands), ...` (TYPE may be a tuple)."""
    rest = re.sub(r"/\*.*?\*/", "", line).split(" = ", 1)[1].lstrip()
    if rest.startswith("("):  # a tuple type: skip to its closing parenthesis
        depth = 0
        for k, char in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                rest = rest[k + 1:]
                break
    else:
        rest = rest.split(None, 1)[1]
    return rest.lstrip().split("(", 1)[0]


def counts(sim) -> dict[str, int]:
    state, params, conn = sim.program.initial(0)
    derived = sim.program.prepare(params)
    jaxpr = jax.make_jaxpr(sim.program.step)(state, params, conn, derived)
    hlo = sim._chunk.lower(state, params, conn, derived, 100).compile().as_text()
    ops = [opcode(line) for line in loop_body(hlo)]
    work = [op for op in ops if op not in BOOKKEEPING]
    return {"jaxpr": len(jaxpr.jaxpr.eqns), "hlo": len(work), "custom": work.count("custom-call")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms per timed run")
    parser.add_argument("--models", nargs="+", default=["coba", "cuba", "cobahh"])
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {args.n} neurons, {args.duration:g} ms, float32")
    print(f"{'model':8s} {'pipeline':14s} {'jaxpr':>6s} {'hlo':>5s} {'of which native':>16s} "
          f"{'run (s)':>8s}")
    for name in args.models:
        model = load_model(name).build(args.n, 80 / args.n if name != "cobahh" else 0.02)[0]
        for label, pipeline in PIPELINES.items():
            sim = nf.compile(model, dt=0.1 * ms, pipeline=pipeline)
            found = counts(sim)
            sim.run(10 * ms, progress=False)
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                sim.run(args.duration * ms, progress=False)
                best = min(best, time.perf_counter() - start)
            print(f"{name:8s} {label:14s} {found['jaxpr']:6d} {found['hlo']:5d} "
                  f"{found['custom']:16d} {best:8.3f}")


if __name__ == "__main__":
    main()
