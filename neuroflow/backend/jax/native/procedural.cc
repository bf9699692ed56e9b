// Native CPU kernels for neuroflow's `procedural` projections (see `_procedural.py`).
//
// The targets of a spiking pre neuron are regenerated from a counter-based hash of
// (key, pre neuron, draw number) with the same unsigned 64-bit arithmetic as the JAX path,
// so both give the same targets bit for bit:
//   row_key(i) = mix(key ^ (i * GOLDEN)),  draw(i, j) = mix(row_key(i) + (j + 1) * GAMMA).
// fixed_prob: geometric skipping; gap = 1 + #{g : T[g] <= u} with u = draw >> 1 and T the
// gap table built in numpy.  The guide table (also from numpy) holds that count at the edges
// of u's bucket of the top bits; where both edges agree (no threshold inside the bucket: most
// draws) it is the count, else a short scan of T between them finishes it.  Integers only.
// fixed_fan_out: k uniform draws, sorted; later copies of a repeated value are replaced (in
// sorted order) by the next draws of the row, until the row is distinct.
//
// Each kernel comes in two forms: `...Prob`/`...FanOut` return the summed weights per post
// neuron, `...ProbAdd`/`...FanOutAdd` add them straight into the target variable (aliased, in
// place), as `event_add.cc` does for stored synapses.  The adds are the costly part of a large
// network (a cache miss each, the targets being spread over the whole population), so a row's
// targets are generated first, with a prefetch of each, and added afterwards.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "frame.h"
#include "pool.h"
#include "spikes.h"

using neuroflow::DType;
using neuroflow::ForEachSpike;
using neuroflow::Frame;

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kGamma = 0xD1B54A32D192ED03ULL;
constexpr int64_t kPiece = 256;  // targets generated before they are added

inline uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline uint64_t RowKey(uint64_t key, int64_t row) { return Mix(key ^ (static_cast<uint64_t>(row) * kGolden)); }

inline uint64_t Draw(uint64_t row_key, int64_t j) { return Mix(row_key + (static_cast<uint64_t>(j) + 1) * kGamma); }

// floor(draw * n / 2**64) for n < 2**31, as the JAX path computes it
inline int64_t Below(uint64_t draw, int64_t n) {
  const uint64_t n64 = static_cast<uint64_t>(n);
  return static_cast<int64_t>(((draw >> 32) * n64 + (((draw & 0xFFFFFFFFULL) * n64) >> 32)) >> 32);
}

// Where the summed weights go: `total[j] += amount` for a post neuron j.
template <typename Real>
struct Sink {
  Real* total;
  Real amount;

  void prefetch(int64_t j) const { __builtin_prefetch(total + j, 1); }
  template <typename Index>
  void add_all(const Index* targets, int64_t n) const {
    for (int64_t m = 0; m < n; ++m) total[targets[m]] += amount;
  }
};

// Where the summed weights go when rows are generated on several threads.  The post population
// is cut into parts (part(j) = floor(j * parts / n_post), nearly), and worker w of the pool owns
// part w while rows are generated: it adds a target in its part at once, and lists one in another
// part, to be added once every row is generated, by one worker per part.  No two threads ever add
// into one part at the same time.  Every synapse of a call adds the same amount, so a target's
// sum is the same whichever rows its adds come from and in whatever order: the number of threads
// changes no bit.
template <typename Real>
struct Bins {
  Sink<Real> sink;
  std::vector<int32_t>* others;  // the targets in other parts than `own`
  int64_t* used;                 // entries of `others` in use
  uint64_t scale;                // floor((2**32 parts - 1) / n_post): part(j) < parts for j < n_post
  int64_t own;
  Real* trash;                   // [8]: where the adds of others' targets go, so that nothing branches

  int64_t part(int64_t j) const { return static_cast<int64_t>((static_cast<uint64_t>(j) * scale) >> 32); }
  void prefetch(int64_t j) const { __builtin_prefetch(part(j) == own ? sink.total + j : trash, 1); }
  template <typename Index>
  void add_all(const Index* targets, int64_t n) const {
    if (static_cast<int64_t>(others->size()) < *used + n) others->resize(2 * (*used + n));
    int32_t* list = others->data();
    int64_t count = *used;
    for (int64_t m = 0; m < n; ++m) {
      const int64_t j = targets[m];
      const bool mine = part(j) == own;
      *(mine ? sink.total + j : trash + (m & 7)) += sink.amount;
      list[count] = static_cast<int32_t>(j);
      count += !mine;
    }
    *used = count;
  }
};

// fixed_prob: the gap table T [n_post] and its guide [2**bits + 1] (`gap_guide` in Python)
struct ProbRule {
  const uint64_t* table;
  const int32_t* guide;
  int64_t n_post;
  int shift;  // 63 - bits

