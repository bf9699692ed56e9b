// Native CPU kernels for neuroflow's projections: event-driven propagation (see event.cc) that
// adds into the target variable in place.
#include <cstdint>
#include <cstring>

#include "frame.h"
#include "rows.h"
#include "spikes.h"

using neuroflow::DType;
using neuroflow::Frame;

// Adds the weights of the spiking rows straight into the target variable (`ge += w`), without
// an intermediate sum or a separate addition: `base` is the variable of the whole post population
// (the result aliases it), the projection's post neurons start at `post_start`, and its pre
// neurons at `pre_start` in `spikes`, the spikes of the whole pre population.  `sign` is -1 for
// `-=`.  Summation order differs from summing first and adding once, by rounding only.
//
// `Packed`: the spikes of a partitioned step as the devices exchanged them, read as they came
// (u8 bits: blocks of `owned` neurons, each from bit `block * stride`; see ForEachPackedSpike),
// so that the step unpacks nothing; the tables of a partition are padded after their synapses
// (`Prefix`).  Otherwise a boolean per neuron.
template <typename Real, bool Shared, bool Packed>
static XLA_FFI_Error* Accumulate(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  const XLA_FFI_DataType flags = Packed ? XLA_FFI_DataType_U8 : XLA_FFI_DataType_PRED;
  int64_t pre_start, post_start, n_post, owned = 1, stride = 1;
  double sign;
  if (!frame.buffers({flags, XLA_FFI_DataType_S32, real, real}, {real}) ||
      !frame.attr("pre_start", &pre_start) || !frame.attr("post_start", &post_start) ||
      !frame.attr("n_post", &n_post) || !frame.attr("sign", &sign) ||
      (Packed && (!frame.attr("owned", &owned) || !frame.attr("stride", &stride)))) {
    return frame.invalid(Packed ? "neuroflow packed event add: expected (uint8 bits, int32 targets, weights,"
                                  " base) -> base, with int64 pre_start, post_start, n_post, owned, stride"
                                  " and float64 sign"
                                : "neuroflow event add: expected (bool spikes, int32 targets, weights, base)"
                                  " -> base, with int64 pre_start, post_start, n_post and float64 sign");
  }
  const auto spikes = frame.arg(0), targets = frame.arg(1), weights = frame.arg(2), base = frame.arg(3);
  const auto out = frame.ret(0);
  const int64_t total_post = out.count();
  const int64_t n_pre = targets.rank() == 2 ? targets.dim(0) - 1 : -1;
  const int64_t last = pre_start + n_pre - 1;  // its flag must be in `spikes`
  const bool pre_fits = Packed ? owned >= 1 && stride >= owned && pre_start >= 0 &&
                                     (n_pre <= 0 || (last / owned) * stride + last % owned < 8 * spikes.count())
                               : last < spikes.count();
  if (targets.rank() != 2 || !pre_fits || post_start + n_post > total_post || base.count() != total_post ||
      (Shared && weights.count() != 1)) {
    return frame.invalid("projection slices do not fit the populations");
  }
  const int64_t width = targets.dim(1);
  Real* total = out.as<Real>();
  if (total != base.as<Real>()) std::memcpy(total, base.as<Real>(), sizeof(Real) * total_post);
  total += post_start;
  const int32_t* target = targets.as<int32_t>();
  const Real* weight = weights.as<Real>();
  const Real factor = static_cast<Real>(sign);
  if constexpr (Packed) {
    neuroflow::AddRowsOf<Real, Shared, true>(
        [&](auto visit) {
          neuroflow::ForEachPackedSpike(spikes.as<uint8_t>(), pre_start, n_pre, owned, stride, visit);
        },
        target, width, weight, factor, total, n_post);
  } else {
    neuroflow::AddSpikingRows<Real, Shared>(spikes.as<bool>() + pre_start, n_pre, target, width, weight,
                                            factor, total, n_post);
  }
  return nullptr;
}

// A device's spikes packed for the exchange, as numpy's packbits (the first neuron of a byte in
// its highest bit, the last byte padded with zeros): one pass, where XLA:CPU's packbits is a
// fusion it splits over its threads every step.
static XLA_FFI_Error* PackBits(const Frame& frame) {
  if (!frame.buffers({XLA_FFI_DataType_PRED}, {XLA_FFI_DataType_U8}) ||
      frame.ret(0).count() != (frame.arg(0).count() + 7) / 8) {
    return frame.invalid("neuroflow pack bits: expected (bool spikes[n]) -> uint8[ceil(n / 8)]");
  }
  const bool* spiked = frame.arg(0).as<bool>();
  const int64_t n = frame.arg(0).count();
  uint8_t* packed = frame.ret(0).as<uint8_t>();
  for (int64_t byte = 0; byte < n / 8; ++byte) {
    // eight flags (0 or 1) as one word, flag k in its byte k: the product moves flag k to bit
    // 63 - k, each to its own bit with no carry, and the top byte is the packed one
    uint64_t flags;
    std::memcpy(&flags, spiked + 8 * byte, sizeof flags);
    packed[byte] = static_cast<uint8_t>((flags * 0x8040201008040201ull) >> 56);
  }
  if (n % 8 != 0) {
    uint32_t value = 0;
    for (int64_t k = 0; k < n % 8; ++k) value |= static_cast<uint32_t>(spiked[8 * (n / 8) + k]) << (7 - k);
    packed[n / 8] = static_cast<uint8_t>(value);
  }
  return nullptr;
}

