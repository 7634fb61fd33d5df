#include "recd/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "models/atomic_file.h"
#include "nlohmann/json.hpp"

namespace recd {
namespace {

// Tensor bytes are used in place, so the host must share the file's byte order.
static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

using Json = nlohmann::json;

// The Python/Rust readers refuse headers above 100 MB; a bigger length prefix
// means a corrupt or foreign file, not a large model.
constexpr uint64_t kMaxHeaderSize = 100'000'000;
constexpr char kMetadataKey[] = "__metadata__";

// prod(shape) * element_size, or nullopt if a dimension is negative or the
// product overflows.
std::optional<uint64_t> ByteSize(const std::vector<int64_t>& shape, size_t element_size) {
  uint64_t n = element_size;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    const auto ud = static_cast<uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<uint64_t>::max() / ud) return std::nullopt;
    n *= ud;
  }
  return n;
}

// A JSON integer that fits in int64 and is >= 0.
std::optional<int64_t> NonNegativeInt(const Json& j) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return j.get<int64_t>();
  return std::nullopt;
}

}  // namespace

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kI32:
      return "I32";
    case DType::kI64:
      return "I64";
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32:
    case DType::kI32:
      return 4;
    case DType::kI64:
      return 8;
  }
  return 0;
}

std::optional<DType> DTypeFromName(std::string_view name) {
  for (DType d : {DType::kF32, DType::kI32, DType::kI64}) {
    if (name == DTypeName(d)) return d;
  }
  return std::nullopt;
}

int64_t TensorView::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::span<const float> TensorView::f32() const {
  assert(dtype == DType::kF32);
  return {static_cast<const float*>(data), nbytes / sizeof(float)};
}

std::span<const int32_t> TensorView::i32() const {
  assert(dtype == DType::kI32);
  return {static_cast<const int32_t*>(data), nbytes / sizeof(int32_t)};
}

std::span<const int64_t> TensorView::i64() const {
  assert(dtype == DType::kI64);
  return {static_cast<const int64_t*>(data), nbytes / sizeof(int64_t)};
}

// ---------------------------------------------------------------------------
// SafetensorsWriter

void SafetensorsWriter::Add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            const void* data) {
  const std::optional<uint64_t> nbytes = ByteSize(shape, DTypeSize(dtype));
  if (!nbytes || (*nbytes > 0 && data == nullptr)) {
    if (error_.empty()) {
      error_ = absl::StrCat("tensor '", name, "': ",
                            nbytes ? absl::StrCat("null data for ", *nbytes, " bytes")
                                   : absl::StrCat("invalid shape ", ShapeString(shape)));
    }
    return;
  }
  const auto* bytes = static_cast<const uint8_t*>(data);
  Entry& entry = tensors_[name];
  entry.dtype = dtype;
  entry.shape = std::move(shape);
  entry.bytes.assign(bytes, bytes + *nbytes);
}

void SafetensorsWriter::AddF32(const std::string& name, std::vector<int64_t> shape,
                               std::span<const float> data) {
  const std::optional<uint64_t> nbytes = ByteSize(shape, sizeof(float));
  if (nbytes && *nbytes != data.size_bytes()) {
    if (error_.empty()) {
      error_ = absl::StrCat("tensor '", name, "': shape ", ShapeString(shape), " needs ",
                            *nbytes / sizeof(float), " floats, got ", data.size());
    }
    return;
  }
  Add(name, DType::kF32, std::move(shape), data.data());
}

void SafetensorsWriter::SetMetadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