  // The expected number of targets of a row: n_post p, with p = T[0] / 2**63.
  double row_length() const { return static_cast<double>(n_post) * static_cast<double>(table[0]) * 0x1p-63; }

  // Adds into `sink` at the targets of row `i`.  The draws do not depend on the walk, so they
  // are made kAhead at a time: their guide entries are fetched together, then the table entries
  // the scans start at, and only then is the walk taken, with every read already under way.
  // Targets are kept kPiece at a time (each prefetched) and added after.
  template <typename Target>
  void Row(uint64_t key, int64_t i, const Target& sink) const {
    constexpr int kAhead = 16;
    const uint64_t row_key = RowKey(key, i);
    uint64_t u[kAhead];
    int64_t low[kAhead], high[kAhead];
    int32_t piece[kPiece];
    int64_t position = -1, count = 0;
    for (int64_t j = 0;; j += kAhead) {
      for (int k = 0; k < kAhead; ++k) {
        u[k] = Draw(row_key, j + k) >> 1;
        __builtin_prefetch(guide + (u[k] >> shift));
      }
      for (int k = 0; k < kAhead; ++k) {  // #{T <= u} lies between the counts at the bucket's edges
        const uint64_t bucket = u[k] >> shift;
        low[k] = guide[bucket];
        high[k] = guide[bucket + 1];
        if (low[k] < high[k]) __builtin_prefetch(table + low[k]);
      }
      for (int k = 0; k < kAhead; ++k) {
        int64_t below = low[k];
        if (__builtin_expect(high[k] - below > 1, 0)) {
          while (below < high[k] && table[below] <= u[k]) ++below;
        } else {  // at most one threshold in the bucket (most draws): no branch to mispredict
          const int64_t at = below < n_post ? below : n_post - 1;
          below += (below < high[k]) & (table[at] <= u[k]);
        }
        position += 1 + below;
        if (position >= n_post) {
          sink.add_all(piece, count);
          return;
        }
        piece[count++] = static_cast<int32_t>(position);
        sink.prefetch(position);
        if (count == kPiece) {
          sink.add_all(piece, count);
          count = 0;
        }
      }
    }
  }
};

// fixed_fan_out(k): the row's k distinct targets, in a scratch vector
struct FanOutRule {
  int64_t k, n_post;
  mutable std::vector<int64_t> row;
  mutable std::vector<char> surplus;

  FanOutRule(int64_t k_, int64_t n) : k(k_), n_post(n), row(k_), surplus(k_) {}

  template <typename Target>
  void Row(uint64_t key, int64_t i, const Target& sink) const {
    const uint64_t row_key = RowKey(key, i);
    for (int64_t j = 0; j < k; ++j) row[j] = Below(Draw(row_key, j), n_post);
    std::sort(row.begin(), row.end());
    int64_t counter = k;
    for (;;) {
      int64_t count = 0;
      for (int64_t j = 0; j < k; ++j) {  // marked on the sorted row before anything is replaced
        surplus[j] = j > 0 && row[j] == row[j - 1];
        count += surplus[j];
      }
      if (count == 0) break;
      for (int64_t j = 0; j < k; ++j) {
        if (surplus[j]) row[j] = Below(Draw(row_key, counter++), n_post);
      }
      std::sort(row.begin(), row.end());
    }
    for (int64_t j = 0; j < k; ++j) sink.prefetch(row[j]);
    sink.add_all(row.data(), k);
  }
};

// The attributes of the in-place forms: where the projection's neurons start in the whole
// populations, how many post neurons it has, and the sign of its effect (-1 for `-=`).
struct Slices {
  int64_t pre_start = 0, n_pre = 0, post_start = 0, n_post = 0;
  double sign = 1.0;

  bool Read(const Frame& frame) {
    return frame.attr("pre_start", &pre_start) && frame.attr("n_pre", &n_pre) &&
           frame.attr("post_start", &post_start) && frame.attr("n_post", &n_post) && frame.attr("sign", &sign);
  }
};

