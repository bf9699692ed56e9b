// The spikes of a chunk on the host: the (step, neuron) of every bit set in the packed spike
// records the step returns (`jnp.packbits`: [steps, ceil(n / 8)] bytes, the first neuron of a
// byte in its highest bit), in the order of numpy's nonzero on the unpacked array.  Called
// through ctypes, not XLA.
#include <cstdint>

#include "spikes.h"

// Writes the step and the neuron of at most `capacity` spikes; returns how many there are.
extern "C" int64_t NeuroflowSpikeIndices(const uint8_t* packed, int64_t steps, int64_t row_bytes, int32_t* step,
                                         int32_t* neuron, int64_t capacity) {
  int64_t count = 0;
  for (int64_t row = 0; row < steps; ++row) {  // a row at a time: no division per spike
    const uint8_t* bytes = packed + row * row_bytes;
    neuroflow::ForEachNonzeroByte(bytes, row_bytes, [&](int64_t column) {
      uint32_t byte = bytes[column];
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