absl::Status SafetensorsWriter::Write(const std::string& path) const {
  if (!error_.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", error_));
  if (tensors_.contains(kMetadataKey)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": '", kMetadataKey, "' is reserved and cannot name a tensor"));
  }
  // Widest dtype first, then by name, as the Python library orders them: with
  // an 8-aligned data buffer every tensor then starts aligned to its element.
  std::vector<const std::pair<const std::string, Entry>*> order;
  for (const auto& kv : tensors_) order.push_back(&kv);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return DTypeSize(a->second.dtype) > DTypeSize(b->second.dtype);
  });

  Json header = Json::object();
  if (!metadata_.empty()) header[kMetadataKey] = metadata_;
  uint64_t offset = 0;
  for (const auto* kv : order) {
    const Entry& e = kv->second;
    header[kv->first] = {{"dtype", DTypeName(e.dtype)},
                         {"shape", e.shape},
                         {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const Json::exception& e) {  // names or metadata that are not UTF-8
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot encode header: ", e.what()));
  }
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  char prefix[8];
  const uint64_t header_len = header_text.size();
  std::memcpy(prefix, &header_len, sizeof(prefix));
  std::vector<std::string_view> parts = {std::string_view(prefix, sizeof(prefix)), header_text};
  for (const auto* kv : order) {
    const auto& bytes = kv->second.bytes;
    parts.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return WriteFileAtomically(path, parts);
}

// ---------------------------------------------------------------------------
// SafetensorsFile

SafetensorsFile::~SafetensorsFile() = default;

namespace {

// Reads exactly `n` bytes at `offset`, retrying short reads. A file that ends
// early was truncated after fstat (someone is rewriting it): DataLossError.
absl::Status ReadFully(int fd, const std::string& path, uint8_t* out, size_t n, size_t offset) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      return absl::InternalError(absl::StrCat(path, ": read failed: ", std::strerror(errno)));
    }
    if (r == 0) {
      return absl::DataLossError(absl::StrCat(path, ": file shrank to ", offset + done,
                                              " bytes while being read (rewritten in place?)"));
    }
    done += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  // Closes fd on every return below.
  const std::unique_ptr<const int, void (*)(const int*)> closer(&fd,
                                                                [](const int* f) { ::close(*f); });
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    return absl::DataLossError(absl::StrCat(path, ": file is ", size,
                                            " bytes, too short for the 8-byte header length "
                                            "(empty or truncated file)"));
  }
  uint64_t header_len = 0;
  if (absl::Status s = ReadFully(fd, path, reinterpret_cast<uint8_t*>(&header_len), 8, 0);
      !s.ok()) {
    return s;
  }
  if (header_len > size - 8) {
    return absl::DataLossError(absl::StrCat(path, ": header length ", header_len,
                                            " exceeds file size ", size, " (truncated file?)"));
  }
  if (header_len > kMaxHeaderSize) {
    return absl::DataLossError(absl::StrCat(path, ": header length ", header_len,
                                            " is over the limit of ", kMaxHeaderSize, " bytes"));
  }
  const size_t data_start = 8 + header_len;
  // The whole file is copied to the heap rather than mapped: a mapping of a
  // file that is later truncated (a bundle rewritten in place) raises SIGBUS
  // on the next access and kills the daemon; a private copy cannot. The copy
  // starts `pad` bytes into 8-aligned memory so that the data buffer (and so
  // every tensor) is 8-aligned even when an old writer left the header length
  // unpadded.
  const size_t pad = (8 - data_start % 8) % 8;
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->size_ = size;
  try {
    file->buffer_ = std::make_unique_for_overwrite<uint64_t[]>((pad + size + 7) / 8);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": cannot allocate ", size, " bytes to read the file"));
  }
  uint8_t* base = reinterpret_cast<uint8_t*>(file->buffer_.get()) + pad;
  if (absl::Status s = ReadFully(fd, path, base, size, 0); !s.ok()) return s;
  struct stat after {};
  if (::fstat(fd, &after) != 0 || static_cast<size_t>(after.st_size) != size) {
    return absl::DataLossError(
        absl::StrCat(path, ": file changed size while being read (rewritten in place?)"));
  }
  const uint8_t* data = base + data_start;
  const size_t data_size = size - data_start;
  const std::string_view header(reinterpret_cast<const char*>(base) + 8, header_len);
  if (absl::Status s = file->ParseHeader(header, data, data_size); !s.ok()) return s;
  return file;
}

