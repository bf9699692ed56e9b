// One helper of the event kernels (event_add.cc, and call.cc's adds after a generated block):
// adding the rows of the neurons that spiked into a target variable.
#ifndef NEUROFLOW_NATIVE_ROWS_H_
#define NEUROFLOW_NATIVE_ROWS_H_

#include <cstdint>

#include "spikes.h"

namespace neuroflow {

// Spiking rows whose cache lines are requested before the first of them is added.
constexpr int64_t kPrefetchRows = 16;

inline void Prefetch(const void* start, int64_t bytes) {
  const char* line = static_cast<const char*>(start);
  for (int64_t k = 0; k < bytes; k += 64) __builtin_prefetch(line + k);
}

// For every row i that `for_each_row(visit)` visits, in order: total[j] += factor * w for each target j < n_post
// of row i (`target`, rows of `width` padded with j >= n_post), w the row's weight (`Shared`:
// weight[0] for every synapse).  `Prefix`: the padding of a row is all after its synapses (as
// `EllLayout` fills the table), so a row ends at its first padding slot.  The rows of a few
// spiking neurons are scattered over a table larger than the caches: their lines are requested
// a batch of rows ahead, so that the misses overlap instead of each row waiting for its own; the
// additions keep their order.
template <typename Real, bool Shared, bool Prefix, typename ForEachRow>
inline void AddRowsOf(ForEachRow for_each_row, const int32_t* target, int64_t width, const Real* weight,
                      Real factor, Real* total, int64_t n_post) {
  int64_t batch[kPrefetchRows];
  int64_t held = 0;
  auto add_rows = [&]() {
    for (int64_t r = 0; r < held; ++r) {
      const int32_t* row_target = target + batch[r] * width;
      const Real* row_weight = Shared ? weight : weight + batch[r] * width;
      for (int64_t k = 0; k < width; ++k) {
        const int32_t j = row_target[k];
        if (j >= n_post) {
          if (Prefix) break;
          continue;
        }
        total[j] += factor * row_weight[Shared ? 0 : k];
      }
    }
    held = 0;
  };
  for_each_row([&](int64_t i) {
    Prefetch(target + i * width, width * sizeof(int32_t));
    if (!Shared) Prefetch(weight + i * width, width * sizeof(Real));
    batch[held++] = i;
    if (held == kPrefetchRows) add_rows();
  });
  add_rows();
}

// The rows of the neurons i < n_pre with spiked[i].
template <typename Real, bool Shared, bool Prefix = false>
inline void AddSpikingRows(const bool* spiked, int64_t n_pre, const int32_t* target, int64_t width,
                           const Real* weight, Real factor, Real* total, int64_t n_post) {
  AddRowsOf<Real, Shared, Prefix>([&](auto visit) { ForEachSpike(spiked, n_pre, visit); }, target, width,
                                  weight, factor, total, n_post);
}

}  // namespace neuroflow

#endif  // NEUROFLOW_NATIVE_ROWS_H_
