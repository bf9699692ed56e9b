// Native CPU kernels for neuroflow's projections, called from the jitted step through XLA's FFI.
//
// Event-driven propagation: for every pre neuron that spiked, add its row of weights to its
// targets.  Synapses are stored per pre neuron, padded to a common width (ELL layout); padded
// slots point at target n_post and are skipped.  One pass over the spiking rows only, with no
// intermediate buffers: this is what XLA's serial scatter cannot do cheaply.  The kernels that
// add into the target variable in place are in event_add.cc (a file each: they compile in parallel).
#include <cstdint>
#include <cstring>

#include "frame.h"
#include "spikes.h"

using neuroflow::DType;
using neuroflow::ForEachSpike;
using neuroflow::Frame;

// Adds, for every spiking row i, weight_of(i, k) to total[target[i][k]]; padded slots are skipped.
// Arguments: spikes [n_pre], targets [n_pre + 1, width], weights (like targets, or one number
// when Shared); result: the sums [n_post].
template <typename Real, bool Shared>
static XLA_FFI_Error* Propagate(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_S32, real}, {real})) {
    return frame.invalid("neuroflow event kernel: expected (bool spikes, int32 targets, weights) -> sums");
  }
  const auto spikes = frame.arg(0), targets = frame.arg(1), weights = frame.arg(2), out = frame.ret(0);
  const int64_t n_pre = spikes.count();
  if (targets.rank() != 2 || targets.dim(0) < n_pre || (Shared && weights.count() != 1)) {
    return frame.invalid("targets must be [n_pre + 1, width], and a shared weight one number");
  }
  const int64_t width = targets.dim(1);
  const int64_t n_post = out.count();
  const bool* spiked = spikes.as<bool>();
  const int32_t* target = targets.as<int32_t>();
  const Real* weight = weights.as<Real>();
  Real* total = out.as<Real>();
  std::memset(total, 0, sizeof(Real) * n_post);
  ForEachSpike(spiked, n_pre, [&](int64_t i) {
    const int32_t* row_target = target + i * width;
    const Real* row_weight = Shared ? weight : weight + i * width;
    for (int64_t k = 0; k < width; ++k) {
      const int32_t j = row_target[k];
      if (j < n_post) total[j] += row_weight[Shared ? 0 : k];
    }
  });
  return nullptr;
}

NEUROFLOW_HANDLER(NeuroflowEventF32, (Propagate<float, false>))
NEUROFLOW_HANDLER(NeuroflowEventF64, (Propagate<double, false>))
NEUROFLOW_HANDLER(NeuroflowEventSharedF32, (Propagate<float, true>))
NEUROFLOW_HANDLER(NeuroflowEventSharedF64, (Propagate<double, true>))
