#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "recd/data_loaders.h"

namespace recd {
namespace {

absl::Status LoadAttributes(const std::string& path, Dataset& data, LoadReport* report) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a JSON object of item -> [attribute ids]"));
  }
  for (const auto& [item, attrs] : doc.items()) {
    if (!attrs.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": item '", item, "': attributes must be an array"));
    }
    const int32_t id = data.items.GetOrAdd(item);
    if (static_cast<size_t>(id) >= data.item_info.size()) data.item_info.resize(id + 1);
    auto& out = data.item_info[static_cast<size_t>(id)].attributes;
    for (const auto& a : attrs) {
      if (a.is_number_integer()) {
        out.push_back(std::to_string(a.get<int64_t>()));
      } else if (a.is_string()) {
        out.push_back(a.get<std::string>());
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": item '", item, "': attribute ids must be integers or strings"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dataset> LoadAmazonSequences(const std::string& sequences_path,
                                            const std::string& attributes_path,
                                            LoadReport* report) {
  std::ifstream in(sequences_path);
  if (!in) return absl::NotFoundError(absl::StrCat(sequences_path, ": cannot open"));
  LoadReport local;
  if (report == nullptr) report = &local;
  Dataset data;
  std::string line, token;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    ++report->lines;
    std::istringstream fields(line);
    std::string user;
    fields >> user;
    if (data.users.Find(user)) {
      return absl::InvalidArgumentError(
          absl::StrCat(sequences_path, ":", line_no, ": user '", user, "' appears twice"));
    }
    std::vector<Event> history;
    while (fields >> token) {
      Event e;
      e.item = data.items.GetOrAdd(token);
      e.type = EventType::kPurchase;
      e.timestamp = static_cast<int64_t>(history.size());
      history.push_back(e);
    }
    if (history.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sequences_path, ":", line_no, ": user '", user, "' has no items"));
    }
    data.users.GetOrAdd(user);
    data.histories.push_back(std::move(history));
    ++report->loaded;
  }
  if (data.histories.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(sequences_path, ": no sequences"));
  }
  data.item_info.resize(static_cast<size_t>(data.items.size()));
  if (!attributes_path.empty()) {
    if (auto s = LoadAttributes(attributes_path, data, report); !s.ok()) return s;
  }
  data.item_info.resize(static_cast<size_t>(data.items.size()));
  return data;
}

}  // namespace recd
