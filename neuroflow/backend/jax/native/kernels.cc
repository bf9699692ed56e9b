// Native CPU kernels for neuroflow's projections, called from the jitted step through XLA's FFI.
//
// Event-driven propagation: for every pre neuron that spiked, add its row of weights to its
// targets.  Synapses are stored per pre neuron, padded to a common width (ELL layout); padded
// slots point at target n_post and are skipped.  One pass over the spiking rows only, with no
// intermediate buffers: this is what XLA's serial scatter cannot do cheaply.
#include <cstdint>
#include <cstring>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

// Calls visit(i) for every i < n with spiked[i], in order.  Spikes are rare: eight flags are
// tested at once as one 64-bit word, so a quiet stretch of a large population costs an eighth.
template <typename Visit>
static inline void ForEachSpike(const bool* spiked, int64_t n, Visit visit) {
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

// Adds, for every spiking row i, weight_of(i, k) to total[target[i][k]]; padded slots are skipped.
template <ffi::DataType T, bool Shared>
static ffi::Error Propagate(ffi::Buffer<ffi::PRED> spikes, ffi::Buffer<ffi::S32> targets,
                            ffi::Buffer<T> weights, ffi::ResultBuffer<T> out) {
  using Real = ffi::NativeType<T>;
  const int64_t n_pre = static_cast<int64_t>(spikes.element_count());
  const auto dims = targets.dimensions();
  if (dims.size() != 2 || dims[0] < n_pre || (Shared && weights.element_count() != 1)) {
    return ffi::Error(ffi::ErrorCode::kInvalidArgument,
                      "targets must be [n_pre + 1, width], and a shared weight one number");
  }
  const int64_t width = dims[1];
  const int64_t n_post = static_cast<int64_t>(out->element_count());
  const bool* spiked = spikes.typed_data();
  const int32_t* target = targets.typed_data();
  const Real* weight = weights.typed_data();
  Real* total = out->typed_data();
  std::memset(total, 0, sizeof(Real) * n_post);
  ForEachSpike(spiked, n_pre, [&](int64_t i) {
    const int32_t* row_target = target + i * width;
    const Real* row_weight = Shared ? weight : weight + i * width;
    for (int64_t k = 0; k < width; ++k) {
      const int32_t j = row_target[k];
      if (j < n_post) total[j] += row_weight[Shared ? 0 : k];
    }
  });
  return ffi::Error::Success();
}

// A weight table like the targets, or one weight shared by every synapse (`ge += 0.6`).
template <ffi::DataType T>
static ffi::Error Event(ffi::Buffer<ffi::PRED> s, ffi::Buffer<ffi::S32> t, ffi::Buffer<T> w, ffi::ResultBuffer<T> o) {
  return Propagate<T, false>(s, t, w, o);
}

template <ffi::DataType T>
static ffi::Error EventShared(ffi::Buffer<ffi::PRED> s, ffi::Buffer<ffi::S32> t, ffi::Buffer<T> w,
                              ffi::ResultBuffer<T> o) {
  return Propagate<T, true>(s, t, w, o);
}

// Adds the weights of the spiking rows straight into the target variable (`ge += w`), without
// an intermediate sum or a separate addition: `base` is the variable of the whole post population
// (the result aliases it), the projection's post neurons start at `post_start`, and its pre
// neurons at `pre_start` in `spikes`, the spikes of the whole pre population.  `sign` is -1 for
// `-=`.  Summation order differs from summing first and adding once, by rounding only.
template <ffi::DataType T, bool Shared>
static ffi::Error Accumulate(ffi::Buffer<ffi::PRED> spikes, ffi::Buffer<ffi::S32> targets, ffi::Buffer<T> weights,
                             ffi::Buffer<T> base, ffi::ResultBuffer<T> out, int64_t pre_start, int64_t post_start,
                             int64_t n_post, double sign) {
  using Real = ffi::NativeType<T>;
  const auto dims = targets.dimensions();
  const int64_t total_post = static_cast<int64_t>(out->element_count());
  if (dims.size() != 2 || pre_start + dims[0] - 1 > static_cast<int64_t>(spikes.element_count()) ||
      post_start + n_post > total_post || base.element_count() != out->element_count() ||
      (Shared && weights.element_count() != 1)) {
    return ffi::Error(ffi::ErrorCode::kInvalidArgument, "projection slices do not fit the populations");
  }
  const int64_t n_pre = dims[0] - 1, width = dims[1];
  const bool* spiked = spikes.typed_data() + pre_start;
  const int32_t* target = targets.typed_data();
  const Real* weight = weights.typed_data();
  Real* total = out->typed_data();
  if (total != base.typed_data()) std::memcpy(total, base.typed_data(), sizeof(Real) * total_post);
  total += post_start;
  const Real factor = static_cast<Real>(sign);
  ForEachSpike(spiked, n_pre, [&](int64_t i) {
    const int32_t* row_target = target + i * width;
    const Real* row_weight = Shared ? weight : weight + i * width;
    for (int64_t k = 0; k < width; ++k) {
      const int32_t j = row_target[k];
      if (j < n_post) total[j] += factor * row_weight[Shared ? 0 : k];
    }
  });
  return ffi::Error::Success();
}

template <ffi::DataType T>
static ffi::Error EventAdd(ffi::Buffer<ffi::PRED> s, ffi::Buffer<ffi::S32> t, ffi::Buffer<T> w, ffi::Buffer<T> b,
                           ffi::ResultBuffer<T> o, int64_t pre, int64_t post, int64_t n, double sign) {
  return Accumulate<T, false>(s, t, w, b, o, pre, post, n, sign);
}

template <ffi::DataType T>
static ffi::Error EventAddShared(ffi::Buffer<ffi::PRED> s, ffi::Buffer<ffi::S32> t, ffi::Buffer<T> w,
                                 ffi::Buffer<T> b, ffi::ResultBuffer<T> o, int64_t pre, int64_t post, int64_t n,
                                 double sign) {
  return Accumulate<T, true>(s, t, w, b, o, pre, post, n, sign);
}

#define NEUROFLOW_ADD_HANDLER(NAME, IMPL, TYPE)                             \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(NAME, IMPL<ffi::TYPE>,                     \
                                ffi::Ffi::Bind()                           \
                                    .Arg<ffi::Buffer<ffi::PRED>>()         \
                                    .Arg<ffi::Buffer<ffi::S32>>()          \
                                    .Arg<ffi::Buffer<ffi::TYPE>>()         \
                                    .Arg<ffi::Buffer<ffi::TYPE>>()         \
                                    .Ret<ffi::Buffer<ffi::TYPE>>()         \
                                    .Attr<int64_t>("pre_start")            \
                                    .Attr<int64_t>("post_start")           \
                                    .Attr<int64_t>("n_post")               \
                                    .Attr<double>("sign"));

