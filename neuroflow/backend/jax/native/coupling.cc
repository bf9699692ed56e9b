// Native CPU kernels for neuroflow's `csr` and `dense` couplings (summed variables, see
// `_coupling.py`).
//
// csr: each post neuron's synapses are one row (sorted by post, `indptr` marks the rows): the sum
// of a row is a gather of the pre factors and a dot product with its weights, written once.
// XLA's path gathers into a [synapses] buffer and scatters it back with a segment sum, two
// passes over memory and a serial scatter; here the row stays in registers.  Four partial
// sums per row break the chain of dependent additions (the order of summation is not XLA's:
// the results agree to rounding).
//
// dense: the matrix is stored transposed, one contiguous row of n_pre weights per post neuron,
// so that a sum is a dot product streamed from memory (a mat-vec of 1000 x 1000 floats reads
// 4 MB a step: at the speed of the caches, which both cores share out between them).  Rows
// are split over the pool's threads (`pool.h`) in tasks of a fixed set of rows, and every row
// is summed by the same code whichever task and thread runs it: bit-identical on any number
// of threads.  Built for the widest vectors of the CPU it runs on (`NEUROFLOW_WIDEST_VECTORS`
// in frame.h).
#include <cstdint>
#include <cstring>

#include "frame.h"
#include "pool.h"

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

// Eight lanes of doubles or sixteen of floats: one AVX-512 register, two AVX2 ones.
// (GCC ignores vector attributes on a template's dependent type: one typedef per type.)
typedef float LanesF32 __attribute__((vector_size(64), aligned(4)));
typedef double LanesF64 __attribute__((vector_size(64), aligned(8)));
template <typename Real> struct LanesOf;
template <> struct LanesOf<float> { using type = LanesF32; };
template <> struct LanesOf<double> { using type = LanesF64; };
template <typename Real>
using Lanes = typename LanesOf<Real>::type;

template <typename Real>
__attribute__((always_inline)) inline Lanes<Real> Load(const Real* p) {
  Lanes<Real> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The sum of a register's lanes: the upper half added to the lower, then again, down to one.
template <typename Real>
__attribute__((always_inline)) inline Real Total(const Lanes<Real>& v) {
  constexpr int n = sizeof(v) / sizeof(Real);
  Real lane[n];
  std::memcpy(lane, &v, sizeof v);
  for (int width = n / 2; width > 0; width /= 2) {
    for (int k = 0; k < width; ++k) lane[k] += lane[k + width];
  }
  return lane[0];
}

// The same sums in registers, where the compiler has vector shuffles: the array above costs a
// store and a load of every row's partial sums, about 2 us of a 1000 x 1000 mat-vec.
#if defined(__has_builtin) && __has_builtin(__builtin_shufflevector)
typedef float HalfF32 __attribute__((vector_size(32)));
typedef float QuarterF32 __attribute__((vector_size(16)));
typedef double HalfF64 __attribute__((vector_size(32)));
typedef double QuarterF64 __attribute__((vector_size(16)));

template <>
__attribute__((always_inline)) inline float Total<float>(const LanesF32& v) {
  const HalfF32 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                    __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const QuarterF32 q =
      __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
  return (q[0] + q[2]) + (q[1] + q[3]);
}

template <>
__attribute__((always_inline)) inline double Total<double>(const LanesF64& v) {
  const HalfF64 h =
      __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
  const QuarterF64 q = __builtin_shufflevector(h, h, 0, 1) + __builtin_shufflevector(h, h, 2, 3);
  return q[0] + q[1];
}
#endif

// Loops over a group's rows unrolled: left as loops, the partial sums live in an array on the
// stack (the tail of each row indexes them), not in registers.
#define NEUROFLOW_EACH_ROW _Pragma("GCC unroll 8")

// out[j] = sum_i matrix[j, i] * vector[i] for the R rows from `first` (matrix [rows, n]): two
// partial sums per row over alternate blocks of lanes, then the rest one by one.  The order of
// the additions of a row does not depend on R, so a row's sum is the same in any group.
template <typename Real, int R>
__attribute__((always_inline)) inline void DotRows(const Real* matrix, const Real* vector,
                                                   Real* out, int64_t n, int64_t first) {
  constexpr int64_t L = sizeof(Lanes<Real>) / sizeof(Real);
  const Real* row[R];
  Lanes<Real> even[R], odd[R];
  NEUROFLOW_EACH_ROW for (int r = 0; r < R; ++r) {
    row[r] = matrix + (first + r) * n;
    even[r] = Lanes<Real>{};
    odd[r] = Lanes<Real>{};
  }
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const Lanes<Real> a = Load(vector + i), b = Load(vector + i + L);
    NEUROFLOW_EACH_ROW for (int r = 0; r < R; ++r) even[r] += Load(row[r] + i) * a;
    NEUROFLOW_EACH_ROW for (int r = 0; r < R; ++r) odd[r] += Load(row[r] + i + L) * b;
  }
  if (i + L <= n) {
    const Lanes<Real> a = Load(vector + i);
    NEUROFLOW_EACH_ROW for (int r = 0; r < R; ++r) even[r] += Load(row[r] + i) * a;
    i += L;
  }
  NEUROFLOW_EACH_ROW for (int r = 0; r < R; ++r) {
    Real sum = Total<Real>(even[r] + odd[r]);
    for (int64_t k = i; k < n; ++k) sum += row[r][k] * vector[k];
    out[first + r] = sum;
  }
}

