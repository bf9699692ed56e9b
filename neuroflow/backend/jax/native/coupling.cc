// Native CPU kernel for neuroflow's `csr` couplings (summed variables, see `_coupling.py`).
//
// Each post neuron's synapses are one row (sorted by post, `indptr` marks the rows): the sum
// of a row is a gather of the pre factors and a dot product with its weights, written once.
// XLA's path gathers into a [synapses] buffer and scatters it back with a segment sum, two
// passes over memory and a serial scatter; here the row stays in registers.  Four partial
// sums per row break the chain of dependent additions (the order of summation is not XLA's:
// the results agree to rounding).
#include <cstdint>

#include "frame.h"

using neuroflow::DType;
using neuroflow::Frame;

namespace {

// sum_k weight(k) * vector[pre[k]] for k in [begin, end)
template <typename Real, bool Shared>
inline Real RowSum(const Real* vector, const int32_t* pre, const Real* weight, int64_t begin,
                   int64_t end) {
  Real s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = begin;
  for (; k + 4 <= end; k += 4) {
    s0 += (Shared ? weight[0] : weight[k]) * vector[pre[k]];
    s1 += (Shared ? weight[0] : weight[k + 1]) * vector[pre[k + 1]];
    s2 += (Shared ? weight[0] : weight[k + 2]) * vector[pre[k + 2]];
    s3 += (Shared ? weight[0] : weight[k + 3]) * vector[pre[k + 3]];
  }
  for (; k < end; ++k) s0 += (Shared ? weight[0] : weight[k]) * vector[pre[k]];
  return (s0 + s1) + (s2 + s3);
}

// Arguments: vectors [columns, n_pre], indptr [n_post + 1] (int32), pre [synapses] (int32),
// weights [synapses] or one number (Shared: every synapse counts it); result [columns, n_post].
template <typename Real, bool Shared>
XLA_FFI_Error* CsrSum(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  if (!frame.buffers({real, XLA_FFI_DataType_S32, XLA_FFI_DataType_S32, real}, {real})) {
    return frame.invalid("neuroflow csr coupling: expected (vectors, int32 indptr, int32 pre,"
                         " weights) -> sums");
  }
  const auto vectors = frame.arg(0), indptr = frame.arg(1), pre = frame.arg(2),
             weights = frame.arg(3), out = frame.ret(0);
  if (vectors.rank() != 2 || out.rank() != 2 || out.dim(0) != vectors.dim(0) ||
      indptr.count() != out.dim(1) + 1 || (Shared && weights.count() != 1) ||
      (!Shared && weights.count() != pre.count())) {
    return frame.invalid("neuroflow csr coupling: vectors [columns, n_pre], indptr [n_post + 1],"
                         " weights like pre (or one number), sums [columns, n_post]");
  }
  const int64_t columns = vectors.dim(0), n_pre = vectors.dim(1), n_post = out.dim(1);
  const int32_t* row = indptr.as<int32_t>();
  const int32_t* source = pre.as<int32_t>();
  const Real* weight = weights.as<Real>();
  Real* total = out.as<Real>();
  for (int64_t c = 0; c < columns; ++c) {
    const Real* vector = vectors.as<Real>() + c * n_pre;
    Real* sums = total + c * n_post;
    for (int64_t j = 0; j < n_post; ++j) {
      sums[j] = RowSum<Real, Shared>(vector, source, weight, row[j], row[j + 1]);
    }
  }
  return nullptr;
}

}  // namespace

NEUROFLOW_HANDLER(NeuroflowCsrSumF32, (CsrSum<float, false>))
NEUROFLOW_HANDLER(NeuroflowCsrSumF64, (CsrSum<double, false>))
NEUROFLOW_HANDLER(NeuroflowCsrSumSharedF32, (CsrSum<float, true>))
NEUROFLOW_HANDLER(NeuroflowCsrSumSharedF64, (CsrSum<double, true>))
