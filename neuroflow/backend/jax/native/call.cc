// One FFI handler for the code neuroflow generates per model (fused population updates).
//
// Generated functions are plain C, compiled in a fraction of a second without XLA's headers,
// and loaded at run time; Python registers each under a 64-bit id (a hash of its source) and
// the jitted step names that id as an attribute.  The id, not a pointer, goes into the HLO, so
// the persistent compilation cache stays valid across processes.
#include <pthread.h>
#include <time.h>

#include <cstdint>

#include "frame.h"
#include "pool.h"
#include "rows.h"

// in[k] and out[k] are the data of the k-th argument and result, in the order of the call; the
// function updates neurons begin to end - 1.
using Generated = void (*)(const void* const* in, void* const* out, int64_t begin, int64_t end);

// An open-addressing table from id to function: ids are hashes, so their low bits spread well.
// Plain arrays and a pthread mutex rather than the standard containers, whose headers would
// triple the time this file takes to compile on a machine's first run.
constexpr uint64_t kSlots = 1 << 14;
static uint64_t registered_id[kSlots];
static Generated registered_function[kSlots];
static int64_t registered_ps[kSlots];  // picoseconds per neuron of its fastest call on one thread
static int64_t registered_calls[kSlots];  // calls so far: the first ones and every 1024th are timed
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

// The slot of `id`, or of the first free slot on its probe sequence; kSlots if the table is full.
static uint64_t Slot(uint64_t id) {
  for (uint64_t probe = 0; probe < kSlots; ++probe) {
    const uint64_t slot = (id + probe) & (kSlots - 1);
    if (registered_function[slot] == nullptr || registered_id[slot] == id) return slot;
  }
  return kSlots;
}

// Returns 0, or -1 when the table is full (more generated functions than any model needs).
extern "C" int NeuroflowRegisterGenerated(uint64_t id, void* function) {
  pthread_mutex_lock(&registry_lock);
  const uint64_t slot = Slot(id);
  if (slot < kSlots) {
    registered_id[slot] = id;
    registered_function[slot] = reinterpret_cast<Generated>(function);
    registered_ps[slot] = 0;  // not timed yet
    registered_calls[slot] = 0;
  }
  pthread_mutex_unlock(&registry_lock);
  return slot < kSlots ? 0 : -1;
}

// Room for the pointers of one call without allocating; more than any block passes.
constexpr int64_t kMaxBuffers = 256;

static int64_t Nanoseconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000 + now.tv_nsec;
}

// The projections a block's call adds its population's spikes through (`adds` of them, see
// `NativeBlock` in _fused.py): the last argument is their plan, int32, the index of the spikes
// among the results, then per projection the index of the result it adds into, the arguments of
// its targets and weights, the first pre and post neuron, the post neurons, the sign (+1 or -1),
// and whether one weight is shared.  They run after the update of every neuron, one after the
// other, each as the `event` add kernel would (event_add.cc): the same sums, in the same order.
// Their tables are those `Event` builds, whose rows end at their first padding slot.
constexpr int64_t kPlanFields = 8;

template <typename Real>
static bool AddSpikes(const neuroflow::Frame& frame, const int32_t* plan, int64_t adds) {
  const neuroflow::Buffer spikes = frame.ret(plan[0]);
  for (int64_t a = 0; a < adds; ++a) {
    const int32_t* p = plan + 1 + a * kPlanFields;
    if (p[0] < 0 || p[0] >= frame.rets() || p[1] < 0 || p[1] >= frame.args() || p[2] < 0 || p[2] >= frame.args()) {
      return false;
    }
    const neuroflow::Buffer total = frame.ret(p[0]), targets = frame.arg(p[1]), weights = frame.arg(p[2]);
    const int64_t pre_start = p[3], post_start = p[4], n_post = p[5];
    const bool shared = p[7] != 0;
    if (total.raw->dtype != neuroflow::DType<Real>::value || weights.raw->dtype != total.raw->dtype ||
        targets.raw->dtype != XLA_FFI_DataType_S32 || targets.rank() != 2 ||
        pre_start + targets.dim(0) - 1 > spikes.count() || post_start + n_post > total.count() ||
        weights.count() != (shared ? 1 : targets.count())) {
      return false;
    }
    const int64_t n_pre = targets.dim(0) - 1, width = targets.dim(1);
    const bool* spiked = spikes.as<bool>() + pre_start;
    const int32_t* target = targets.as<int32_t>();
    const Real* weight = weights.as<Real>();
    const Real factor = static_cast<Real>(p[6]);
    Real* into = total.as<Real>() + post_start;
    if (shared) {
      neuroflow::AddSpikingRows<Real, true, true>(spiked, n_pre, target, width, weight, factor, into, n_post);
    } else {
      neuroflow::AddSpikingRows<Real, false, true>(spiked, n_pre, target, width, weight, factor, into, n_post);
    }
  }
  return true;
}