// Runs `rule` over the spiking rows of `spiked` (n_pre flags), adding into `sink` (n_post
// values).  `row_length` is the expected number of targets of a row.  A call with enough
// synapses runs on the pool's threads (see `Bins`) in two rounds: pieces of the spiking rows are
// generated, then each part adds the targets left to it.
template <typename Real, typename Rule>
void Spread(const Rule& rule, const bool* spiked, int64_t n_pre, uint64_t key, const Sink<Real>& sink, int64_t n_post,
            double row_length) {
  constexpr double kParallelSynapses = 16384;  // below: a few tens of microseconds, not worth a wake-up
  neuroflow::Pool& pool = neuroflow::Pool::Shared();
  const int64_t parts = std::min<int64_t>(pool.threads(), std::max<int64_t>(n_post / 4096, 1));
  // Scratch of this calling thread (XLA may run two calls at once), by reference: the helpers
  // must see the caller's, and a lambda does not capture a thread_local.
  thread_local std::vector<int32_t> own_rows;
  thread_local std::vector<std::vector<int32_t>> own_others;  // [piece]
  thread_local std::vector<int64_t> own_used;                 // [piece]
  std::vector<int32_t>& rows = own_rows;
  std::vector<std::vector<int32_t>>& others = own_others;
  std::vector<int64_t>& used = own_used;
  rows.clear();
  ForEachSpike(spiked, n_pre, [&](int64_t i) { rows.push_back(static_cast<int32_t>(i)); });
  if (parts < 2 || static_cast<double>(rows.size()) * row_length < kParallelSynapses) {
    for (const int32_t i : rows) rule.Row(key, i, sink);
    return;
  }
  const int64_t pieces = std::min<int64_t>(8 * parts, static_cast<int64_t>(rows.size()));
  if (static_cast<int64_t>(others.size()) < pieces) others.resize(pieces);
  used.assign(pieces, 0);
  const uint64_t scale = ((uint64_t{1} << 32) * parts - 1) / static_cast<uint64_t>(n_post);
  auto generate = [&](int64_t piece, int worker) {
    const Rule own = rule;  // FanOutRule keeps a scratch row
    Real trash[8] = {};
    const Bins<Real> target{sink, &others[piece], &used[piece], scale, worker, trash};
    const int64_t n = static_cast<int64_t>(rows.size());
    for (int64_t r = piece * n / pieces; r < (piece + 1) * n / pieces; ++r) own.Row(key, rows[r], target);
  };
  pool.For(pieces, generate);
  auto add = [&](int64_t part, int) {
    constexpr int64_t kAhead = 16;
    for (int64_t piece = 0; piece < pieces; ++piece) {
      const int32_t* list = others[piece].data();
      const int64_t n = used[piece];
      for (int64_t m = 0; m < n; ++m) {
        if (m + kAhead < n) sink.prefetch(list[m + kAhead]);
        const int64_t j = list[m];
        if (static_cast<int64_t>((static_cast<uint64_t>(j) * scale) >> 32) == part) sink.total[j] += sink.amount;
      }
    }
  };
  pool.For(parts, add);
}

// Spread over the spikes of the projection's pre neurons (from `pre_start`) into `total` (its
// post neurons from `post_start`), with amount sign * weight.
template <typename Real, typename Rule>
void Propagate(const Rule& rule, const Frame& frame, int64_t key_arg, int64_t weight_arg, const Slices& s,
               Real* total, double row_length) {
  const Sink<Real> sink{total + s.post_start,
                        static_cast<Real>(s.sign) * frame.arg(weight_arg).as<Real>()[0]};
  Spread<Real>(rule, frame.arg(0).as<bool>() + s.pre_start, s.n_pre, frame.arg(key_arg).as<uint64_t>()[0], sink,
               s.n_post, row_length);
}

// The guide's bits, or -1 when the table, the guide or the slices do not fit.
int ProbBits(const Frame& frame, const Slices& s) {
  const int64_t length = frame.arg(2).count(), entries = frame.arg(3).count();
  int bits = 0;
  while ((int64_t{1} << bits) + 1 < entries && bits < 62) ++bits;
  const bool fits = frame.arg(1).count() == 1 && frame.arg(4).count() == 1 && length == s.n_post &&
                    (int64_t{1} << bits) + 1 == entries && s.pre_start + s.n_pre <= frame.arg(0).count() &&
                    s.post_start + s.n_post <= frame.ret(0).count();
  return fits ? bits : -1;
}

// Arguments: spikes [n_pre], key [1], gap table [n_post] (uint64), guide [2**bits + 1] (int32),
// weight [1]; result: the sums [n_post].
template <typename Real>
XLA_FFI_Error* Prob(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_U64, XLA_FFI_DataType_U64, XLA_FFI_DataType_S32, real},
                     {real})) {
    return frame.invalid("neuroflow procedural kernel: expected (spikes, key, table, guide, weight) -> sums");
  }
  Slices s;
  s.n_pre = frame.arg(0).count();
  s.n_post = frame.ret(0).count();
  const int bits = ProbBits(frame, s);
  if (bits < 0) return frame.invalid("key and weight must be one number, the table n_post long, the guide 2**bits + 1");
  Real* total = frame.ret(0).as<Real>();
  std::memset(total, 0, sizeof(Real) * s.n_post);
  const ProbRule rule{frame.arg(2).as<uint64_t>(), frame.arg(3).as<int32_t>(), s.n_post, 63 - bits};
  Propagate<Real>(rule, frame, 1, 4, s, total, rule.row_length());
  return nullptr;
}

