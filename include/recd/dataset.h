#ifndef RECD_DATASET_H_
#define RECD_DATASET_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "recd/id_map.h"

namespace recd {

enum class EventType : uint8_t { kView = 0, kCart = 1, kPurchase = 2 };

// One interaction of a user with an item, items as dense ids.
struct Event {
  int32_t item = -1;
  EventType type = EventType::kView;
  int64_t timestamp = 0;  // seconds since the epoch; sequence position for
                          // datasets without time (the Amazon format)
};

// How much each event type says about a user's interest; used by trainers
// (ALS confidence, profile weights). Defaults are documented here and
// overridable from config.
struct EventWeights {
  float view = 1.0f;
  float cart = 3.0f;
  float purchase = 5.0f;
  float Of(EventType t) const {
    return t == EventType::kPurchase ? purchase : t == EventType::kCart ? cart : view;
  }
};

// Catalog facts about one item. Every field may be empty: an item seen only
// in an interaction log has no catalog row.
struct ItemInfo {
  std::string title;
  std::vector<std::string> category_path;  // root first: {"Beauty", "Skin"}
  std::string brand;
  float price = std::numeric_limits<float>::quiet_NaN();
  bool in_stock = true;
  std::vector<std::string> attributes;  // free tokens, e.g. Amazon attribute ids
};

// Interaction histories and catalog with dense ids. A value type; movable.
struct Dataset {
  IdMap users;
  IdMap items;
  std::vector<std::vector<Event>> histories;  // [user] -> events, oldest first
  std::vector<ItemInfo> item_info;            // [item]; size() == items.size()

  int32_t num_users() const { return users.size(); }
  int32_t num_items() const { return items.size(); }
  int64_t num_events() const {
    int64_t n = 0;
    for (const auto& h : histories) n += static_cast<int64_t>(h.size());
    return n;
  }
};

}  // namespace recd

#endif  // RECD_DATASET_H_
