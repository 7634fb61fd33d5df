// LoadInteractions: the CSV event log reader (see recd/data_loaders.h).

#include <algorithm>
#include <array>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "data/csv.h"
#include "data/line_error.h"
#include "data/string_util.h"
#include "data/timestamp.h"
#include "recd/data_loaders.h"

namespace recd {
namespace {

enum Column { kUser = 0, kItem = 1, kEvent = 2, kTimestamp = 3, kNumColumns = 4 };
constexpr std::array<std::string_view, kNumColumns> kColumnNames = {"user_id", "item_id", "event",
                                                                    "timestamp"};

// Maps header positions to columns; fails naming file, line 1 and the column.
absl::Status ParseHeader(const std::string& path, const std::vector<std::string>& header,
                         std::array<int, kNumColumns>* position) {
  position->fill(-1);
  for (size_t i = 0; i < header.size(); ++i) {
    std::string_view name = StripWhitespace(header[i]);
    if (i == 0 && name.starts_with("\xEF\xBB\xBF")) name.remove_prefix(3);  // UTF-8 BOM
    const auto it = std::find(kColumnNames.begin(), kColumnNames.end(), name);
    if (it == kColumnNames.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":1: unknown column '", ToAbsl(name),
                                                     "' (expected ",
                                                     "user_id, item_id, event, timestamp", ")"));
    }
    int& pos = (*position)[it - kColumnNames.begin()];
    if (pos >= 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":1: duplicate column '", ToAbsl(name), "'"));
    }
    pos = static_cast<int>(i);
  }
  for (int c = 0; c < kNumColumns; ++c) {
    if ((*position)[c] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":1: missing column '", ToAbsl(kColumnNames[c]), "'"));
    }
  }
  return absl::OkStatus();
}

// Parses one data line into ids and an event; returns the problem, if any.
std::optional<LineError> ParseLine(std::string_view line, const std::array<int, kNumColumns>& pos,
                                   std::vector<std::string>* fields, std::string_view* user,
                                   std::string_view* item, Event* event) {
  if (auto s = SplitCsvLine(line, fields); !s.ok()) {
    return LineError{std::string(s.message()), ""};
  }
  if (fields->size() != kNumColumns) {
    return LineError{"wrong field count",
                     absl::StrCat(" (", fields->size(), ", expected ", kNumColumns, ")")};
  }
  auto field = [&](Column c) { return StripWhitespace((*fields)[pos[c]]); };
  *user = field(kUser);
  *item = field(kItem);
  if (user->empty()) return LineError{"empty user_id", ""};
  if (item->empty()) return LineError{"empty item_id", ""};
  const std::optional<EventType> type = ParseEventType(field(kEvent));
  if (!type) return LineError{"unknown event", absl::StrCat(" '", ToAbsl(field(kEvent)), "'")};
  const std::optional<int64_t> ts = ParseTimestamp(field(kTimestamp));
  if (!ts) return LineError{"bad timestamp", absl::StrCat(" '", ToAbsl(field(kTimestamp)), "'")};
  event->type = *type;
  event->timestamp = *ts;
  return std::nullopt;
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kView:
      return "view";
    case EventType::kCart:
      return "cart";
    case EventType::kPurchase:
      return "purchase";
  }
  return "view";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (EventType t : {EventType::kView, EventType::kCart, EventType::kPurchase}) {
    if (EqualsIgnoreCase(name, EventTypeName(t))) return t;
  }
  return std::nullopt;
}

absl::Status LoadInteractions(const std::string& path, const LoadOptions& options, Dataset* data,
                              LoadReport* report) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  LoadReport local;
  if (report == nullptr) report = &local;

  std::string line;
  std::vector<std::string> fields;
  if (!std::getline(in, line) || StripWhitespace(line).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": empty file (expected a header user_id,item_id,event,timestamp)"));
  }
  std::array<int, kNumColumns> pos;
  if (auto s = SplitCsvLine(line, &fields); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":1: ", s.message()));
  }
  if (auto s = ParseHeader(path, fields, &pos); !s.ok()) return s;

  int64_t line_no = 1;
  int64_t loaded = 0;
  std::string last_user;
  int32_t last_user_id = -1;
  int64_t unreported_bytes = static_cast<int64_t>(line.size()) + 1;
  while (std::getline(in, line)) {
    ++line_no;
    unreported_bytes += static_cast<int64_t>(line.size()) + 1;
    if (options.on_bytes && line_no % LoadOptions::kProgressLines == 0) {
      options.on_bytes(unreported_bytes);
      unreported_bytes = 0;
    }
    if (StripWhitespace(line).empty()) continue;
    ++report->lines;
    std::string_view user, item;
    Event event;
    if (auto error = ParseLine(line, pos, &fields, &user, &item, &event)) {
      if (options.strict) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_no, ": ", error->reason, error->detail));
      }
      report->Skip(path, line_no, error->reason);
      continue;
    }
    // Logs usually hold a user's rows together; skip the hash lookup then.
    if (last_user_id < 0 || user != last_user) {
      last_user.assign(user);
      last_user_id = data->users.GetOrAdd(user);
    }
    const int32_t u = last_user_id;
    event.item = data->items.GetOrAdd(item);
    if (static_cast<size_t>(u) >= data->histories.size()) data->histories.resize(u + 1);
    data->histories[static_cast<size_t>(u)].push_back(event);
    ++loaded;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ":", line_no, ": read error"));
  if (options.on_bytes) options.on_bytes(unreported_bytes);
  report->loaded += loaded;
  data->histories.resize(static_cast<size_t>(data->users.size()));
  data->item_info.resize(static_cast<size_t>(data->items.size()));
  if (loaded == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no events loaded (", report->Summary(), ")"));
  }
  for (auto& history : data->histories) {
    const auto by_time = [](const Event& a, const Event& b) { return a.timestamp < b.timestamp; };
    if (!std::is_sorted(history.begin(), history.end(), by_time)) {
      std::stable_sort(history.begin(), history.end(), by_time);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Dataset> LoadInteractions(const std::string& path, const LoadOptions& options,
                                         LoadReport* report) {
  Dataset data;
  if (auto s = LoadInteractions(path, options, &data, report); !s.ok()) return s;
  return data;
}

}  // namespace recd