// Arguments: spikes of the whole pre population, key [1], gap table, guide, weight [1], base (a
// variable of the whole post population); result: base plus the weights, in place.
template <typename Real>
XLA_FFI_Error* ProbAdd(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  Slices s;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_U64, XLA_FFI_DataType_U64, XLA_FFI_DataType_S32, real,
                      real},
                     {real}) ||
      !s.Read(frame)) {
    return frame.invalid("neuroflow procedural add: expected (spikes, key, table, guide, weight, base) -> base, with"
                         " int64 pre_start, n_pre, post_start, n_post and float64 sign");
  }
  const int bits = ProbBits(frame, s);
  if (bits < 0 || frame.arg(5).count() != frame.ret(0).count()) {
    return frame.invalid("projection slices, table or guide do not fit the populations");
  }
  Real* total = frame.ret(0).as<Real>();
  const Real* base = frame.arg(5).as<Real>();
  if (total != base) std::memcpy(total, base, sizeof(Real) * frame.ret(0).count());
  const ProbRule rule{frame.arg(2).as<uint64_t>(), frame.arg(3).as<int32_t>(), s.n_post, 63 - bits};
  Propagate<Real>(rule, frame, 1, 4, s, total, rule.row_length());
  return nullptr;
}

// Arguments: spikes [n_pre], key [1], weight [1]; attribute k (int64); result: the sums [n_post].
template <typename Real>
XLA_FFI_Error* FanOut(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  int64_t k;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_U64, real}, {real}) || !frame.attr("k", &k)) {
    return frame.invalid("neuroflow procedural kernel: expected (spikes, key, weight) -> sums, with int64 k");
  }
  Slices s;
  s.n_pre = frame.arg(0).count();
  s.n_post = frame.ret(0).count();
  if (frame.arg(1).count() != 1 || frame.arg(2).count() != 1 || k < 0 || 2 * k > s.n_post) {
    return frame.invalid("key and weight must be one number, and 2 k <= n_post");
  }
  Real* total = frame.ret(0).as<Real>();
  std::memset(total, 0, sizeof(Real) * s.n_post);
  Propagate<Real>(FanOutRule(k, s.n_post), frame, 1, 2, s, total, static_cast<double>(k));
  return nullptr;
}

// Arguments: spikes of the whole pre population, key [1], weight [1], base; attributes k and
// those of `Slices`; result: base plus the weights, in place.
template <typename Real>
XLA_FFI_Error* FanOutAdd(const Frame& frame) {
  const XLA_FFI_DataType real = DType<Real>::value;
  int64_t k;
  Slices s;
  if (!frame.buffers({XLA_FFI_DataType_PRED, XLA_FFI_DataType_U64, real, real}, {real}) || !frame.attr("k", &k) ||
      !s.Read(frame)) {
    return frame.invalid("neuroflow procedural add: expected (spikes, key, weight, base) -> base, with int64 k,"
                         " pre_start, n_pre, post_start, n_post and float64 sign");
  }
  if (frame.arg(1).count() != 1 || frame.arg(2).count() != 1 || k < 0 || 2 * k > s.n_post ||
      s.pre_start + s.n_pre > frame.arg(0).count() || s.post_start + s.n_post > frame.ret(0).count() ||
      frame.arg(3).count() != frame.ret(0).count()) {
    return frame.invalid("key and weight must be one number, 2 k <= n_post, and the slices fit the populations");
  }
  Real* total = frame.ret(0).as<Real>();
  const Real* base = frame.arg(3).as<Real>();
  if (total != base) std::memcpy(total, base, sizeof(Real) * frame.ret(0).count());
  Propagate<Real>(FanOutRule(k, s.n_post), frame, 1, 2, s, total, static_cast<double>(k));
  return nullptr;
}

}  // namespace

NEUROFLOW_POOL_CONTROL

NEUROFLOW_HANDLER(NeuroflowProceduralProbF32, Prob<float>)
NEUROFLOW_HANDLER(NeuroflowProceduralProbF64, Prob<double>)
NEUROFLOW_HANDLER(NeuroflowProceduralFanOutF32, FanOut<float>)
NEUROFLOW_HANDLER(NeuroflowProceduralFanOutF64, FanOut<double>)
NEUROFLOW_HANDLER(NeuroflowProceduralProbAddF32, ProbAdd<float>)
NEUROFLOW_HANDLER(NeuroflowProceduralProbAddF64, ProbAdd<double>)
NEUROFLOW_HANDLER(NeuroflowProceduralFanOutAddF32, FanOutAdd<float>)
NEUROFLOW_HANDLER(NeuroflowProceduralFanOutAddF64, FanOutAdd<double>)
