"""neuroflow's `nf.analyze.slow_points` on the continuous attractor network of
`examples/cann.nfl` (512 units, no input), from the candidates in the `.npz` that
`benchmarks/analysis_cann.py` writes: Levenberg–Marquardt alone from the candidates (no Adam
steps), deduplication, and the eigenvalues of each distinct point's Jacobian (all 512, or the
`--modes` leading ones).  Timed from the loaded model file: `first_s` the first call (tracing
and XLA's compilation included, or loading it from the disk cache where that is on),
`warm_s` a second call in the same process.  Prints one `RESULT {json}` line."""
import argparse
import json
import time
from pathlib import Path

START = time.perf_counter()
import numpy as np  # noqa: E402

import neuroflow as nf  # noqa: E402

IMPORTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[2]


def analyse(system, candidates, modes):
    start = time.perf_counter()
    found = nf.analyze.slow_points(system, candidates=candidates, steps=0, tol=1e-20,
                                   modes=modes)
    return found, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("network", help="the .npz with the candidates and positions")
    parser.add_argument("--modes", type=int, default=None)
    args = parser.parse_args()
    data = np.load(args.network)
    system = nf.analyze.System(nf.load(ROOT / "examples" / "cann.nfl"), {"A": 0.0})
    found, first = analyse(system, data["candidates"], args.modes)
    found, warm = analyse(system, data["candidates"], args.modes)
    start = time.perf_counter()
    nf.analyze.slow_points(system, candidates=data["candidates"], steps=0, tol=1e-20,
                           linearize=False)
    points_s = time.perf_counter() - start
    print("RESULT " + json.dumps({
        "simulator": "neuroflow", "import_s": IMPORTED - START, "first_s": first,
        "analysis_s": warm, "points_s": points_s, "count": len(found),
        "max_q": float(found.speed.max()),
        "peaks": data["positions"][np.argmax(found.states, axis=1)].tolist(),
        "leading": found.eigenvalues[:, 0].real.tolist(),
        "second": found.eigenvalues[:, 1].real.tolist()}))


if __name__ == "__main__":
    main()
