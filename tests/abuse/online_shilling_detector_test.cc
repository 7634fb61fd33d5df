#include "abuse/online_shilling_detector.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Signal = OnlineShillingDetector::Signal;

constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1'700'000'000;
const absl::Time kNow = absl::FromUnixSeconds(kStart);

// Users whose stored history began long ago (regular customers).
std::optional<int64_t> OldAccount(const std::string&) { return kStart - 365 * kDay; }
// Users the store has never seen.
std::optional<int64_t> NoHistory(const std::string&) { return std::nullopt; }

UserEvents Views(const std::string& user, const std::vector<std::string>& items, int64_t time, int64_t gap = 0) {
  UserEvents u{user, {}, ""};
  for (size_t k = 0; k < items.size(); ++k) {
    u.events.push_back({items[k], EventType::kView, time + static_cast<int64_t>(k) * gap});
  }
  return u;
}

// One call of RecordEvents for `user`, with the arrival time following the events.
void Record(OnlineShillingDetector& d, const UserEvents& u, bool new_account = false,
            const ShillingOptions& o = {}) {
  const std::vector<UserEvents> batch = {u};
  d.Observe(batch, o, new_account ? &NoHistory : &OldAccount,
            absl::FromUnixSeconds(u.events.empty() ? kStart : u.events.back().timestamp));
}

