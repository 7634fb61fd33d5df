// SeedStoreIfEmpty (src/server/store_seeding.cc): a seed killed part-way and
// run again on the next start must leave the store as one clean seed would.

#include <memory>
#include <string>

#include "data/synthetic_generator.h"
#include "gtest/gtest.h"
#include "recd/data_loaders.h"
#include "recd/feature_store_factory.h"
#include "server/recd_server.h"
#include "server/server_config.h"
#include "store/store_test_util.h"
#include "test_util/forwarding_feature_store.h"

namespace recd {
namespace {

class StoreSeedingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SyntheticOptions gen;
    gen.num_items = 60;
    gen.num_users = 1500;  // two history batches of the bulk loader
    gen.num_events = 9000;
    gen.seed = 11;
    auto generator = SyntheticGenerator::Create(gen);
    ASSERT_TRUE(generator.ok()) << generator.status();
    config_.seed_catalog = dir_.Sub("catalog.jsonl");
    config_.seed_events = dir_.Sub("events.csv");
    ASSERT_TRUE((*generator)->WriteCatalog(config_.seed_catalog).ok());
    ASSERT_TRUE((*generator)->WriteEvents(config_.seed_events).ok());
    auto data = LoadInteractions(config_.seed_events, LoadOptions{}, nullptr);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = *std::move(data);
  }

  std::unique_ptr<FeatureStore> Open(const std::string& name) {
    RocksDbStoreOptions options;
    options.path = dir_.Sub(name);
    auto store = OpenRocksDbFeatureStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  TempDir dir_;
  ServerConfig config_;
  Dataset data_;
};

TEST_F(StoreSeedingTest, SeedRerunAfterACrashEqualsACleanSeed) {
  {
    auto store = Open("crashed");
    ForwardingFeatureStore crashing(store.get());
    crashing.fail_after_writes = 1;  // the first 1000 users land, then the "kill"
    EXPECT_FALSE(SeedStoreIfEmpty(config_, crashing).ok());
    EXPECT_TRUE(absl::IsNotFound(store->GetMeta("seeded_from").status()));
  }
  auto restarted = Open("crashed");
  ASSERT_TRUE(SeedStoreIfEmpty(config_, *restarted).ok());
  auto clean = Open("clean");
  ASSERT_TRUE(SeedStoreIfEmpty(config_, *clean).ok());
  ASSERT_GT(data_.num_users(), 1000);
  int differing = 0;
  for (int32_t u = 0; u < data_.num_users(); ++u) {
    const std::string user = data_.users.Name(u);
    differing += restarted->GetHistory(user)->events == clean->GetHistory(user)->events ? 0 : 1;
  }
  EXPECT_EQ(differing, 0);
  EXPECT_TRUE(restarted->GetMeta("seeded_from").ok());
}

TEST_F(StoreSeedingTest, SeededStoreIsNotSeededAgain) {
  auto store = Open("db");
  ASSERT_TRUE(SeedStoreIfEmpty(config_, *store).ok());
  ForwardingFeatureStore watching(store.get());
  ASSERT_TRUE(SeedStoreIfEmpty(config_, watching).ok());
  EXPECT_EQ(watching.history_writes(), 0);
}

}  // namespace
}  // namespace recd
