// One FFI handler for the code neuroflow generates per model (fused population updates).
//
// Generated functions are plain C, compiled in a fraction of a second without XLA's headers,
// and loaded at run time; Python registers each under a 64-bit id (a hash of its source) and
// the jitted step names that id as an attribute.  The id, not a pointer, goes into the HLO, so
// the persistent compilation cache stays valid across processes.
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

// in[k] and out[k] are the data of the k-th argument and result, in the order of the call.
using Generated = void (*)(const void* const* in, void* const* out);

static std::mutex registry_lock;
static std::unordered_map<uint64_t, Generated>& Registry() {
  static auto* functions = new std::unordered_map<uint64_t, Generated>();
  return *functions;
}

extern "C" void NeuroflowRegisterGenerated(uint64_t id, void* function) {
  std::lock_guard<std::mutex> guard(registry_lock);
  Registry()[id] = reinterpret_cast<Generated>(function);
}

static ffi::Error CallGenerated(uint64_t id, ffi::RemainingArgs args, ffi::RemainingRets rets) {
  Generated function = nullptr;
  {
    std::lock_guard<std::mutex> guard(registry_lock);
    auto found = Registry().find(id);
    if (found != Registry().end()) function = found->second;
  }
  if (function == nullptr) {
    return ffi::Error(ffi::ErrorCode::kNotFound,
                      "neuroflow: generated code with this id is not loaded in this process");
  }
  std::vector<const void*> in(args.size());
  std::vector<void*> out(rets.size());
  for (size_t k = 0; k < args.size(); ++k) {
    auto buffer = args.get<ffi::AnyBuffer>(k);
    if (buffer.has_error()) return buffer.error();
    in[k] = buffer->untyped_data();
  }
  for (size_t k = 0; k < rets.size(); ++k) {
    auto buffer = rets.get<ffi::AnyBuffer>(k);
    if (buffer.has_error()) return buffer.error();
    out[k] = (*buffer)->untyped_data();
  }
  function(in.data(), out.data());
  return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(NeuroflowCallGenerated, CallGenerated,
                              ffi::Ffi::Bind().Attr<uint64_t>("id").RemainingArgs().RemainingRets());
