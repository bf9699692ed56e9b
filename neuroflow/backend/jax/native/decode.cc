// The spikes of a chunk on the host: the (step, neuron) of every bit set in the packed spike
// records the step returns (`jnp.packbits`: [steps, ceil(n / 8)] bytes, the first neuron of a
// byte in its highest bit), in the order of numpy's nonzero on the unpacked array.  Called
// through ctypes, not XLA.  Spikes are rare: the bytes are read eight at a time, as one word,
// and only a nonzero word is looked into (a row and column are worked out only for a spike).
#include <cstdint>
#include <cstring>

namespace {

// Calls visit(offset, byte) for every nonzero byte of `packed`, in order.
template <typename Visit>
void ForEachNonzeroByte(const uint8_t* packed, int64_t bytes, Visit visit) {
  int64_t k = 0;
  for (; k + 8 <= bytes; k += 8) {
    uint64_t word;
    std::memcpy(&word, packed + k, sizeof word);
    if (word == 0) continue;
    for (int64_t m = k; m < k + 8; ++m) {
      if (packed[m] != 0) visit(m, packed[m]);
    }
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
  ForEachNonzeroByte(packed, steps * row_bytes, [&](int64_t offset, uint32_t byte) {
    const int64_t row = offset / row_bytes, column = offset - row * row_bytes;
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
  return count;
}
