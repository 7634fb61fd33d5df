#include "data/catalog_jsonl_writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace recd {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

// The double whose shortest decimal form is the float's: 19.99f is written
// "19.99", not "19.989999771118164".
double ShortestFloat(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf) - 1, v);
  *end = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CatalogJsonlWriter>> CatalogJsonlWriter::Open(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::InternalError(absl::StrCat(path, ": cannot open for writing"));
  }
  std::unique_ptr<CatalogJsonlWriter> writer(new CatalogJsonlWriter(path, file));
  writer->buffer_.reserve(kFlushBytes + 4096);
  return writer;
}

CatalogJsonlWriter::~CatalogJsonlWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void CatalogJsonlWriter::Add(std::string_view item_id, const ItemInfo& info) {
  nlohmann::ordered_json j;
  j["item_id"] = item_id;
  j["title"] = info.title;
  j["category"] = info.category_path;
  j["brand"] = info.brand;
  if (!std::isnan(info.price)) j["price"] = ShortestFloat(info.price);
  j["in_stock"] = info.in_stock;
  j["attributes"] = info.attributes;
  // Replace invalid UTF-8 rather than throw: catalogs come from anywhere.
  buffer_ += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  buffer_.push_back('\n');
  ++rows_;
  if (buffer_.size() >= kFlushBytes) Flush();
}

void CatalogJsonlWriter::Flush() {
  if (file_ != nullptr && !buffer_.empty() &&
      std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    failed_ = true;
  }
  buffer_.clear();
}

absl::Status CatalogJsonlWriter::Close() {
  if (file_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": closed"));
  Flush();
  if (std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
  if (failed_) return absl::InternalError(absl::StrCat(path_, ": write failed"));
  return absl::OkStatus();
}

}  // namespace recd