NEUROFLOW_ADD_HANDLER(NeuroflowEventAddSharedF32, EventAddShared, F32)
NEUROFLOW_ADD_HANDLER(NeuroflowEventAddSharedF64, EventAddShared, F64)
NEUROFLOW_ADD_HANDLER(NeuroflowEventAddF32, EventAdd, F32)
NEUROFLOW_ADD_HANDLER(NeuroflowEventAddF64, EventAdd, F64)

#define NEUROFLOW_EVENT_HANDLER(NAME, IMPL, TYPE)                           \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(NAME, IMPL<ffi::TYPE>,                     \
                                ffi::Ffi::Bind()                           \
                                    .Arg<ffi::Buffer<ffi::PRED>>()         \
                                    .Arg<ffi::Buffer<ffi::S32>>()          \
                                    .Arg<ffi::Buffer<ffi::TYPE>>()         \
                                    .Ret<ffi::Buffer<ffi::TYPE>>());

NEUROFLOW_EVENT_HANDLER(NeuroflowEventSharedF32, EventShared, F32)
NEUROFLOW_EVENT_HANDLER(NeuroflowEventSharedF64, EventShared, F64)

NEUROFLOW_EVENT_HANDLER(NeuroflowEventF32, Event, F32)
NEUROFLOW_EVENT_HANDLER(NeuroflowEventF64, Event, F64)
