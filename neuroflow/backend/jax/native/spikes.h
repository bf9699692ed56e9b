// One helper of the event kernels (event.cc, event_add.cc): visiting the neurons that spiked.
#ifndef NEUROFLOW_NATIVE_SPIKES_H_
#define NEUROFLOW_NATIVE_SPIKES_H_

#include <cstdint>
#include <cstring>

namespace neuroflow {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "flag k of a word is its byte k");

// Calls visit(i) for every i < n with spiked[i], in order.  Spikes are rare: 64 flags are
// tested at once (eight 64-bit words or-ed, one vector where the CPU has them), and in a word
// that holds spikes the flags set are found by counting trailing zeros, so a quiet stretch of a
// large population costs little.
template <typename Visit>
inline void VisitWord(uint64_t word, int64_t first, Visit& visit) {
  while (word != 0) {
    const int byte = __builtin_ctzll(word) >> 3;
    visit(first + byte);
    word &= ~(uint64_t{0xff} << (8 * byte));
  }
}

template <typename Visit>
inline void ForEachSpike(const bool* spiked, int64_t n, Visit visit) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t words[8];
    std::memcpy(words, spiked + i, sizeof words);
    uint64_t any = 0;
    for (int k = 0; k < 8; ++k) any |= words[k];
    if (any == 0) continue;
    for (int k = 0; k < 8; ++k) VisitWord(words[k], i + 8 * k, visit);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, spiked + i, sizeof word);
    VisitWord(word, i, visit);
  }
  for (; i < n; ++i) {
    if (spiked[i]) visit(i);
  }
}

}  // namespace neuroflow

#endif  // NEUROFLOW_NATIVE_SPIKES_H_
