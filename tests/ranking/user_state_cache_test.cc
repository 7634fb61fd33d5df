#include "ranking/user_state_cache.h"

#include "gtest/gtest.h"

namespace recd {
namespace {

std::shared_ptr<const ModelBundle> EmptyBundle() {
  return ModelBundle::FromScorers(IdMap(), {}, FusionConfig());
}

UserStateCache::States OneState() { return {std::make_shared<const UserState>()}; }

TEST(UserStateCacheTest, KeepsStatesForTheSameBundleAndHistory) {
  UserStateCache cache(10);
  const auto bundle = EmptyBundle();
  cache.Insert("u1", bundle, 42, OneState());
  EXPECT_EQ(cache.Lookup("u1", bundle, 42).size(), 1u);
  EXPECT_TRUE(cache.Lookup("u1", bundle, 43).empty());  // another history
  EXPECT_TRUE(cache.Contains("u1"));
}

// models.state_cache_entries: 0 is how benchmarks/serving.sh (RECD_BENCH_COLD)
// measures the cold cost: nothing may be kept.
TEST(UserStateCacheTest, ZeroCapacityKeepsNothing) {
  UserStateCache cache(0);
  const auto bundle = EmptyBundle();
  cache.Insert("u1", bundle, 42, OneState());
  EXPECT_TRUE(cache.Lookup("u1", bundle, 42).empty());
  EXPECT_FALSE(cache.Contains("u1"));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(cache.RecentUsers(10).empty());  // so a swap warms nobody
}

}  // namespace
}  // namespace recd
