// Native CPU kernels for neuroflow's `procedural` projections (see `_procedural.py`).
//
// The targets of a spiking pre neuron are regenerated from a counter-based hash of
// (key, pre neuron, draw number) with the same unsigned 64-bit arithmetic as the JAX path,
// so both give the same targets bit for bit:
//   row_key(i) = mix(key ^ (i * GOLDEN)),  draw(i, j) = mix(row_key(i) + (j + 1) * GAMMA).
// fixed_prob: geometric skipping; gap = 1 + #{g : T[g] <= u} with u = draw >> 1 and T the
// gap table built in numpy.  A guide table (also from numpy) gives that count at the start of
// u's bucket of the top bits; a short scan of T from there finishes it.  Integers only.
// fixed_fan_out: k uniform draws, sorted; later copies of a repeated value are replaced (in
// sorted order) by the next draws of the row, until the row is distinct.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "frame.h"

using neuroflow::DType;
using neuroflow::Frame;

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kGamma = 0xD1B54A32D192ED03ULL;

inline uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline uint64_t RowKey(uint64_t key, int64_t row) { return Mix(key ^ (static_cast<uint64_t>(row) * kGolden)); }

inline uint64_t Draw(uint64_t row_key, int64_t j) { return Mix(row_key + (static_cast<uint64_t>(j) + 1) * kGamma); }

// floor(draw * n / 2**64) for n < 2**31, as the JAX path computes it
inline int64_t Below(uint64_t draw, int64_t n) {
  const uint64_t n64 = static_cast<uint64_t>(n);
  return static_cast<int64_t>(((draw >> 32) * n64 + (((draw & 0xFFFFFFFFULL) * n64) >> 32)) >> 32);
}

// #{g : table[g] <= u} for a non-decreasing table, starting the search at `guess`
inline int64_t CountAtMost(const uint64_t* table, int64_t length, uint64_t u, int64_t guess) {
  int64_t c = std::min<int64_t>(std::max<int64_t>(guess, 0), length);
  while (c < length && table[c] <= u) ++c;
  while (c > 0 && table[c - 1] > u) --c;
  return c;
}

// Arguments: spikes [n_pre], key [1], gap table [n_post] (uint64), guide [2**bits] (int32),
// weight [1]; result: the sums [n_post].
template <typename Real>
XLA_FFI_Error* Prob(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_U64, XLA_FFI_DataType_U64, XLA_FFI_DataType_S32, real},
                     {real})) {
    return frame.invalid("neuroflow procedural kernel: expected (spikes, key, table, guide, weight) -> sums");
  }
  const auto spikes = frame.arg(0), key = frame.arg(1), thresholds = frame.arg(2), guides = frame.arg(3);
  const auto weight = frame.arg(4), out = frame.ret(0);
  const int64_t n_pre = spikes.count();
  const int64_t n_post = out.count();
  const int64_t length = thresholds.count();
  const int64_t buckets = guides.count();
  int bits = 0;
  while ((int64_t{1} << bits) < buckets) ++bits;
  if (key.count() != 1 || weight.count() != 1 || length != n_post || (int64_t{1} << bits) != buckets || bits > 62) {
    return frame.invalid("key and weight must be one number, the table n_post long, the guide 2**bits long");
  }
  const bool* spiked = spikes.as<bool>();
  const uint64_t* table = thresholds.as<uint64_t>();
  const int32_t* guide = guides.as<int32_t>();
  const Real w = weight.as<Real>()[0];
  Real* total = out.as<Real>();
  std::memset(total, 0, sizeof(Real) * n_post);
  for (int64_t i = 0; i < n_pre; ++i) {
    if (!spiked[i]) continue;
    const uint64_t row_key = RowKey(key.as<uint64_t>()[0], i);
    int64_t position = -1;
    for (int64_t j = 0;; ++j) {
      const uint64_t u = Draw(row_key, j) >> 1;
      position += 1 + CountAtMost(table, length, u, guide[u >> (63 - bits)]);
      if (position >= n_post) break;
      total[position] += w;
    }
  }
  return nullptr;
}

// Arguments: spikes [n_pre], key [1], weight [1]; attribute k (int64); result: the sums [n_post].
template <typename Real>
XLA_FFI_Error* FanOut(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  int64_t k;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_U64, real}, {real}) || !frame.attr("k", &k)) {
    return frame.invalid("neuroflow procedural kernel: expected (spikes, key, weight) -> sums, with int64 k");
  }
  const auto spikes = frame.arg(0), key = frame.arg(1), weight = frame.arg(2), out = frame.ret(0);
  const int64_t n_pre = spikes.count();
  const int64_t n_post = out.count();
  if (key.count() != 1 || weight.count() != 1 || k < 0 || 2 * k > n_post) {
    return frame.invalid("key and weight must be one number, and 2 k <= n_post");
  }
  const bool* spiked = spikes.as<bool>();
  const Real w = weight.as<Real>()[0];
  Real* total = out.as<Real>();
  std::memset(total, 0, sizeof(Real) * n_post);
  std::vector<int64_t> row(k);
  std::vector<char> surplus(k);
  for (int64_t i = 0; i < n_pre; ++i) {
    if (!spiked[i]) continue;
    const uint64_t row_key = RowKey(key.as<uint64_t>()[0], i);
    for (int64_t j = 0; j < k; ++j) row[j] = Below(Draw(row_key, j), n_post);
    std::sort(row.begin(), row.end());
    int64_t counter = k;
    for (;;) {
      int64_t count = 0;
      for (int64_t j = 0; j < k; ++j) {  // marked on the sorted row before anything is replaced
        surplus[j] = j > 0 && row[j] == row[j - 1];
        count += surplus[j];
      }
      if (count == 0) break;
      for (int64_t j = 0; j < k; ++j) {
        if (surplus[j]) row[j] = Below(Draw(row_key, counter++), n_post);
      }
      std::sort(row.begin(), row.end());
    }
    for (int64_t j = 0; j < k; ++j) total[row[j]] += w;
  }
  return nullptr;
}

}  // namespace

NEUROFLOW_HANDLER(NeuroflowProceduralProbF32, Prob<float>)
NEUROFLOW_HANDLER(NeuroflowProceduralProbF64, Prob<double>)
NEUROFLOW_HANDLER(NeuroflowProceduralFanOutF32, FanOut<float>)
NEUROFLOW_HANDLER(NeuroflowProceduralFanOutF64, FanOut<double>)
