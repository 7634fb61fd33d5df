#include "recd/data_source.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "recd/content_hash.h"
#include "recd/feature_store_factory.h"

namespace recd {

namespace {

std::string AttributesPath(const std::string& prefix) { return prefix + "_item2attributes.json"; }

// A directory for the secondary instance's own files, removed when done.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "recd-store-reader-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The store's catalog, then every stored history, with dense ids in the
// order met (items of the catalog first, in item id order).
absl::StatusOr<Dataset> LoadStore(const std::string& path, std::string* summary) {
  if (!std::filesystem::is_directory(path)) return absl::NotFoundError(absl::StrCat(path, ": no store directory"));
  ScratchDir scratch;
  if (scratch.path().empty()) return absl::InternalError("cannot make a scratch directory for the store reader");
  RocksDbStoreOptions options;
  options.path = path;
  options.create_if_missing = false;
  options.secondary_path = scratch.path();
  options.history_cache_entries = 0;
  options.block_cache_bytes = size_t{8} << 20;
  auto store = OpenRocksDbFeatureStore(options);
  if (!store.ok()) return store.status();
  Dataset data;
  absl::Status s = (*store)->ForEachItem([&](const ItemRecord& record) {
    data.items.GetOrAdd(record.item_id);
    data.item_info.push_back(record.info);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  const int32_t catalog_items = data.num_items();
  s = (*store)->ForEachHistory([&](const std::string& user_id, const StoredHistory& stored) {
    data.users.GetOrAdd(user_id);
    std::vector<Event>& history = data.histories.emplace_back();
    history.reserve(stored.events.size());
    for (const StoredEvent& e : stored.events) {
      history.push_back({data.items.GetOrAdd(e.item_id), e.type, e.timestamp});
    }
    // The store keeps arrival order; trainers expect time order, as loaded logs are.
    std::stable_sort(history.begin(), history.end(),
                     [](const Event& a, const Event& b) { return a.timestamp < b.timestamp; });
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  data.item_info.resize(static_cast<size_t>(data.num_items()));
  if (data.num_events() == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": the store holds no events"));
  absl::StrAppend(summary, path, ": store with ", data.num_users(), " users, ", data.num_events(), " events, ",
                  catalog_items, " catalog items and ", data.num_items() - catalog_items,
                  " items known only from events\n");
  return data;
}

}  // namespace

absl::StatusOr<Dataset> LoadDataSource(const DataSource& source, std::string* summary) {
  std::string local;
  if (summary == nullptr) summary = &local;
  if (!source.amazon_prefix.empty()) {
    LoadReport report;
    const std::string attrs = AttributesPath(source.amazon_prefix);
    auto data = LoadAmazonSequences(source.amazon_prefix + ".txt",
                                    std::filesystem::exists(attrs) ? attrs : "", &report);
    if (!data.ok()) return data.status();
    absl::StrAppend(summary, source.amazon_prefix, ".txt: ", report.Summary(), "\n");
    return data;
  }
  if (!source.store_path.empty()) return LoadStore(source.store_path, summary);
  if (source.events_path.empty()) {
    return absl::InvalidArgumentError("no data: give an Amazon prefix, an events file or a store");
  }
  Dataset data;
  LoadOptions options;
  options.strict = source.strict;
  if (!source.catalog_path.empty()) {
    LoadReport report;
    if (auto s = LoadCatalog(source.catalog_path, &data, &report, options); !s.ok()) return s;
    absl::StrAppend(summary, source.catalog_path, ": ", report.Summary(), "\n");
  }
  LoadReport report;
  if (auto s = LoadInteractions(source.events_path, options, &data, &report); !s.ok()) return s;
  absl::StrAppend(summary, source.events_path, ": ", report.Summary(), "\n");
  return data;
}

std::string DatasetHash(const Dataset& data) {
  std::string bytes;
  for (const std::string& item : data.items.names()) absl::StrAppend(&bytes, item, "\n");
  for (int32_t u = 0; u < data.num_users(); ++u) {
    absl::StrAppend(&bytes, data.users.Name(u), ":");
    for (const Event& e : data.histories[u]) {
      absl::StrAppend(&bytes, e.item, ",", static_cast<int>(e.type), ",", e.timestamp, ";");
    }
    bytes.push_back('\n');
  }
  return HashBytes(bytes.data(), bytes.size());
}

absl::StatusOr<std::string> DataSourceHash(const DataSource& source) {
  if (!source.store_path.empty()) {
    // A store changes while recd serves: hash what was read (DatasetHash).
    return absl::InvalidArgumentError("a store has no files to hash; use DatasetHash of what was loaded");
  }
  std::vector<std::string> files;
  if (!source.amazon_prefix.empty()) {
    files = {source.amazon_prefix + ".txt"};
    if (std::filesystem::exists(AttributesPath(source.amazon_prefix))) files.push_back(AttributesPath(source.amazon_prefix));
  } else {
    files = {source.events_path};
    if (!source.catalog_path.empty()) files.push_back(source.catalog_path);
  }
  std::string joined;
  for (const auto& f : files) {
    auto h = HashFile(f);
    if (!h.ok()) return h.status();
    absl::StrAppend(&joined, *h);
  }
  return HashBytes(joined.data(), joined.size());
}

}  // namespace recd
