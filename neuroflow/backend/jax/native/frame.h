// The few pieces of XLA's FFI that neuroflow's handlers need, on the plain C API.
//
// XLA's C++ FFI header (ffi.h) is template-heavy: every source that includes it takes 2.5-3.5 s
// to compile, which was most of the time to a first result on a fresh machine.  The handlers
// only read buffers and scalar attributes of one call frame, so they decode the frame
// themselves from c_api.h, a plain C header, and each source builds in a fraction of a second.
// A handler is `extern "C" XLA_FFI_Error* Name(XLA_FFI_CallFrame*)`, the signature XLA registers.
#ifndef NEUROFLOW_NATIVE_FRAME_H_
#define NEUROFLOW_NATIVE_FRAME_H_

#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "xla/ffi/api/c_api.h"

namespace neuroflow {

template <typename T> struct DType;
template <> struct DType<bool> { static constexpr XLA_FFI_DataType value = XLA_FFI_DataType_PRED; };
template <> struct DType<int32_t> { static constexpr XLA_FFI_DataType value = XLA_FFI_DataType_S32; };
template <> struct DType<int64_t> { static constexpr XLA_FFI_DataType value = XLA_FFI_DataType_S64; };
template <> struct DType<uint64_t> { static constexpr XLA_FFI_DataType value = XLA_FFI_DataType_U64; };
template <> struct DType<float> { static constexpr XLA_FFI_DataType value = XLA_FFI_DataType_F32; };
template <> struct DType<double> { static constexpr XLA_FFI_DataType value = XLA_FFI_DataType_F64; };

// One argument or result: its element type, data and dimensions.
struct Buffer {
  const XLA_FFI_Buffer* raw;

  int64_t rank() const { return raw->rank; }
  int64_t dim(int64_t k) const { return raw->dims[k]; }
  int64_t count() const {
    int64_t n = 1;
    for (int64_t k = 0; k < raw->rank; ++k) n *= raw->dims[k];
    return n;
  }
  void* data() const { return raw->data; }
  template <typename T> T* as() const { return static_cast<T*>(raw->data); }
};

class Frame {
 public:
  explicit Frame(XLA_FFI_CallFrame* call) : call_(call) {}

  int64_t args() const { return call_->args.size; }
  int64_t rets() const { return call_->rets.size; }
  Buffer arg(int64_t k) const { return Buffer{static_cast<const XLA_FFI_Buffer*>(call_->args.args[k])}; }
  Buffer ret(int64_t k) const { return Buffer{static_cast<const XLA_FFI_Buffer*>(call_->rets.rets[k])}; }

  // The scalar attribute `name` as T; false if it is missing or of another type.
  template <typename T>
  bool attr(const char* name, T* out) const {
    const XLA_FFI_Attrs& attrs = call_->attrs;
    const size_t length = std::strlen(name);
    for (int64_t k = 0; k < attrs.size; ++k) {
      const XLA_FFI_ByteSpan* key = attrs.names[k];
      if (key->len != length || std::memcmp(key->ptr, name, length) != 0) continue;
      if (attrs.types[k] != XLA_FFI_AttrType_SCALAR) return false;
      const auto* scalar = static_cast<const XLA_FFI_Scalar*>(attrs.attrs[k]);
      if (scalar->dtype != DType<T>::value) return false;
      std::memcpy(out, scalar->value, sizeof(T));
      return true;
    }
    return false;
  }

  XLA_FFI_Error* fail(XLA_FFI_Error_Code code, const char* message) const {
    XLA_FFI_Error_Create_Args args;
    args.struct_size = XLA_FFI_Error_Create_Args_STRUCT_SIZE;
    args.extension_start = nullptr;
    args.message = message;
    args.errc = code;
    return call_->api->XLA_FFI_Error_Create(&args);
  }

  XLA_FFI_Error* invalid(const char* message) const { return fail(XLA_FFI_Error_Code_INVALID_ARGUMENT, message); }

  // Every argument and result is a buffer, and, where `args`/`rets` list types, of those types.
  bool buffers(std::initializer_list<XLA_FFI_DataType> args, std::initializer_list<XLA_FFI_DataType> rets,
               bool any_number = false) const {
    if (!any_number && (call_->args.size != static_cast<int64_t>(args.size()) ||
                        call_->rets.size != static_cast<int64_t>(rets.size()))) {
      return false;
    }
    for (int64_t k = 0; k < call_->args.size; ++k) {
      if (call_->args.types[k] != XLA_FFI_ArgType_BUFFER) return false;
      if (!any_number && arg(k).raw->dtype != args.begin()[k]) return false;
    }
    for (int64_t k = 0; k < call_->rets.size; ++k) {
      if (call_->rets.types[k] != XLA_FFI_RetType_BUFFER) return false;
      if (!any_number && ret(k).raw->dtype != rets.begin()[k]) return false;
    }
    return true;
  }

 private:
  XLA_FFI_CallFrame* call_;
};

// What every handler does before its work: answer XLA's query for the API version it was
// built against (a call frame carrying the metadata extension), check the frame's layout, and
// act only in the execute stage.  Returns true when the handler should go on with `frame`.
inline bool Prologue(XLA_FFI_CallFrame* call, XLA_FFI_Error** early) {
  *early = nullptr;
  if (call->extension_start != nullptr && call->extension_start->type == XLA_FFI_Extension_Metadata) {
    auto* extension = reinterpret_cast<XLA_FFI_Metadata_Extension*>(call->extension_start);
    extension->metadata->api_version = XLA_FFI_Api_Version{XLA_FFI_Api_Version_STRUCT_SIZE, nullptr,
                                                           XLA_FFI_API_MAJOR, XLA_FFI_API_MINOR};
    extension->metadata->traits = 0;
    return false;
  }
  if (call->struct_size < XLA_FFI_CallFrame_STRUCT_SIZE) {
    *early = Frame(call).invalid("neuroflow: XLA passed a call frame older than the FFI headers it was built with");
    return false;
  }
  return call->stage == XLA_FFI_ExecutionStage_EXECUTE;
}

}  // namespace neuroflow

// A function built once for each of the widest vector units of x86-64 CPUs (AVX-512 with its
// 64-bit integer multiply, AVX2, the baseline), one chosen when the library loads: the kernels'
// libraries are built without -march=native, since a cache may be shared between machines.
// Elsewhere (other CPUs, systems without GNU ifuncs) one build for the baseline.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define NEUROFLOW_WIDEST_VECTORS __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define NEUROFLOW_WIDEST_VECTORS
#endif

// Defines the handler symbol NAME, which checks the frame and then returns BODY(frame).
#define NEUROFLOW_HANDLER(NAME, BODY)                                 \
  extern "C" XLA_FFI_Error* NAME(XLA_FFI_CallFrame* call) {           \
    XLA_FFI_Error* early;                                             \
    if (!neuroflow::Prologue(call, &early)) return early;             \
    return BODY(neuroflow::Frame(call));                              \
  }

#endif  // NEUROFLOW_NATIVE_FRAME_H_
