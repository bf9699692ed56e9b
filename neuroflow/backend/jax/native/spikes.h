// One helper of the event kernels (event.cc, event_add.cc): visiting the neurons that spiked.
#ifndef NEUROFLOW_NATIVE_SPIKES_H_
#define NEUROFLOW_NATIVE_SPIKES_H_

#include <cstdint>
#include <cstring>

namespace neuroflow {

// Calls visit(i) for every i < n with spiked[i], in order.  Spikes are rare: eight flags are
// tested at once as one 64-bit word, so a quiet stretch of a large population costs an eighth.
template <typename Visit>
inline void ForEachSpike(const bool* spiked, int64_t n, Visit visit) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, spiked + i, sizeof word);
    if (word == 0) continue;
    for (int64_t k = i; k < i + 8; ++k) {
      if (spiked[k]) visit(k);
    }
  }
  for (; i < n; ++i) {
    if (spiked[i]) visit(i);
  }
}

}  // namespace neuroflow

#endif  // NEUROFLOW_NATIVE_SPIKES_H_
