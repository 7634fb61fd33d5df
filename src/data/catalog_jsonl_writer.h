#ifndef RECD_DATA_CATALOG_JSONL_WRITER_H_
#define RECD_DATA_CATALOG_JSONL_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "recd/dataset.h"

namespace recd {

// Streams a catalog as JSON lines in the format LoadCatalog reads: item_id,
// title, category (array), brand, price (left out when NaN, written in the
// shortest form that reads back to the same float), in_stock, attributes.
// Not thread-safe; one writer per file.
class CatalogJsonlWriter {
 public:
  static absl::StatusOr<std::unique_ptr<CatalogJsonlWriter>> Open(const std::string& path);
  ~CatalogJsonlWriter();
  CatalogJsonlWriter(const CatalogJsonlWriter&) = delete;
  CatalogJsonlWriter& operator=(const CatalogJsonlWriter&) = delete;

  // Errors surface in Close().
  void Add(std::string_view item_id, const ItemInfo& info);
  absl::Status Close();
  int64_t rows() const { return rows_; }

 private:
  CatalogJsonlWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  void Flush();

  std::string path_;
  std::FILE* file_;
  std::string buffer_;
  int64_t rows_ = 0;
  bool failed_ = false;
};

}  // namespace recd

#endif  // RECD_DATA_CATALOG_JSONL_WRITER_H_
