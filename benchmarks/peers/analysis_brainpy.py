"""BrainPy 2.9's analysis of the Wong-Wang (2006) reduced decision model: `PhasePlane2D`'s
nullclines and fixed points on a grid of `--resolution`, timed from after the import, with the
fixed points printed so that the caller can measure their accuracy.  Run under the BrainPy
venv by `benchmarks/analysis_wong_wang.py`; prints one `RESULT {json}` line."""
import argparse
import json
import time

START = time.perf_counter()
import brainpy as bp  # noqa: E402
import brainpy.math as bm  # noqa: E402

IMPORTED = time.perf_counter()
bm.enable_x64()

# the paper's units: nA, Hz, s
A, B, D, GAMMA, TAU = 270.0, 108.0, 0.154, 0.641, 0.1
J_SAME, J_CROSS, I_0, J_EXT, MU = 0.2609, 0.0497, 0.3255, 0.00052, 30.0


def rate(x):
    y = A * x - B
    return y / (1.0 - bm.exp(-D * y))


@bp.odeint
def int_s1(s1, t, s2):
    x1 = J_SAME * s1 - J_CROSS * s2 + I_0 + J_EXT * MU
    return -s1 / TAU + (1.0 - s1) * GAMMA * rate(x1)


@bp.odeint
def int_s2(s2, t, s1):
    x2 = J_SAME * s2 - J_CROSS * s1 + I_0 + J_EXT * MU
    return -s2 / TAU + (1.0 - s2) * GAMMA * rate(x2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--resolution", type=float, default=0.001)
    args = parser.parse_args()
    start = time.perf_counter()
    analyzer = bp.analysis.PhasePlane2D(model=[int_s1, int_s2],
                                        target_vars={"s1": [0, 1], "s2": [0, 1]},
                                        resolutions=args.resolution)
    analyzer.plot_nullcline()
    points = analyzer.plot_fixed_point(with_return=True)
    elapsed = time.perf_counter() - start
    points = [[float(v) for v in p] for p in (points[0] if isinstance(points, tuple)
                                              else points)]
    print("RESULT " + json.dumps({"simulator": "brainpy", "version": bp.__version__,
                                  "import_s": IMPORTED - START, "analysis_s": elapsed,
                                  "resolution": args.resolution, "fixed_points": points}))


if __name__ == "__main__":
    main()