std::vector<std::string> Users(const OnlineShillingDetector& d) {
  std::vector<std::string> ids;
  for (const auto& u : d.Summarize(1000).first_users) ids.push_back(u.user_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(OnlineShillingDetectorTest, OrdinaryShoppersAreNeverQuarantined) {
  OnlineShillingDetector d;
  // 300 shoppers, three events a minute each for two hours, over 200
  // items, some of them new accounts.
  for (int minute = 0; minute < 120; ++minute) {
    for (int u = 0; u < 300; ++u) {
      const int64_t t = kStart + minute * 60 + u % 60;
      const std::string a = "i" + std::to_string((u + minute) % 200);
      const std::string b = "i" + std::to_string((u * 7 + minute) % 200);
      Record(d, Views("u" + std::to_string(u), {a, b, a}, t, 15), /*new_account=*/u % 10 == 0);
    }
  }
  const auto s = d.Summarize(100);
  EXPECT_EQ(s.users, 0);
  EXPECT_EQ(s.targeted_items, 0);
}

TEST(OnlineShillingDetectorTest, BurstFasterThanAPersonIsQuarantined) {
  OnlineShillingDetector d;
  for (int k = 0; k < 30; ++k) Record(d, Views("bot", {"i" + std::to_string(k)}, kStart + 2 * k));   // 58 s
  for (int k = 0; k < 29; ++k) Record(d, Views("fast", {"i" + std::to_string(k)}, kStart + 2 * k));  // one short
  for (int k = 0; k < 30; ++k) Record(d, Views("slow", {"i" + std::to_string(k)}, kStart + 3 * k));  // 87 s
  EXPECT_THAT(Users(d), ElementsAre("bot"));
  const auto s = d.Summarize(100);
  EXPECT_EQ(s.by_signal[static_cast<size_t>(Signal::kBurst)], 1);
  ASSERT_EQ(s.first_users.size(), 1u);
  EXPECT_EQ(s.first_users[0].signal, Signal::kBurst);
  EXPECT_EQ(s.first_users[0].since, kStart + 58);  // the 30th event found it
}

TEST(OnlineShillingDetectorTest, BurstInOneCallIsQuarantined) {
  OnlineShillingDetector d;
  std::vector<std::string> items;
  for (int k = 0; k < 30; ++k) items.push_back("i" + std::to_string(k));
  Record(d, Views("bot", items, kStart));  // 30 events, one timestamp
  EXPECT_THAT(Users(d), ElementsAre("bot"));
}

TEST(OnlineShillingDetectorTest, OneItemHammeredIsQuarantinedButALoyalShopperIsNot) {
  OnlineShillingDetector d;
  for (int k = 0; k < 30; ++k) Record(d, Views("bot", {"i7"}, kStart + k * 100));     // 30 in 2,900 s
  for (int k = 0; k < 60; ++k) Record(d, Views("loyal", {"i7"}, kStart + k * kDay));  // daily for 2 months
  EXPECT_THAT(Users(d), ElementsAre("bot"));
  const auto s = d.Summarize(100);
  EXPECT_EQ(s.by_signal[static_cast<size_t>(Signal::kHammer)], 1);
  EXPECT_EQ(s.first_users[0].item_id, "i7");
}

// The README benchmark's attack: fresh accounts, each viewing the target and
// a few popular items, within a day.
TEST(OnlineShillingDetectorTest, SwarmOfNewAccountsOnOneItemIsQuarantinedWithItsTarget) {
  OnlineShillingDetector d;
  for (int u = 0; u < 200; ++u) {  // regulars on the popular items
    Record(d, Views("real" + std::to_string(u), {"pop" + std::to_string(u % 3)}, kStart + u * 60));
  }
  for (int f = 0; f < 60; ++f) {
    Record(d, Views("fake" + std::to_string(f), {"target", "pop0", "pop1", "pop2"}, kStart + 13000 + f * 300, 5),
           /*new_account=*/true);
  }
  const auto s = d.Summarize(100);
  EXPECT_EQ(s.users, 60);
  EXPECT_EQ(s.by_signal[static_cast<size_t>(Signal::kSwarm)], 60);
  EXPECT_THAT(s.targeted_item_ids, ElementsAre("target"));  // the popular items have their real visitors
  for (const auto& u : s.first_users) EXPECT_EQ(u.user_id.rfind("fake", 0), 0u) << u.user_id;
}

TEST(OnlineShillingDetectorTest, FewerNewAccountsThanTheThresholdAreLeftAlone) {
  OnlineShillingDetector d;
  for (int f = 0; f < 49; ++f) Record(d, Views("fake" + std::to_string(f), {"target"}, kStart + f * 60), true);
  EXPECT_THAT(Users(d), IsEmpty());
  // New accounts spread over more than the window are not a swarm either.
  for (int f = 49; f < 120; ++f) Record(d, Views("fake" + std::to_string(f), {"later"}, kStart + f * kDay), true);
  EXPECT_THAT(Users(d), IsEmpty());
}

TEST(OnlineShillingDetectorTest, ATrendRealShoppersShareIsNotASwarm) {
  OnlineShillingDetector d;
  for (int u = 0; u < 100; ++u) Record(d, Views("real" + std::to_string(u), {"trend"}, kStart + u * 60));
  for (int f = 0; f < 60; ++f) Record(d, Views("new" + std::to_string(f), {"trend"}, kStart + 7000 + f * 60), true);
  EXPECT_THAT(Users(d), IsEmpty());  // 60 of 160 visitors: under half
}

TEST(OnlineShillingDetectorTest, ReleasedUserIsNotQuarantinedAgainForThePastEvents) {
  OnlineShillingDetector d;
  for (int k = 0; k < 30; ++k) Record(d, Views("bot", {"i7"}, kStart + k));
  ASSERT_TRUE(d.IsQuarantined("bot"));
  EXPECT_TRUE(d.Release("bot"));
  EXPECT_FALSE(d.IsQuarantined("bot"));
  EXPECT_FALSE(d.Release("bot"));
  // One more event: with the counts reset it is one event, not 31.
  Record(d, Views("bot", {"i7"}, kStart + 31));
  EXPECT_FALSE(d.IsQuarantined("bot"));
  EXPECT_EQ(d.Summarize(10).users, 0);
  // A new burst is a new find.
  for (int k = 0; k < 30; ++k) Record(d, Views("bot", {"j" + std::to_string(k)}, kStart + 100 + k));
  EXPECT_TRUE(d.IsQuarantined("bot"));
}

TEST(OnlineShillingDetectorTest, ReleasedSwarmAccountIsVouchedFor) {
  OnlineShillingDetector d;
  for (int f = 0; f < 60; ++f) Record(d, Views("fake" + std::to_string(f), {"target"}, kStart + f * 60), true);
  ASSERT_TRUE(d.IsQuarantined("fake0"));
  ASSERT_TRUE(d.Release("fake0"));
  Record(d, Views("fake0", {"target"}, kStart + 4000), true);  // the target is still swarmed
  EXPECT_FALSE(d.IsQuarantined("fake0"));
  EXPECT_EQ(d.Summarize(10).users, 59);
}

TEST(OnlineShillingDetectorTest, TrackedUsersItemsAndPairsStayWithinTheirCaps) {
  OnlineShillingDetector::Options caps;
  caps.max_users = 1000;
  caps.max_items = 500;
  caps.max_pairs = 2000;
  caps.max_quarantined = 100;
  OnlineShillingDetector d(caps);
  // Everyone active at once (nothing idle), and many bots.
  for (int u = 0; u < 20000; ++u) {
    const std::string user = "u" + std::to_string(u);
    Record(d, Views(user, {"i" + std::to_string(u % 3000), "i" + std::to_string((u * 13) % 3000)}, kStart + u % 30));
    EXPECT_LE(d.tracked_users(), caps.max_users);
    EXPECT_LE(d.tracked_items(), caps.max_items);
    EXPECT_LE(d.tracked_pairs(), caps.max_pairs);
  }
  for (int b = 0; b < 300; ++b) {
    std::vector<std::string> items(30, "x" + std::to_string(b));
    Record(d, Views("bot" + std::to_string(b), items, kStart));
  }
  const auto s = d.Summarize(1000);
  EXPECT_EQ(s.users, 100);
  EXPECT_GT(s.unrecorded_users, 0);
  EXPECT_LE(d.tracked_users(), caps.max_users);
  EXPECT_LE(d.tracked_pairs(), caps.max_pairs);
}

TEST(OnlineShillingDetectorTest, IdleEntriesGoFirstAtTheCap) {
  OnlineShillingDetector::Options caps;
  caps.max_users = 100;
  OnlineShillingDetector d(caps);
  for (int u = 0; u < 99; ++u) Record(d, Views("old" + std::to_string(u), {"i1"}, kStart));
  // Two days later the old users are idle: the newcomers replace them, and
  // a user tracked now keeps their counts.
  const int64_t later = kStart + 2 * kDay;
  for (int k = 0; k < 20; ++k) Record(d, Views("active", {"a" + std::to_string(k)}, later + k));
  for (int u = 0; u < 90; ++u) Record(d, Views("new" + std::to_string(u), {"i2"}, later + 20));
  for (int k = 20; k < 30; ++k) Record(d, Views("active", {"a" + std::to_string(k)}, later + 20));
  EXPECT_LE(d.tracked_users(), 100u);
  EXPECT_TRUE(d.IsQuarantined("active"));
}

TEST(OnlineShillingDetectorTest, ListPagesThroughUsersByIdAndSummaryListsTheFirstFound) {
  OnlineShillingDetector d;
  for (const std::string user : {"c", "a", "b"}) {
    std::vector<std::string> items(30, "i");
    Record(d, Views(user, items, kStart + (user == "c" ? 0 : 10)));
  }
  bool more = false;
  auto page = d.List("", 2, &more);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].user_id, "a");
  EXPECT_EQ(page[1].user_id, "b");
  EXPECT_TRUE(more);
  page = d.List("b", 2, &more);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].user_id, "c");
  EXPECT_FALSE(more);
  const auto s = d.Summarize(1);
  ASSERT_EQ(s.first_users.size(), 1u);
  EXPECT_EQ(s.first_users[0].user_id, "c");  // found first
  EXPECT_EQ(s.users, 3);
}

}  // namespace
}  // namespace recd
