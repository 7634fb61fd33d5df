#include "abuse/shilling_detector.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "data/synthetic_generator.h"
#include "recd/data_source.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kOneDay = 86400;
constexpr int64_t kFirstDay = 1'700'000'000;

// A shop's users as tests need them: each new user added with a history.
class ShopLog {
 public:
  explicit ShopLog(int32_t items) {
    for (int32_t i = 0; i < items; ++i) data_.items.GetOrAdd("i" + std::to_string(i));
    data_.item_info.resize(static_cast<size_t>(items));
  }
  int32_t AddUser(std::vector<Event> events) {
    const int32_t u = data_.users.GetOrAdd("u" + std::to_string(data_.num_users()));
    data_.histories.push_back(std::move(events));
    return u;
  }
  // A person: `n` views of items first_item.., `gap` seconds apart, from `start`.
  int32_t AddShopper(int32_t first_item, int n, int64_t start, int64_t gap = 600) {
    std::vector<Event> h;
    for (int k = 0; k < n; ++k) h.push_back({(first_item + k) % data_.num_items(), EventType::kView, start + k * gap});
    return AddUser(std::move(h));
  }
  Dataset& data() { return data_; }

 private:
  Dataset data_;
};

TEST(ShillingDetectorTest, OrdinaryShoppersAreLeftAlone) {
  ShopLog log(200);
  for (int u = 0; u < 300; ++u) log.AddShopper(u % 200, 20, kFirstDay + u * 3600);
  const ShillingReport r = DetectShilling(log.data());
  EXPECT_THAT(r.users, IsEmpty());
  EXPECT_THAT(r.targeted_items, IsEmpty());
}

TEST(ShillingDetectorTest, BurstFasterThanAPersonIsQuarantined) {
  ShopLog log(100);
  const int32_t bot = log.AddShopper(0, 30, kFirstDay, /*gap=*/2);      // 30 events in 58 s
  log.AddShopper(0, 29, kFirstDay, /*gap=*/2);                         // one short of the burst
  log.AddShopper(0, 30, kFirstDay, /*gap=*/3);                         // 30 events in 87 s
  const ShillingReport r = DetectShilling(log.data());
  EXPECT_THAT(r.users, ElementsAre(bot));
  EXPECT_EQ(r.burst_users, 1);
}

TEST(ShillingDetectorTest, OneItemHammeredIsQuarantinedButALoyalShopperIsNot) {
  ShopLog log(10);
  std::vector<Event> hammer, loyal;
  for (int k = 0; k < 30; ++k) hammer.push_back({7, EventType::kView, kFirstDay + k * 100});  // 30 in 2,900 s
  for (int k = 0; k < 60; ++k) loyal.push_back({7, EventType::kView, kFirstDay + k * kOneDay});  // daily for 2 months
  const int32_t bot = log.AddUser(hammer);
  log.AddUser(loyal);
  const ShillingReport r = DetectShilling(log.data());
  EXPECT_THAT(r.users, ElementsAre(bot));
  EXPECT_EQ(r.hammer_users, 1);
}

// The attack of the README's benchmark: many fresh accounts, each viewing the
// target and a few popular items, within a day.
TEST(ShillingDetectorTest, SwarmOfNewAccountsOnOneItemIsQuarantined) {
  ShopLog log(100);
  const int64_t attack = kFirstDay + 30 * kOneDay;
  // Established shoppers, the popular items 0-4 among their views, also
  // on the day of the attack.
  for (int u = 0; u < 200; ++u) {
    std::vector<Event> h = {{5 + u % 50, EventType::kView, kFirstDay + u * 600}, {u % 5, EventType::kView, attack + u * 60}};
    log.AddUser(h);
  }
  std::vector<int32_t> fakes;
  for (int f = 0; f < 60; ++f) {
    const int64_t t = attack + f * 300;
    fakes.push_back(log.AddUser({{99, EventType::kView, t}, {f % 5, EventType::kView, t + 20}, {(f + 1) % 5, EventType::kView, t + 40}}));
  }
  const ShillingReport r = DetectShilling(log.data());
  EXPECT_EQ(r.users, fakes);
  EXPECT_THAT(r.targeted_items, ElementsAre(99));  // not the popular items 0-4 they also viewed
  EXPECT_EQ(r.swarm_users, 60);
}

TEST(ShillingDetectorTest, FewerNewAccountsOrATrendAreNotASwarm) {
  ShopLog log(100);
  const int64_t day = kFirstDay + 30 * kOneDay;
  // 49 new accounts on item 98: below swarm_accounts.
  for (int f = 0; f < 49; ++f) log.AddUser({{98, EventType::kView, day + f * 300}});
  // 60 new accounts on item 97, which 100 established shoppers also visit
  // that day: new accounts are under half of its users (a trend).
  for (int u = 0; u < 100; ++u) log.AddUser({{u % 90, EventType::kView, kFirstDay}, {97, EventType::kView, day + u * 500}});
  for (int f = 0; f < 60; ++f) log.AddUser({{97, EventType::kView, day + f * 700}});
  const ShillingReport r = DetectShilling(log.data());
  EXPECT_THAT(r.users, IsEmpty());
  EXPECT_THAT(r.targeted_items, IsEmpty());
}

TEST(ShillingDetectorTest, SwarmSpreadOverMoreThanTheWindowIsNotOne) {
  ShopLog log(100);
  // 60 new accounts on item 99, one every hour: never 50 within a day.
  for (int f = 0; f < 60; ++f) log.AddUser({{99, EventType::kView, kFirstDay + f * 3600}});
  EXPECT_THAT(DetectShilling(log.data()).users, IsEmpty());
}

TEST(ShillingDetectorTest, DropUsersEventsEmptiesOnlyThoseHistories) {
  ShopLog log(10);
  const int32_t a = log.AddShopper(0, 5, kFirstDay);
  const int32_t b = log.AddShopper(0, 3, kFirstDay);
  EXPECT_EQ(DropUsersEvents({b, 99, -1}, &log.data()), 3);
  EXPECT_EQ(log.data().histories[static_cast<size_t>(a)].size(), 5u);
  EXPECT_THAT(log.data().histories[static_cast<size_t>(b)], IsEmpty());
  EXPECT_EQ(log.data().num_users(), 2);
}

// The demo's shoppers as scripts/demo-data.sh makes them (recd-datagen
// --seed 7: the generator's defaults), generated here since data/ is not
// committed.
TEST(ShillingDetectorTest, DemoShoppersAreNotQuarantined) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("recd_shilling_demo_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  SyntheticOptions options;
  options.seed = 7;
  auto generator = SyntheticGenerator::Create(options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  ASSERT_TRUE((*generator)->WriteCatalog(dir / "catalog.jsonl").ok());
  ASSERT_TRUE((*generator)->WriteEvents(dir / "events.csv").ok());
  auto data = LoadDataSource({.amazon_prefix = "",
                              .events_path = (dir / "events.csv").string(),
                              .catalog_path = (dir / "catalog.jsonl").string()},
                             nullptr);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->num_users(), 3000);
  const ShillingReport r = DetectShilling(*data);
  EXPECT_LT(static_cast<double>(r.users.size()), 0.01 * data->num_users()) << r.users.size() << " of " << data->num_users();
}

}  // namespace
}  // namespace recd