absl::Status SafetensorsFile::ParseHeader(std::string_view header, const uint8_t* data,
                                          size_t data_size) {
  Json root;
  try {
    root = Json::parse(header.begin(), header.end());
  } catch (const Json::exception& e) {
    return absl::DataLossError(absl::StrCat(path_, ": header is not valid JSON: ", e.what()));
  }
  if (!root.is_object()) {
    return absl::DataLossError(
        absl::StrCat(path_, ": header is a JSON ", root.type_name(), ", expected an object"));
  }
  struct Range {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (const auto& [name, entry] : root.items()) {
    if (name == kMetadataKey) {
      if (!entry.is_object()) {
        return absl::DataLossError(absl::StrCat(path_, ": ", kMetadataKey, " is not an object"));
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return absl::DataLossError(absl::StrCat(path_, ": ", kMetadataKey, " value of '", key,
                                                  "' is a ", value.type_name(),
                                                  ", expected a string"));
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = absl::StrCat(path_, ": tensor '", name, "': ");
    if (!entry.is_object()) {
      return absl::DataLossError(absl::StrCat(where, "entry is not an object"));
    }
    const auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end() || !dtype_it->is_string()) {
      return absl::DataLossError(absl::StrCat(where, "missing or non-string \"dtype\""));
    }
    const std::string dtype_name = dtype_it->get<std::string>();
    const std::optional<DType> dtype = DTypeFromName(dtype_name);
    if (!dtype) {
      return absl::UnimplementedError(absl::StrCat(path_, ": unsupported dtype ", dtype_name,
                                                   " for tensor '", name,
                                                   "' (recd reads F32, I32 and I64)"));
    }
    const auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array()) {
      return absl::DataLossError(absl::StrCat(where, "missing or non-array \"shape\""));
    }
    std::vector<int64_t> shape;
    for (const Json& d : *shape_it) {
      const std::optional<int64_t> dim = NonNegativeInt(d);
      if (!dim) {
        return absl::DataLossError(
            absl::StrCat(where, "shape ", shape_it->dump(), " is not a list of non-negative ints"));
      }
      shape.push_back(*dim);
    }
    const std::optional<uint64_t> nbytes = ByteSize(shape, DTypeSize(*dtype));
    if (!nbytes) {
      return absl::DataLossError(absl::StrCat(where, "shape ", ShapeString(shape), " overflows"));
    }
    const auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
      return absl::DataLossError(
          absl::StrCat(where, "\"data_offsets\" is not a pair of non-negative ints"));
    }
    const auto begin = (*offsets_it)[0].get<uint64_t>();
    const auto end = (*offsets_it)[1].get<uint64_t>();
    const std::string offsets = absl::StrCat("data_offsets [", begin, ", ", end, "]");
    if (end < begin) return absl::DataLossError(absl::StrCat(where, offsets, " end before begin"));
    if (end > data_size) {
      return absl::DataLossError(absl::StrCat(where, offsets, " exceed the data buffer of ",
                                              data_size, " bytes (file size ", size_,
                                              "; truncated file?)"));
    }
    if (end - begin != *nbytes) {
      return absl::DataLossError(absl::StrCat(where, offsets, " hold ", end - begin, " bytes but ",
                                              dtype_name, " ", ShapeString(shape), " needs ",
                                              *nbytes));
    }
    TensorView view;
    view.name = name;
    view.dtype = *dtype;
    view.shape = std::move(shape);
    view.data = data + begin;
    view.nbytes = *nbytes;
    auto [it, inserted] = tensors_.emplace(name, std::move(view));
    if (!inserted) return absl::DataLossError(absl::StrCat(where, "appears twice"));
    if (begin != end) ranges.push_back({begin, end, &it->first});
  }
  // Empty tensors own no bytes, so only non-empty ranges can collide.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  for (size_t i = 1; i < ranges.size(); ++i) {
    const Range& prev = ranges[i - 1];
    const Range& cur = ranges[i];
    if (cur.begin < prev.end) {
      return absl::DataLossError(absl::StrCat(path_, ": tensors '", *prev.name, "' [", prev.begin,
                                              ", ", prev.end, "] and '", *cur.name, "' [",
                                              cur.begin, ", ", cur.end, "] overlap"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& kv : tensors_) out.push_back(kv.first);
  return out;
}

absl::StatusOr<TensorView> SafetensorsFile::Get(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(absl::StrCat(path_, ": no tensor '", name, "'"));
  }
  return it->second;
}

absl::StatusOr<TensorView> SafetensorsFile::Get(const std::string& name, DType dtype,
                                                const std::vector<int64_t>& expected_shape) const {
  absl::StatusOr<TensorView> view = Get(name);
  if (!view.ok()) return view;
  if (view->dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": tensor '", name, "' has dtype ",
                                                   DTypeName(view->dtype), ", expected ",
                                                   DTypeName(dtype)));
  }
  bool match = view->shape.size() == expected_shape.size();
  for (size_t i = 0; match && i < expected_shape.size(); ++i) {
    match = expected_shape[i] == -1 || expected_shape[i] == view->shape[i];
  }
  if (!match) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": tensor '", name, "' has shape ",
                                                   ShapeString(view->shape), ", expected ",
                                                   ShapeString(expected_shape)));
  }
  return view;
}

}  // namespace recd
