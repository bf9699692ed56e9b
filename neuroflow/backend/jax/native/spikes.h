// Helpers of the event kernels (event.cc, event_add.cc, call.cc) and of the host's decoder
// (decode.cc): visiting the neurons that spiked.
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

// Calls visit(i) for every i < n with bytes[i] != 0, in order: the flags of `ForEachSpike`, or the
// packed spike records the host decodes (decode.cc).
template <typename Visit>
inline void ForEachNonzeroByte(const uint8_t* bytes, int64_t n, Visit visit) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t words[8];
    std::memcpy(words, bytes + i, sizeof words);
    uint64_t any = 0;
    for (int k = 0; k < 8; ++k) any |= words[k];
    if (any == 0) continue;
    for (int k = 0; k < 8; ++k) VisitWord(words[k], i + 8 * k, visit);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, sizeof word);
    VisitWord(word, i, visit);
  }
  for (; i < n; ++i) {
    if (bytes[i] != 0) visit(i);
  }
}

template <typename Visit>
inline void ForEachSpike(const bool* spiked, int64_t n, Visit visit) {
  ForEachNonzeroByte(reinterpret_cast<const uint8_t*>(spiked), n, visit);
}

// Calls visit(k) for every k < count whose bit `first + k` is set in `bits`, in order: bits as
// numpy's packbits writes them (bit b in byte b / 8, the first of a byte its highest bit), the
// spikes a partitioned step exchanges.  64 bits are tested at once; byte-swapped, a word's first
// bit is its highest, so leading zeros count neurons.
template <typename Visit>
inline void ForEachSetBit(const uint8_t* bits, int64_t first, int64_t count, Visit visit) {
  const int64_t end = first + count;
  auto one = [&](int64_t b) {
    if (bits[b >> 3] & (0x80u >> (b & 7))) visit(b - first);
  };
  int64_t b = first;
  for (; b < end && (b & 63) != 0; ++b) one(b);
  for (; b + 64 <= end; b += 64) {
    uint64_t word;
    std::memcpy(&word, bits + (b >> 3), sizeof word);
    if (word == 0) continue;
    word = __builtin_bswap64(word);
    while (word != 0) {
      const int lead = __builtin_clzll(word);
      visit(b + lead - first);
      word &= ~(uint64_t{1} << (63 - lead));
    }
  }
  for (; b < end; ++b) one(b);
}

// Packed spikes of a population split into blocks of `owned` neurons, block d's bits from bit
// d * stride (each device packs its own neurons and the blocks are gathered): visit(i - start) for
// every neuron i of [start, start + n) that spiked, in order.
template <typename Visit>
inline void ForEachPackedSpike(const uint8_t* bits, int64_t start, int64_t n, int64_t owned, int64_t stride,
                               Visit visit) {
  for (int64_t block = start / owned; block * owned < start + n; ++block) {
    const int64_t low = block * owned > start ? block * owned : start;
    const int64_t high = (block + 1) * owned < start + n ? (block + 1) * owned : start + n;
    const int64_t offset = low - start;
    ForEachSetBit(bits, block * stride + (low - block * owned), high - low,
                  [&](int64_t k) { visit(offset + k); });
  }
}

}  // namespace neuroflow

#endif  // NEUROFLOW_NATIVE_SPIKES_H_
