#include "data/replay_log.h"

#include <algorithm>

#include "recd/data_loaders.h"

namespace recd {

absl::StatusOr<std::vector<ReplayEvent>> ReadReplayLog(const std::string& path) {
  LoadOptions options;
  options.strict = true;
  auto data = LoadInteractions(path, options, nullptr);
  if (!data.ok()) return data.status();
  std::vector<ReplayEvent> events;
  events.reserve(static_cast<size_t>(data->num_events()));
  for (int32_t u = 0; u < data->num_users(); ++u) {
    for (const Event& e : data->histories[u]) {
      events.push_back({data->users.Name(u), data->items.Name(e.item), e.type, e.timestamp});
    }
  }
  // Each history is in time order already; this interleaves the users.
  std::stable_sort(events.begin(), events.end(), [](const ReplayEvent& a, const ReplayEvent& b) {
    return a.timestamp < b.timestamp;
  });
  return events;
}

}  // namespace recd