static XLA_FFI_Error* Adds(const neuroflow::Frame& frame, int64_t adds) {
  if (adds == 0) return nullptr;
  const neuroflow::Buffer plan = frame.arg(frame.args() - 1);
  const int32_t* p = plan.as<int32_t>();
  if (plan.raw->dtype != XLA_FFI_DataType_S32 || plan.count() != 1 + adds * kPlanFields || p[0] < 0 ||
      p[0] >= frame.rets() || frame.ret(p[0]).raw->dtype != XLA_FFI_DataType_PRED) {
    return frame.invalid("neuroflow: a generated call's adds need their plan (int32) as the last argument");
  }
  const XLA_FFI_DataType real = p[1] >= 0 && p[1] < frame.rets() ? frame.ret(p[1]).raw->dtype : XLA_FFI_DataType_PRED;
  const bool done = real == XLA_FFI_DataType_F32   ? AddSpikes<float>(frame, p, adds)
                    : real == XLA_FFI_DataType_F64 ? AddSpikes<double>(frame, p, adds)
                                                   : false;
  return done ? nullptr
              : frame.invalid("neuroflow: a projection added by a generated call does not fit its populations");
}

// Each neuron's update reads and writes only that neuron's elements, so a population whose update
// takes long enough (timed on one thread, the first calls) is updated in stretches on the pool's
// threads, with the same numbers as in one pass: the stretches start at multiples of 64 neurons,
// where the vectorised loop would be at the start of a vector too (XLA's buffers are 64-byte
// aligned), so every neuron runs in the same lane code.
static XLA_FFI_Error* CallGenerated(const neuroflow::Frame& frame) {
  constexpr int64_t kParallelPs = 20000000;  // 20 us: below, waking the helpers costs what it saves
  constexpr int64_t kStretch = 512;          // neurons, at least, in the stretch of a task
  uint64_t id;
  int64_t size, adds;
  if (!frame.attr("adds", &adds)) adds = 0;
  if (!frame.attr("id", &id) || !frame.attr("size", &size) || !frame.buffers({}, {}, /*any_number=*/true) ||
      frame.args() > kMaxBuffers || frame.rets() > kMaxBuffers || adds < 0 || (adds > 0 && frame.args() < 1)) {
    return frame.invalid("neuroflow: a generated call takes at most 256 buffers each way, a uint64 attribute 'id'"
                         ", an int64 attribute 'size' and an optional int64 attribute 'adds'");
  }
  pthread_mutex_lock(&registry_lock);
  const uint64_t slot = Slot(id);
  const Generated function = slot < kSlots ? registered_function[slot] : nullptr;
  pthread_mutex_unlock(&registry_lock);
  if (function == nullptr) {
    return frame.fail(XLA_FFI_Error_Code_NOT_FOUND, "neuroflow: generated code with this id is not loaded in this process");
  }
  const void* in[kMaxBuffers];
  void* out[kMaxBuffers];
  for (int64_t k = 0; k < frame.args(); ++k) in[k] = frame.arg(k).data();
  for (int64_t k = 0; k < frame.rets(); ++k) out[k] = frame.ret(k).data();
  neuroflow::Pool& pool = neuroflow::Pool::Shared();
  const int64_t ps = __atomic_load_n(&registered_ps[slot], __ATOMIC_RELAXED);
  int64_t tasks = pool.threads() < 2 || ps == 0 || ps * size < kParallelPs ? 1 : 4 * pool.threads();
  if (tasks > size / kStretch) tasks = size / kStretch;
  if (tasks < 2) {
    // reading the clock twice is ~2% of a small population's step: after the first calls, the
    // fastest call is looked for in every 1024th
    const int64_t calls = __atomic_fetch_add(&registered_calls[slot], 1, __ATOMIC_RELAXED);
    if (ps != 0 && calls >= 64 && calls % 1024 != 0) {
      function(in, out, 0, size);
      return Adds(frame, adds);
    }
    const int64_t start = Nanoseconds();
    function(in, out, 0, size);
    const int64_t took = size > 0 ? (Nanoseconds() - start) * 1000 / size + 1 : 1;
    if (ps == 0 || took < ps) __atomic_store_n(&registered_ps[slot], took, __ATOMIC_RELAXED);
    return Adds(frame, adds);
  }
  const int64_t stretch = ((size + tasks - 1) / tasks + 63) & ~int64_t{63};
  auto update = [&](int64_t task, int) {
    const int64_t begin = task * stretch, end = begin + stretch < size ? begin + stretch : size;
    if (begin < end) function(in, out, begin, end);
  };
  pool.For(tasks, update);
  return Adds(frame, adds);
}

NEUROFLOW_HANDLER(NeuroflowCallGenerated, CallGenerated)
NEUROFLOW_POOL_CONTROL
