#ifndef RECD_SAFETENSORS_H_
#define RECD_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace recd {

// The subset of safetensors dtypes recd reads and writes.
enum class DType { kF32, kI32, kI64 };
const char* DTypeName(DType dtype);  // "F32", "I32", "I64"
size_t DTypeSize(DType dtype);
// The inverse of DTypeName; nullopt for any other safetensors dtype ("F16"...).
std::optional<DType> DTypeFromName(std::string_view name);
// "[2, 3]": a shape as error messages show it.
std::string ShapeString(const std::vector<int64_t>& shape);

// A read-only view of one tensor inside a loaded file: row-major,
// little-endian. Valid while the SafetensorsFile that returned it lives.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes = 0;

  int64_t num_elements() const;
  // REQUIRES: dtype == kF32 (resp. kI32, kI64). Data is aligned to the
  // element size, so the spans (and Eigen maps over them) are safe to use.
  std::span<const float> f32() const;
  std::span<const int32_t> i32() const;
  std::span<const int64_t> i64() const;
};

// Collects tensors and writes them as one safetensors file: an 8-byte
// little-endian header length, a JSON header mapping each name to
// {dtype, shape, data_offsets}, then the raw bytes. Copies the data it is
// given. Not thread-safe.
//
// The file is what the Python `safetensors` library writes: the header is
// space-padded to a multiple of 8 bytes and tensors are stored back to back,
// widest dtype first, so every tensor is aligned to its element size.
class SafetensorsWriter {
 public:
  // Copies prod(shape) * DTypeSize(dtype) bytes from `data` (which may be
  // null when that is 0). Adding a name again replaces the earlier tensor.
  void Add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data);
  // As Add; a span whose size is not prod(shape) makes Write() fail.
  void AddF32(const std::string& name, std::vector<int64_t> shape, std::span<const float> data);
  // Optional string metadata, stored under the header's "__metadata__" key.
  void SetMetadata(const std::string& key, const std::string& value);
  // Writes to a temporary file beside `path` (`<path>.tmp.<pid>`), fsyncs it
  // and renames it into place, so a reader never sees a half-written file.
  // Fails on a negative dimension, a tensor named "__metadata__", a bad
  // AddF32 call, or an I/O error (naming the path).
  absl::Status Write(const std::string& path) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::map<std::string, Entry> tensors_;
  std::map<std::string, std::string> metadata_;
  std::string error_;  // first misuse seen by Add*, reported by Write()
};

// A safetensors file read into memory; tensors are used in place. The file is
// copied to the heap, not mmapped, so truncating or rewriting it afterwards
// (a bundle overwritten in place) cannot crash the reader with SIGBUS; the
// cost is one sequential read at load time. Open() validates the header JSON, dtypes, that every tensor's byte range
// matches its shape and lies inside the file, and that ranges do not overlap.
// Errors name the file and the tensor; a malformed file is DataLossError, a
// valid file with a dtype recd does not read is UnimplementedError.
// Thread-safe: immutable after Open().
class SafetensorsFile {
 public:
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Errors name the file and tensor: missing tensor, wrong dtype, or a shape
  // other than `expected_shape` (-1 in expected_shape matches any size).
  absl::StatusOr<TensorView> Get(const std::string& name) const;
  absl::StatusOr<TensorView> Get(const std::string& name, DType dtype,
                                 const std::vector<int64_t>& expected_shape) const;

 private:
  SafetensorsFile() = default;
  absl::Status ParseHeader(std::string_view header, const uint8_t* data, size_t data_size);

  std::string path_;
  size_t size_ = 0;  // of the file
  // The file's bytes, placed so that the tensor data starts 8-byte aligned.
  std::unique_ptr<uint64_t[]> buffer_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace recd

#endif  // RECD_SAFETENSORS_H_
