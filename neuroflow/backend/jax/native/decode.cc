// The spikes of a chunk on the host: the (step, neuron) of every bit set in the packed spike
// records the step returns (`jnp.packbits`: [steps, ceil(n / 8)] bytes, the first neuron of a
// byte in its highest bit), in the order of numpy's nonzero on the unpacked array.  Called
// through ctypes, not XLA.
//
// Each chunk is new data, so the branch predictor cannot learn where its spikes are: a loop per
// nonzero byte and per bit mispredicts two or three times a spike (140 us for a COBA-4k chunk of
// 1000 steps, 3x what the same loops take on a chunk they have seen).  Here a row goes in blocks
// of 64 bytes: which bytes hold spikes is computed without branches, and the first four such
// bytes are written whether or not they exist (the count moves on by how many do), so a block
// takes no branch that depends on the data unless it is a rare one: more than four bytes with
// spikes, or a byte with two (then the block is decoded a bit at a time).  A COBA-4k chunk
// of 1000 steps: 52 us with AVX-512, 98 us without vectors, against 140 us a bit at a time.
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "frame.h"
#include "spikes.h"

namespace {

constexpr int64_t kBlock = 64;
constexpr int kWritten = 4;  // bytes with spikes written without a branch per block

// Bit k of the result is set where byte k of `word` is not zero.
inline uint64_t NonzeroBytes(uint64_t word) {
  constexpr uint64_t low7 = 0x7f7f7f7f7f7f7f7full, high = 0x8080808080808080ull;
  const uint64_t flags = (((word & low7) + low7) | word) & high;  // each nonzero byte's top bit
  return ((flags >> 7) * 0x0102040810204080ull) >> 56;  // gathered into one byte, byte k at bit k
}

// Each byte of `word` with its lowest set bit cleared (b & (b - 1)): not zero where a byte holds
// two spikes or more.  The top bit set before subtracting keeps borrows inside each byte.
inline uint64_t LowestCleared(uint64_t word) {
  return word & ((word | 0x8080808080808080ull) - 0x0101010101010101ull);
}

struct Out {
  int32_t* step;
  int32_t* neuron;
  int64_t capacity;
  int64_t count;

  void Add(int64_t row, int64_t neuron_index) {
    if (count < capacity) {
      step[count] = static_cast<int32_t>(row);
      neuron[count] = static_cast<int32_t>(neuron_index);
    }
    ++count;
  }
};

// Every spike of a block whatever it holds, a bit at a time.
inline void DecodeExactly(const uint8_t* bytes, int64_t first_byte, int64_t row, Out& out) {
  neuroflow::ForEachNonzeroByte(bytes, kBlock, [&](int64_t k) {
    uint32_t byte = bytes[k];
    while (byte != 0) {
      const int bit = __builtin_clz(byte) - 24;  // 0 for the highest bit: the first neuron
      out.Add(row, (first_byte + k) * 8 + bit);
      byte &= ~(0x80u >> bit);
    }
  });
}

// The spikes of the 64 bytes at `bytes`, the neurons from byte `first_byte` of row `row`, of
// which `nonzero` (bit k: byte k) are not zero; `several`: one of them holds two spikes or more.
__attribute__((always_inline)) inline void DecodeBlock(const uint8_t* bytes, uint64_t nonzero,
                                                       bool several, int64_t first_byte,
                                                       int64_t row, Out& out) {
  const int spiking = __builtin_popcountll(nonzero);
  if (several || spiking > kWritten || out.count + kWritten > out.capacity) {
    DecodeExactly(bytes, first_byte, row, out);
    return;
  }
  int32_t* step = out.step + out.count;
  int32_t* neuron = out.neuron + out.count;
  for (int e = 0; e < kWritten; ++e) {  // kWritten written, `spiking` kept
    const int k = __builtin_ctzll(nonzero | (uint64_t{1} << 63));  // 63 once none is left
    step[e] = static_cast<int32_t>(row);
    neuron[e] = static_cast<int32_t>((first_byte + k) * 8 + __builtin_clz(bytes[k] | 1u) - 24);
    nonzero &= nonzero - 1;
  }
  out.count += spiking;
}

// A row's blocks are its whole 64 bytes, then the rest padded with zeros (copied into `tail`).
inline const uint8_t* BlockOf(const uint8_t* row, int64_t first, int64_t row_bytes,
                              uint8_t (&tail)[kBlock]) {
  if (first + kBlock <= row_bytes) return row + first;
  std::memset(tail, 0, kBlock);
  std::memcpy(tail, row + first, row_bytes - first);
  return tail;
}

// Without vector instructions: the nonzero bytes of each word found with integer arithmetic.
NEUROFLOW_WIDEST_VECTORS void DecodeRows(const uint8_t* packed, int64_t steps, int64_t row_bytes, Out& out) {
  uint8_t tail[kBlock];
  for (int64_t row = 0; row < steps; ++row) {  // a row at a time: no division per spike
    for (int64_t first = 0; first < row_bytes; first += kBlock) {
      const uint8_t* bytes = BlockOf(packed + row * row_bytes, first, row_bytes, tail);
      uint64_t nonzero = 0, several = 0;
      for (int w = 0; w < kBlock / 8; ++w) {
        uint64_t word;
        std::memcpy(&word, bytes + 8 * w, sizeof word);
        nonzero |= NonzeroBytes(word) << (8 * w);
        several |= LowestCleared(word);
      }
      DecodeBlock(bytes, nonzero, several != 0, first, row, out);
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// With AVX-512's byte masks a block's nonzero bytes, and whether one holds two spikes, are an
// instruction each.  The row and block loop of `DecodeRows` is written again here because the
// intrinsics inline only into a function compiled for AVX-512: a shared loop calling them
// through a lambda or a template would be compiled for the baseline and refused.
__attribute__((target("avx512f,avx512bw,popcnt,bmi,lzcnt"))) void DecodeRowsAvx512(
    const uint8_t* packed, int64_t steps, int64_t row_bytes, Out& out) {
  const __m512i one = _mm512_set1_epi8(1);
  uint8_t tail[kBlock];
  for (int64_t row = 0; row < steps; ++row) {
    for (int64_t first = 0; first < row_bytes; first += kBlock) {
      const uint8_t* bytes = BlockOf(packed + row * row_bytes, first, row_bytes, tail);
      const __m512i v = _mm512_loadu_si512(bytes);
      const __m512i lowest_cleared = _mm512_and_si512(v, _mm512_sub_epi8(v, one));
      DecodeBlock(bytes, _mm512_test_epi8_mask(v, v),
                  _mm512_test_epi8_mask(lowest_cleared, lowest_cleared) != 0, first, row, out);
    }
  }
}
#endif

}  // namespace

// Writes the step and the neuron of at most `capacity` spikes; returns how many there are.
// `vectors` 0: without vector instructions, whatever the CPU has (for tests).
extern "C" int64_t NeuroflowSpikeIndices(const uint8_t* packed, int64_t steps, int64_t row_bytes,
                                         int32_t* step, int32_t* neuron, int64_t capacity,
                                         int32_t vectors) {
  Out out{step, neuron, capacity, 0};
#if defined(__x86_64__) && defined(__GNUC__)
  if (vectors != 0 && __builtin_cpu_supports("avx512bw")) {
    DecodeRowsAvx512(packed, steps, row_bytes, out);
    return out.count;
  }
#endif
  DecodeRows(packed, steps, row_bytes, out);
  return out.count;
}