// All to all with one weight (`ge += w` from every pre neuron): the number of spikes times the
// weight, added to the projection's post neurons in place.  The count is exact and the product and
// the sum are the ones XLA's path computes (count * w, then base + change, or base - change for
// `-=`), so the results are the same to the bit.
template <typename Real>
static XLA_FFI_Error* CountAdd(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  int64_t pre_start, n_pre, post_start, n_post;
  double sign;
  if (!frame.buffers({XLA_FFI_DataType_PRED, real, real}, {real}) ||
      !frame.attr("pre_start", &pre_start) || !frame.attr("n_pre", &n_pre) ||
      !frame.attr("post_start", &post_start) || !frame.attr("n_post", &n_post) ||
      !frame.attr("sign", &sign)) {
    return frame.invalid("neuroflow count add: expected (bool spikes, weight, base) -> base, with"
                         " int64 pre_start, n_pre, post_start, n_post and float64 sign");
  }
  const auto spikes = frame.arg(0), weight = frame.arg(1), base = frame.arg(2);
  const auto out = frame.ret(0);
  const int64_t total_post = out.count();
  if (pre_start + n_pre > spikes.count() || post_start + n_post > total_post ||
      base.count() != total_post || weight.count() != 1) {
    return frame.invalid("projection slices do not fit the populations");
  }
  int64_t count = 0;
  neuroflow::ForEachSpike(spikes.as<bool>() + pre_start, n_pre, [&](int64_t) { ++count; });
  Real* total = out.as<Real>();
  if (total != base.as<Real>()) std::memcpy(total, base.as<Real>(), sizeof(Real) * total_post);
  if (count == 0) return nullptr;
  const Real change = static_cast<Real>(count) * weight.as<Real>()[0];
  if (sign < 0) {
    for (int64_t j = post_start; j < post_start + n_post; ++j) total[j] -= change;
  } else {
    for (int64_t j = post_start; j < post_start + n_post; ++j) total[j] += change;
  }
  return nullptr;
}

// The number of spikes (a rate monitor's count): one pass, where XLA:CPU converts the flags and
// reduces them in a cascade of three kernels.
static XLA_FFI_Error* Count(const Frame& frame) {
  if (!frame.buffers({XLA_FFI_DataType_PRED}, {XLA_FFI_DataType_S32}) || frame.ret(0).count() != 1) {
    return frame.invalid("neuroflow count: expected (bool spikes) -> one int32");
  }
  const auto spikes = frame.arg(0);
  int32_t count = 0;
  neuroflow::ForEachSpike(spikes.as<bool>(), spikes.count(), [&](int64_t) { ++count; });
  *frame.ret(0).as<int32_t>() = count;
  return nullptr;
}

NEUROFLOW_HANDLER(NeuroflowCount, Count)
NEUROFLOW_HANDLER(NeuroflowCountAddF32, (CountAdd<float>))
NEUROFLOW_HANDLER(NeuroflowCountAddF64, (CountAdd<double>))
NEUROFLOW_HANDLER(NeuroflowEventAddF32, (Accumulate<float, false, false>))
NEUROFLOW_HANDLER(NeuroflowEventAddF64, (Accumulate<double, false, false>))
NEUROFLOW_HANDLER(NeuroflowEventAddSharedF32, (Accumulate<float, true, false>))
NEUROFLOW_HANDLER(NeuroflowEventAddSharedF64, (Accumulate<double, true, false>))
NEUROFLOW_HANDLER(NeuroflowEventAddPackedF32, (Accumulate<float, false, true>))
NEUROFLOW_HANDLER(NeuroflowEventAddPackedF64, (Accumulate<double, false, true>))
NEUROFLOW_HANDLER(NeuroflowEventAddPackedSharedF32, (Accumulate<float, true, true>))
NEUROFLOW_HANDLER(NeuroflowEventAddPackedSharedF64, (Accumulate<double, true, true>))
NEUROFLOW_HANDLER(NeuroflowPackBits, PackBits)
