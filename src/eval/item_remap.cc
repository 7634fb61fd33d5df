#include "eval/item_remap.h"

#include <optional>
#include <vector>

namespace recd {

RemappedDataset RemapToItems(const Dataset& data, const IdMap& items) {
  RemappedDataset out;
  out.data.users = data.users;
  out.data.items = items;
  out.data.item_info.resize(static_cast<size_t>(items.size()));
  // data's item id -> items' id, once per item rather than per event.
  std::vector<std::optional<int32_t>> to(static_cast<size_t>(data.num_items()));
  for (int32_t i = 0; i < data.num_items(); ++i) {
    to[i] = items.Find(data.items.Name(i));
    if (to[i] && static_cast<size_t>(i) < data.item_info.size()) out.data.item_info[*to[i]] = data.item_info[i];
  }
  out.data.histories.resize(data.histories.size());
  for (size_t u = 0; u < data.histories.size(); ++u) {
    for (const Event& e : data.histories[u]) {
      if (to[e.item]) {
        out.data.histories[u].push_back({*to[e.item], e.type, e.timestamp});
      } else {
        ++out.dropped_events;
      }
    }
  }
  return out;
}

}  // namespace recd
