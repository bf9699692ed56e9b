"""neuroflow's `nf.analyze.phase_plane` of the Wong-Wang (2006) reduced decision model
(`examples/wong_wang.nfl`, coherence 0): nullclines traced as curves, the field on a grid of
`--cells` per side, a 10 ms trajectory and the fixed points with their stability.  Timed from
the loaded model file: `first_s` the first call (tracing and XLA's compilation included, or
loading the compiled programs from the disk cache where that is on), `analysis_s` a second
call in the same process.  Prints one `RESULT {json}` line with the fixed points."""
import argparse
import json
import time
from pathlib import Path

START = time.perf_counter()
import neuroflow as nf  # noqa: E402

IMPORTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[2]


def analyse(model, cells: int):
    start = time.perf_counter()
    plane = nf.analyze.phase_plane(model, "S1,S2", {"c": 0.0}, resolution=cells,
                                   bounds={"S1": (0, 1), "S2": (0, 1)}, duration=10)
    return plane, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=100)
    args = parser.parse_args()
    model = nf.load(ROOT / "examples" / "wong_wang.nfl")
    plane, first = analyse(model, args.cells)
    plane, warm = analyse(model, args.cells)
    print("RESULT " + json.dumps({
        "simulator": "neuroflow", "import_s": IMPORTED - START, "first_s": first,
        "analysis_s": warm, "fixed_points": plane.fixed_points.states.tolist()}))


if __name__ == "__main__":
    main()
