// The spikes of a chunk on the host: the (step, neuron) of every bit set in the packed spike
// records the step returns (`jnp.packbits`: [steps, ceil(n / 8)] bytes, the first neuron of a
// byte in its highest bit), in the order of numpy's nonzero on the unpacked array.  Called
// through ctypes, not XLA.  Spikes are rare: eight bytes are tested at once.
#include <cstdint>
#include <cstring>

// The number of bits set in `bytes` bytes.
extern "C" int64_t NeuroflowCountSpikes(const uint8_t* packed, int64_t bytes) {
  int64_t count = 0, k = 0;
  for (; k + 8 <= bytes; k += 8) {
    uint64_t word;
    std::memcpy(&word, packed + k, sizeof word);
    count += __builtin_popcountll(word);
  }
  for (; k < bytes; ++k) count += __builtin_popcount(packed[k]);
  return count;
}

// Writes the step and the neuron of at most `capacity` spikes; returns how many there are.
extern "C" int64_t NeuroflowSpikeIndices(const uint8_t* packed, int64_t steps, int64_t row_bytes, int32_t* step,
                                         int32_t* neuron, int64_t capacity) {
  int64_t count = 0;
  auto visit = [&](int64_t row, int64_t column, uint32_t byte) {
    while (byte != 0) {
      const int bit = __builtin_clz(byte) - 24;  // 0 for the highest bit: the first neuron
      if (count < capacity) {
        step[count] = static_cast<int32_t>(row);
        neuron[count] = static_cast<int32_t>(column * 8 + bit);
      }
      ++count;
      byte &= ~(0x80u >> bit);
    }
  };
  for (int64_t row = 0; row < steps; ++row) {
    const uint8_t* bytes = packed + row * row_bytes;
    int64_t k = 0;
    for (; k + 8 <= row_bytes; k += 8) {
      uint64_t word;
      std::memcpy(&word, bytes + k, sizeof word);
      if (word == 0) continue;
      for (int64_t m = k; m < k + 8; ++m) visit(row, m, bytes[m]);
    }
    for (; k < row_bytes; ++k) visit(row, k, bytes[k]);
  }
  return count;
}