// Rows [begin, end) (`end - begin` a multiple of 4 but for the last range), in groups of 4
// from the first or, `backward`, from the last.
template <typename Real>
__attribute__((always_inline)) inline void DotRange(const Real* matrix, const Real* vector,
                                                    Real* out, int64_t n, int64_t begin,
                                                    int64_t end, bool backward) {
  const int64_t whole = begin + (end - begin) / 4 * 4;
  if (backward) {
    for (int64_t j = end - 1; j >= whole; --j) DotRows<Real, 1>(matrix, vector, out, n, j);
    for (int64_t j = whole - 4; j >= begin; j -= 4) DotRows<Real, 4>(matrix, vector, out, n, j);
    return;
  }
  for (int64_t j = begin; j < whole; j += 4) DotRows<Real, 4>(matrix, vector, out, n, j);
  for (int64_t j = whole; j < end; ++j) DotRows<Real, 1>(matrix, vector, out, n, j);
}

NEUROFLOW_WIDEST_VECTORS void DotRangeF32(const float* matrix, const float* vector, float* out,
                                          int64_t n, int64_t begin, int64_t end, bool backward) {
  DotRange(matrix, vector, out, n, begin, end, backward);
}

NEUROFLOW_WIDEST_VECTORS void DotRangeF64(const double* matrix, const double* vector,
                                          double* out, int64_t n, int64_t begin, int64_t end,
                                          bool backward) {
  DotRange(matrix, vector, out, n, begin, end, backward);
}

inline void DotRange(const float* m, const float* v, float* o, int64_t n, int64_t b, int64_t e,
                     bool backward) {
  DotRangeF32(m, v, o, n, b, e, backward);
}
inline void DotRange(const double* m, const double* v, double* o, int64_t n, int64_t b,
                     int64_t e, bool backward) {
  DotRangeF64(m, v, o, n, b, e, backward);
}

constexpr int64_t kSplitEntries = 1 << 18;     // below (~10 us on one thread): one thread

// Calls of DenseSum so far, per matrix (by its address; two that share a slot only lose the
// benefit): every other one goes over its rows backward.
unsigned dense_calls[64] = {};

// Arguments: vectors [columns, n_pre], matrix [n_post, n_pre] (the weights transposed);
// result [columns, n_post], the sums of each vector's products with every row.
template <typename Real>
XLA_FFI_Error* DenseSum(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  if (!frame.buffers({real, real}, {real})) {
    return frame.invalid("neuroflow dense coupling: expected (vectors, matrix) -> sums");
  }
  const auto vectors = frame.arg(0), matrix = frame.arg(1), out = frame.ret(0);
  if (vectors.rank() != 2 || matrix.rank() != 2 || out.rank() != 2 ||
      matrix.dim(1) != vectors.dim(1) || out.dim(0) != vectors.dim(0) ||
      out.dim(1) != matrix.dim(0)) {
    return frame.invalid("neuroflow dense coupling: vectors [columns, n_pre], matrix"
                         " [n_post, n_pre], sums [columns, n_post]");
  }
  const int64_t columns = vectors.dim(0), n_pre = vectors.dim(1), n_post = matrix.dim(0);
  const Real* weights = matrix.as<Real>();
  const Real* vector = vectors.as<Real>();
  Real* sums = out.as<Real>();
  // One range of rows per thread, the same each call, and every other call backward: a thread
  // then starts on the rows it read last, which its cache still holds (a 1000 x 1000 matrix is
  // 2 MB a thread, twice a 1 MB L2).  Rows summed in any order give the same sums.
  const bool split = n_pre * n_post * columns >= kSplitEntries;
  const int64_t tasks = split ? neuroflow::Pool::Shared().threads() : 1;
  const int64_t rows = (n_post / tasks + 3) / 4 * 4;
  unsigned& calls = dense_calls[(reinterpret_cast<uintptr_t>(weights) >> 6) % 64];
  const bool backward = __atomic_fetch_add(&calls, 1u, __ATOMIC_RELAXED) % 2 == 1;
  auto task = [&](int64_t k, int) {
    const int64_t begin = k * rows < n_post ? k * rows : n_post;
    const int64_t end = k + 1 == tasks || begin + rows > n_post ? n_post : begin + rows;
    for (int64_t c = 0; c < columns; ++c) {
      DotRange(weights, vector + c * n_pre, sums + c * n_post, n_pre, begin, end, backward);
    }
  };
  if (split) {
    neuroflow::Pool::Shared().For(tasks, task);
  } else {
    task(0, 0);
  }
  return nullptr;
}

}  // namespace

NEUROFLOW_HANDLER(NeuroflowCsrSumF32, (CsrSum<float, false>))
NEUROFLOW_HANDLER(NeuroflowCsrSumF64, (CsrSum<double, false>))
NEUROFLOW_HANDLER(NeuroflowCsrSumSharedF32, (CsrSum<float, true>))
NEUROFLOW_HANDLER(NeuroflowCsrSumSharedF64, (CsrSum<double, true>))
NEUROFLOW_HANDLER(NeuroflowDenseSumF32, DenseSum<float>)
NEUROFLOW_HANDLER(NeuroflowDenseSumF64, DenseSum<double>)
NEUROFLOW_POOL_CONTROL
