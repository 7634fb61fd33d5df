#ifndef RECD_TESTS_TEST_UTIL_SEQUENCE_DATA_H_
#define RECD_TESTS_TEST_UTIL_SEQUENCE_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "recd/dataset.h"

namespace recd::testing_util {

// A dataset of `num_items` items named "i0", "i1", ... and one user per
// history; event timestamps are positions. For hand-made builder tests.
inline Dataset MakeSequences(int32_t num_items, const std::vector<std::vector<int32_t>>& histories,
                             EventType type = EventType::kPurchase) {
  Dataset d;
  for (int32_t i = 0; i < num_items; ++i) d.items.GetOrAdd(absl::StrCat("i", i));
  d.item_info.resize(static_cast<size_t>(num_items));
  for (size_t u = 0; u < histories.size(); ++u) {
    d.users.GetOrAdd(absl::StrCat("u", u));
    std::vector<Event> h;
    for (int32_t item : histories[u]) {
      h.push_back(Event{item, type, static_cast<int64_t>(h.size())});
    }
    d.histories.push_back(std::move(h));
  }
  return d;
}

inline std::vector<Event> Events(const std::vector<int32_t>& items) {
  std::vector<Event> h;
  for (int32_t item : items) h.push_back(Event{item, EventType::kPurchase, 0});
  return h;
}

// When the live item statistics tests start counting.
inline const absl::Time kLiveStart = absl::FromUnixSeconds(1'800'000'000);

// Views at time 0: each weighs 1, in histories and in live counts.
inline std::vector<Event> Views(const std::vector<int32_t>& items) {
  std::vector<Event> h;
  for (int32_t item : items) h.push_back(Event{item, EventType::kView, 0});
  return h;
}

}  // namespace recd::testing_util

#endif  // RECD_TESTS_TEST_UTIL_SEQUENCE_DATA_H_
