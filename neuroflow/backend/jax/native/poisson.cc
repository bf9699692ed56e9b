// Native CPU kernel for Poisson input (`lower_poisson` in `_synaptic.py`): per neuron, how many
// of its N sources spiked this step, by inverting the binomial's distribution.
//
// The uniform number of neuron i is the counter-based hash of `_hash.py` (SplitMix64's
// finaliser keyed by the step) turned into (bits + 1/2) 2^-52, and the count is the number of
// entries of the table of P(count <= k) at or below it (`searchsorted(..., side="right")`),
// capped at N: the same integers, the same exactly rounded doubles and the same comparisons as
// the JAX path, so the same counts bit for bit.  XLA:CPU emulates the 64-bit multiplications
// of the hash with 32-bit ones and reduces the comparisons row by row; here both run in wide
// vectors (`NEUROFLOW_WIDEST_VECTORS`: AVX-512 with its 64-bit multiply where the CPU has it).
#include <cstdint>

#include "frame.h"

using neuroflow::DType;
using neuroflow::Frame;

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull, kGamma = 0xD1B54A32D192ED03ull;
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull, kMix2 = 0x94D049BB133111EBull;
constexpr int64_t kChunk = 256;  // neurons whose numbers and counts are held at once

inline uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * kMix1;
  x = (x ^ (x >> 27)) * kMix2;
  return x ^ (x >> 31);
}

// counts[i] for the neurons [0, size) numbered from `first` in their population
template <typename Real>
__attribute__((always_inline)) inline void Counts(uint64_t key, int64_t first,
                                                  const double* table, int64_t entries,
                                                  int64_t sources, Real* counts, int64_t size) {
  // counts as doubles (small integers, exact): every loop then runs on lanes of one width
  double number[kChunk], below[kChunk];
  const double cap = static_cast<double>(sources);
  for (int64_t begin = 0; begin < size; begin += kChunk) {
    const int64_t width = size - begin < kChunk ? size - begin : kChunk;
    for (int64_t k = 0; k < width; ++k) {
      const uint64_t row = static_cast<uint64_t>(first + begin + k);
      const uint64_t bits = Mix(Mix(key ^ (row * kGolden)) + kGamma) >> 12;
      number[k] = (static_cast<double>(static_cast<int64_t>(bits)) + 0.5) * 0x1p-52;
      below[k] = 0;
    }
    for (int64_t j = 0; j < entries; ++j) {
      const double cut = table[j];
      for (int64_t k = 0; k < width; ++k) below[k] += cut <= number[k] ? 1.0 : 0.0;
    }
    for (int64_t k = 0; k < width; ++k) {
      counts[begin + k] = static_cast<Real>(below[k] < cap ? below[k] : cap);
    }
  }
}

NEUROFLOW_WIDEST_VECTORS void CountsF32(
    uint64_t key, int64_t first, const double* table, int64_t entries, int64_t sources,
    float* counts, int64_t size) {
  Counts(key, first, table, entries, sources, counts, size);
}

NEUROFLOW_WIDEST_VECTORS void CountsF64(
    uint64_t key, int64_t first, const double* table, int64_t entries, int64_t sources,
    double* counts, int64_t size) {
  Counts(key, first, table, entries, sources, counts, size);
}

inline void CountsOf(uint64_t key, int64_t first, const double* table, int64_t entries,
                     int64_t sources, float* counts, int64_t size) {
  CountsF32(key, first, table, entries, sources, counts, size);
}
inline void CountsOf(uint64_t key, int64_t first, const double* table, int64_t entries,
                     int64_t sources, double* counts, int64_t size) {
  CountsF64(key, first, table, entries, sources, counts, size);
}

// Arguments: the step's key (uint64), the index of the first neuron (int64), the table
// (float64); attribute `sources` (N); result: the counts [size] as floats.
template <typename Real>
XLA_FFI_Error* PoissonCount(const Frame& frame) {
  if (!frame.buffers({XLA_FFI_DataType_U64, XLA_FFI_DataType_S64, XLA_FFI_DataType_F64},
                     {DType<Real>::value})) {
    return frame.invalid("neuroflow Poisson count: expected (uint64 key, int64 first, float64"
                         " table) -> counts");
  }
  int64_t sources;
  if (!frame.attr("sources", &sources)) {
    return frame.invalid("neuroflow Poisson count: the attribute 'sources' (int64) is missing");
  }
  const auto table = frame.arg(2), out = frame.ret(0);
  CountsOf(*frame.arg(0).as<uint64_t>(), *frame.arg(1).as<int64_t>(), table.as<double>(),
           table.count(), sources, out.as<Real>(), out.count());
  return nullptr;
}

}  // namespace

NEUROFLOW_HANDLER(NeuroflowPoissonCountF32, PoissonCount<float>)
NEUROFLOW_HANDLER(NeuroflowPoissonCountF64, PoissonCount<double>)
