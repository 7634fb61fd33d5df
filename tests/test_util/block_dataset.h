#ifndef RECD_TESTS_TEST_UTIL_BLOCK_DATASET_H_
#define RECD_TESTS_TEST_UTIL_BLOCK_DATASET_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "recd/dataset.h"

namespace recd::testing_util {

// A dataset with planted low-rank structure: `groups` user groups, each
// consuming only its own disjoint block of `items_per_group` items
// (group g owns items [g * items_per_group, (g + 1) * items_per_group)).
// Each user clicks `clicks_per_user` distinct random items of the block.
// Deterministic for a given seed.
struct BlockDataset {
  Dataset data;
  int groups = 0;
  int items_per_group = 0;

  int GroupOfUser(int32_t user) const { return user % groups; }
  int GroupOfItem(int32_t item) const { return item / items_per_group; }
};

inline BlockDataset MakeBlockDataset(int groups, int users_per_group, int items_per_group,
                                     int clicks_per_user, uint64_t seed) {
  BlockDataset b;
  b.groups = groups;
  b.items_per_group = items_per_group;
  for (int i = 0; i < groups * items_per_group; ++i) {
    b.data.items.GetOrAdd("i" + std::to_string(i));
  }
  b.data.item_info.resize(static_cast<size_t>(b.data.num_items()));
  std::mt19937_64 rng(seed);
  std::vector<int32_t> block(static_cast<size_t>(items_per_group));
  for (int u = 0; u < groups * users_per_group; ++u) {
    b.data.users.GetOrAdd("u" + std::to_string(u));
    const int g = u % groups;
    for (int k = 0; k < items_per_group; ++k) block[k] = g * items_per_group + k;
    std::shuffle(block.begin(), block.end(), rng);
    std::vector<Event> history;
    for (int k = 0; k < clicks_per_user; ++k) {
      history.push_back({block[k], EventType::kPurchase, k});
    }
    b.data.histories.push_back(std::move(history));
  }
  return b;
}

}  // namespace recd::testing_util

#endif  // RECD_TESTS_TEST_UTIL_BLOCK_DATASET_H_
