"""The dense rate network's mat-vec, [1000] x [1000, 1000] float32: XLA's dot against a
hand-written C++ kernel called through `jax.ffi`, on one thread and on two.

    python benchmarks/dense_matvec.py [--n 1000] [--steps 10000] [--repeats 5]

Each variant is one jitted `fori_loop` of `x + 0.01*(-x + W^T tanh(x))` (the update of
`rate_rnn.py`'s network, W stored [pre, post] as neuroflow's dense coupling keeps it); the
variants run alternately and the best of `--repeats` is printed per step, as wall time and as
the process's CPU time (above the wall time: more than one thread worked).  The C++ kernel
(below) sums 4 pre rows at a time into 128 post columns held in L1, built with -march=native;
`two` hands half of the 32-column chunks to a task on XLA's intra-op thread pool
(`XLA_FFI_ThreadPool_Schedule`) and works through the rest on the calling thread.  A
measurement, not part of neuroflow: it needs a C++ compiler.  Never part of the test run.
"""
from __future__ import annotations

import argparse
import ctypes
import subprocess
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

NATIVE = Path(__file__).resolve().parents[1] / "neuroflow" / "backend" / "jax" / "native"

SOURCE = r"""
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include "frame.h"

namespace {
constexpr int64_t kBlock = 128;

// out[j] = sum_i v[i] * W[i, j] for j in [j0, j1), 128 columns at a time
void Columns(const float* v, const float* W, float* out, int64_t n_pre, int64_t n_post,
             int64_t j0, int64_t j1) {
  for (int64_t b = j0; b < j1; b += kBlock) {
    const int64_t width = (b + kBlock < j1 ? b + kBlock : j1) - b;
    float acc[kBlock] = {0};
    int64_t i = 0;
    for (; i + 4 <= n_pre; i += 4) {
      const float a0 = v[i], a1 = v[i + 1], a2 = v[i + 2], a3 = v[i + 3];
      const float* r0 = W + i * n_post + b;
      const float* r1 = r0 + n_post;
      const float* r2 = r1 + n_post;
      const float* r3 = r2 + n_post;
      for (int64_t k = 0; k < width; ++k) {
        acc[k] += a0 * r0[k] + a1 * r1[k] + a2 * r2[k] + a3 * r3[k];
      }
    }
    for (; i < n_pre; ++i) {
      const float* r = W + i * n_post + b;
      for (int64_t k = 0; k < width; ++k) acc[k] += v[i] * r[k];
    }
    std::memcpy(out + b, acc, sizeof(float) * width);
  }
}

// Chunks of columns taken by whichever thread comes; a late task finds none left and only
// drops its reference, so it never touches the buffers after the call returned.
struct Chunks {
  const float *v, *W;
  float* out;
  int64_t n_pre, n_post, count, size;
  std::atomic<int64_t> next{0}, done{0};
  void Work() {
    for (int64_t c; (c = next.fetch_add(1)) < count;) {
      const int64_t j0 = c * size, j1 = j0 + size < n_post ? j0 + size : n_post;
      Columns(v, W, out, n_pre, n_post, j0, j1);
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

void Task(void* data) {
  auto* held = static_cast<std::shared_ptr<Chunks>*>(data);
  (*held)->Work();
  delete held;
}

XLA_FFI_Error* Dense(XLA_FFI_CallFrame* call, bool two) {
  const neuroflow::Frame frame(call);
  const auto v = frame.arg(0), W = frame.arg(1), out = frame.ret(0);
  const int64_t n_pre = W.dim(0), n_post = W.dim(1);
  if (!two) {
    Columns(v.as<float>(), W.as<float>(), out.as<float>(), n_pre, n_post, 0, n_post);
    return nullptr;
  }
  auto chunks = std::make_shared<Chunks>();
  chunks->v = v.as<float>();
  chunks->W = W.as<float>();
  chunks->out = out.as<float>();
  chunks->n_pre = n_pre;
  chunks->n_post = n_post;
  chunks->size = 32;
  chunks->count = (n_post + 31) / 32;
  XLA_FFI_ThreadPool_Schedule_Args args;
  args.struct_size = XLA_FFI_ThreadPool_Schedule_Args_STRUCT_SIZE;
  args.extension_start = nullptr;
  args.ctx = call->ctx;
  args.task = Task;
  args.data = new std::shared_ptr<Chunks>(chunks);
  if (call->api->XLA_FFI_ThreadPool_Schedule(&args) != nullptr) {
    delete static_cast<std::shared_ptr<Chunks>*>(args.data);  // no pool: all on this thread
  }
  chunks->Work();
  while (chunks->done.load(std::memory_order_acquire) != chunks->count) {}
  return nullptr;
}
}  // namespace

extern "C" XLA_FFI_Error* BenchDenseOne(XLA_FFI_CallFrame* call) {
  XLA_FFI_Error* early;
  return neuroflow::Prologue(call, &early) ? Dense(call, false) : early;
}
extern "C" XLA_FFI_Error* BenchDenseTwo(XLA_FFI_CallFrame* call) {
  XLA_FFI_Error* early;
  return neuroflow::Prologue(call, &early) ? Dense(call, true) : early;
}
"""


def build(folder: Path) -> ctypes.CDLL:
    source, library = folder / "dense.cc", folder / "dense.so"
    source.write_text(SOURCE)
    subprocess.run(["c++", "-std=c++17", "-shared", "-fPIC", "-O3", "-march=native",
                    "-ffp-contract=fast", f"-I{jax.ffi.include_dir()}", f"-I{NATIVE}",
                    str(source), "-o", str(library)], check=True)
    return ctypes.cdll.LoadLibrary(str(library))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, steps = args.n, args.steps
    with tempfile.TemporaryDirectory() as folder:
        library = build(Path(folder))
        for name in ("BenchDenseOne", "BenchDenseTwo"):
            jax.ffi.register_ffi_target(name, jax.ffi.pycapsule(getattr(library, name)),
                                        platform="cpu")
    rng = np.random.default_rng(0)
    W = jnp.asarray(rng.normal(0, 1.5 / np.sqrt(n), (n, n)), jnp.float32)
    x0 = jnp.asarray(rng.uniform(-1, 1, n), jnp.float32)

    def products():
        yield "XLA's dot", lambda r: r @ W
        for label, name in (("C++, one thread", "BenchDenseOne"),
                            ("C++, two threads", "BenchDenseTwo")):
            call = jax.ffi.ffi_call(name, jax.ShapeDtypeStruct((n,), jnp.float32))
            yield label, lambda r, call=call: call(r, W)

    runs = {}
    for label, product in products():
        runs[label] = jax.jit(lambda x, f=product: jax.lax.fori_loop(
            0, steps, lambda i, x: x + 0.01 * (-x + f(jnp.tanh(x))), x))
        runs[label](x0).block_until_ready()
    reference = np.asarray(runs["XLA's dot"](x0))
    best = {label: [np.inf, np.inf] for label in runs}
    for _ in range(args.repeats):
        for label, run in runs.items():
            cpu, wall = time.process_time(), time.perf_counter()
            out = run(x0).block_until_ready()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[label] = [min(best[label][0], wall), min(best[label][1], cpu)]
            assert np.abs(np.asarray(out) - reference).max() < 1e-3, label
    print(f"{n} x {n} float32, {steps} steps; per step, best of {args.repeats}:")
    for label, (wall, cpu) in best.items():
        print(f"  {label:18s} wall {wall / steps * 1e6:6.1f} us   cpu {cpu / steps * 1e6:6.1f} us")


if __name__ == "__main__":
    main()
