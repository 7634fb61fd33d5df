#include "recd/data_source.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "recd/content_hash.h"

namespace recd {

namespace {

std::string AttributesPath(const std::string& prefix) { return prefix + "_item2attributes.json"; }

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
  if (source.events_path.empty()) {
    return absl::InvalidArgumentError("no data: give an Amazon prefix or an events file");
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

absl::StatusOr<std::string> DataSourceHash(const DataSource& source) {
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
