// WriteInteractionsCsv and WriteCatalogJsonl (see recd/data_loaders.h).

#include "data/catalog_jsonl_writer.h"
#include "data/event_csv_writer.h"
#include "recd/data_loaders.h"

namespace recd {

absl::Status WriteInteractionsCsv(const Dataset& data, const std::string& path) {
  auto writer = EventCsvWriter::Open(path);
  if (!writer.ok()) return writer.status();
  for (size_t u = 0; u < data.histories.size(); ++u) {
    const std::string& user = data.users.Name(static_cast<int32_t>(u));
    for (const Event& e : data.histories[u]) {
      (*writer)->Add(user, data.items.Name(e.item), e.type, e.timestamp);
    }
  }
  return (*writer)->Close();
}

absl::Status WriteCatalogJsonl(const Dataset& data, const std::string& path) {
  auto writer = CatalogJsonlWriter::Open(path);
  if (!writer.ok()) return writer.status();
  static const ItemInfo kNoInfo;
  for (int32_t i = 0; i < data.items.size(); ++i) {
    const size_t k = static_cast<size_t>(i);
    (*writer)->Add(data.items.Name(i), k < data.item_info.size() ? data.item_info[k] : kNoInfo);
  }
  return (*writer)->Close();
}

}  // namespace recd
