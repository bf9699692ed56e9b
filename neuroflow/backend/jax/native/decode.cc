// The spikes of a chunk on the host: the (step, neuron) of every bit set in the packed spike
// records the step returns (`jnp.packbits`: [steps, ceil(n / 8)] bytes, the first neuron of a
// byte in its highest bit), in the order of numpy's nonzero on the unpacked array.  Called
// through ctypes, not XLA.
#include <cstdint>
#include <cstring>

namespace {

// Calls visit(k, byte) for every nonzero byte k < bytes of `packed`, in order.  Spikes are rare:
// 64 bytes are tested at once (eight words or-ed), then a word's nonzero bytes are found by
// counting its trailing zeros (byte k of a word is its lowest on this little-endian CPU).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "byte k of a word is its k-th lowest");

template <typename Visit>
inline void VisitBytes(uint64_t word, int64_t first, Visit& visit) {
  while (word != 0) {
    const int k = __builtin_ctzll(word) >> 3;
    visit(first + k, static_cast<uint32_t>((word >> (8 * k)) & 0xff));
    word &= ~(uint64_t{0xff} << (8 * k));
  }
}

template <typename Visit>
void ForEachNonzeroByte(const uint8_t* packed, int64_t bytes, Visit visit) {
  int64_t k = 0;
  for (; k + 64 <= bytes; k += 64) {
    uint64_t words[8];
    std::memcpy(words, packed + k, sizeof words);
    uint64_t any = 0;
    for (int w = 0; w < 8; ++w) any |= words[w];
    if (any == 0) continue;
    for (int w = 0; w < 8; ++w) VisitBytes(words[w], k + 8 * w, visit);
  }
  for (; k < bytes; ++k) {
    if (packed[k] != 0) visit(k, packed[k]);
  }
}

}  // namespace

// Writes the step and the neuron of at most `capacity` spikes; returns how many there are.
extern "C" int64_t NeuroflowSpikeIndices(const uint8_t* packed, int64_t steps, int64_t row_bytes, int32_t* step,
                                         int32_t* neuron, int64_t capacity) {
  int64_t count = 0;
  for (int64_t row = 0; row < steps; ++row) {  // a row at a time: no division per spike
    ForEachNonzeroByte(packed + row * row_bytes, row_bytes, [&](int64_t column, uint32_t byte) {
      while (byte != 0) {
        const int bit = __builtin_clz(byte) - 24;  // 0 for the highest bit: the first neuron
        if (count < capacity) {
          step[count] = static_cast<int32_t>(row);
          neuron[count] = static_cast<int32_t>(column * 8 + bit);
        }
        ++count;
        byte &= ~(0x80u >> bit);
      }
    });
  }
  return count;
}
