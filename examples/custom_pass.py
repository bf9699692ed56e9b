"""Writing your own pass: a pass is a function `Model -> Model`, registered by name.

This one clamps every threshold crossing's reset to a floor (a made-up transformation,
small enough to read): it rewrites `v = Vr` into `v = maximum(Vr, floor)`.  Then it runs
in a pipeline written as text, with an option.

Run it:  python examples/custom_pass.py
"""
from dataclasses import dataclass

import neuroflow as nf
from neuroflow import ir
from neuroflow.passes import PassReport, register_pass
from neuroflow.units import ms, second


@dataclass(frozen=True)
class ClampResetOptions:
    floor: float = -65.0  # mV


@register_pass("clamp_reset", ClampResetOptions)
def clamp_reset(model: ir.Model, options: ClampResetOptions) -> ir.Model:
    """Requires: resets.  Guarantees: every reset assignment `x = e` becomes
    `x = maximum(e, floor)`."""
    floor = ir.Const(options.floor, ir.parse_dimension("mV"))
    resets = [reset.replace(body=tuple(
        ir.Statement(s.target, s.op, ir.Call("maximum", (s.expr, floor))) if s.op == "=" else s
        for s in reset.body)) for reset in model.find(ir.Reset)]
    return model.replace(*resets)


net = nf.Network("custom")
P = net.population("P", 100, "dv/dt = (El - v + I)/taum : volt (unless refractory)",
                   threshold="v > Vt", reset="v = Vr", refractory=2 * ms,
                   params=dict(El=-70 * nf.units.mV, I=25 * nf.units.mV, taum=10 * ms,
                               Vt=-50 * nf.units.mV, Vr=-75 * nf.units.mV))
net.monitor_spikes(P)
model = net.build()

if __name__ == "__main__":
    report = PassReport()
    pipeline = ("resolve,canonicalize,clamp_reset{floor=-60.0},integrate,merge,delays,kernels,"
                "fuse,schedule")
    sim = nf.compile(model, dt=0.1 * ms, pipeline=pipeline, report=report)
    print([line for line in sim.ir.splitlines() if line.startswith("reset")][0])
    print(report.timing_table())
    plain = nf.compile(model, dt=0.1 * ms).run(1 * second).rate(P)
    clamped = sim.run(1 * second).rate(P)
    print(f"rate with Vr = -75 mV: {plain:.1f} Hz; "
          f"with the reset clamped at -60 mV: {clamped:.1f} Hz")
