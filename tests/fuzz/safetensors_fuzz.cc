// Fuzzes SafetensorsFile::Open on arbitrary file bytes: the 8-byte header
// length, the JSON header, dtypes, shapes and data offsets. Every tensor a
// file accepts is then read end to end, so a view that claims more bytes
// than the buffer holds shows up as an ASan report.

#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "recd/safetensors.h"

namespace {

// Reads every byte of the view (ASan checks the range) and the typed span.
uint64_t Touch(const recd::TensorView& view) {
  const auto* bytes = static_cast<const uint8_t*>(view.data);
  uint64_t sum = 0;
  for (size_t i = 0; i < view.nbytes; ++i) sum += bytes[i];
  switch (view.dtype) {
    case recd::DType::kF32:
      for (float v : view.f32()) sum += static_cast<uint64_t>(v != 0.0f);
      break;
    case recd::DType::kI32:
      for (int32_t v : view.i32()) sum += static_cast<uint64_t>(v);
      break;
    case recd::DType::kI64:
      for (int64_t v : view.i64()) sum += static_cast<uint64_t>(v);
      break;
  }
  if (view.num_elements() * static_cast<int64_t>(recd::DTypeSize(view.dtype)) !=
      static_cast<int64_t>(view.nbytes)) {
    __builtin_trap();  // a view whose shape and byte count disagree
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      recd::fuzz::WriteTempFile("model.safetensors", recd::fuzz::AsView(data, size));
  auto file = recd::SafetensorsFile::Open(path);
  if (!file.ok()) return 0;
  volatile uint64_t sink = 0;
  for (const std::string& name : (*file)->names()) {
    auto view = (*file)->Get(name);
    if (!view.ok()) __builtin_trap();  // names() lists only tensors Get finds
    sink = sink + Touch(*view);
    // The checked getter with a shape of any size in each dimension.
    const std::vector<int64_t> any(view->shape.size(), -1);
    if (!(*file)->Get(name, view->dtype, any).ok()) __builtin_trap();
  }
  return 0;
}
