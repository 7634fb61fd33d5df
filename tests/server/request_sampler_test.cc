#include "server/request_sampler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<RequestSampler> Make(RequestSampler::Options o) {
  auto sampler = RequestSampler::Create(o);
  EXPECT_TRUE(sampler.ok()) << sampler.status();
  return sampler.ok() ? *std::move(sampler) : nullptr;
}

// How often each user is drawn in `draws` calls, generators seeded per call
// as recd-bench seeds them.
std::vector<int64_t> Counts(const RequestSampler& sampler, int draws) {
  std::vector<int64_t> counts(sampler.options().num_users);
  for (int n = 0; n < draws; ++n) {
    std::mt19937_64 rng(sampler.options().seed * 0x9E3779B97F4A7C15ULL + n);
    ++counts[sampler.DrawUser(rng)];
  }
  return counts;
}

double Harmonic(size_t n, double s) {
  double h = 0;
  for (size_t r = 1; r <= n; ++r) h += std::pow(static_cast<double>(r), -s);
  return h;
}

TEST(RequestSamplerTest, ZipfRankSharesFollowTheLaw) {
  constexpr size_t kUsers = 1000;
  constexpr int kDraws = 400000;
  constexpr double kS = 1.1;
  auto sampler = Make({.num_users = kUsers, .zipf_s = kS, .seed = 7});
  const std::vector<int64_t> counts = Counts(*sampler, kDraws);
  const double h = Harmonic(kUsers, kS);
  for (size_t rank : {0, 1, 9, 99}) {
    const double expected = std::pow(static_cast<double>(rank + 1), -kS) / h;
    const double share = static_cast<double>(counts[sampler->UserOfRank(rank)]) / kDraws;
    // Binomial standard deviation; 5 of them is far beyond chance.
    const double sd = std::sqrt(expected * (1 - expected) / kDraws);
    EXPECT_NEAR(share, expected, 5 * sd) << "rank " << rank + 1;
  }
}

TEST(RequestSamplerTest, ZipfPopularUsersAreAShuffleNotTheFirstLines) {
  constexpr size_t kUsers = 1000;
  auto sampler = Make({.num_users = kUsers, .zipf_s = 1.1, .seed = 3});
  std::set<size_t> top;
  for (size_t r = 0; r < 10; ++r) top.insert(sampler->UserOfRank(r));
  EXPECT_EQ(top.size(), 10u);
  // Ten of 1,000 users; all ten among the first 100 lines by chance: ~1e-10.
  EXPECT_GE(*top.rbegin(), 100u);
  std::vector<size_t> all;
  for (size_t r = 0; r < kUsers; ++r) all.push_back(sampler->UserOfRank(r));
  std::sort(all.begin(), all.end());
  for (size_t u = 0; u < kUsers; ++u) ASSERT_EQ(all[u], u) << "not a permutation";
}

TEST(RequestSamplerTest, SameSeedSameDrawsOtherSeedOtherPopularUsers) {
  const RequestSampler::Options o{.num_users = 500, .zipf_s = 1.1, .seed = 11};
  auto a = Make(o);
  auto b = Make(o);
  EXPECT_EQ(Counts(*a, 5000), Counts(*b, 5000));
  RequestSampler::Options other = o;
  other.seed = 12;
  auto c = Make(other);
  std::vector<size_t> top_a, top_c;
  for (size_t r = 0; r < 5; ++r) {
    top_a.push_back(a->UserOfRank(r));
    top_c.push_back(c->UserOfRank(r));
  }
  EXPECT_NE(top_a, top_c);
}

TEST(RequestSamplerTest, UniformIsTheDrawRecdBenchAlwaysMade) {
  constexpr size_t kUsers = 3000;
  auto sampler = Make({.num_users = kUsers, .seed = 1});
  for (uint64_t n = 0; n < 1000; ++n) {
    std::mt19937_64 rng(0x9E3779B97F4A7C15ULL + n), before(0x9E3779B97F4A7C15ULL + n);
    ASSERT_EQ(sampler->DrawUser(rng), before() % kUsers) << "call " << n;
  }
  EXPECT_EQ(sampler->UserOfRank(42), 42u);
}

TEST(RequestSamplerTest, UniformSharesAreFlat) {
  constexpr int kDraws = 200000;
  auto sampler = Make({.num_users = 100, .seed = 5});
  const std::vector<int64_t> counts = Counts(*sampler, kDraws);
  const double expected = kDraws / 100.0;
  const double sd = std::sqrt(expected * 0.99);
  for (int64_t c : counts) EXPECT_NEAR(static_cast<double>(c), expected, 5 * sd);
}

std::vector<size_t> Window(RequestSampler& sampler, size_t user) {
  const uint64_t step = sampler.NextStep(user);
  std::vector<size_t> items;
  for (int i = 0; i < sampler.options().session_items; ++i)
    items.push_back(sampler.SessionItem(user, step + i));
  return items;
}

TEST(RequestSamplerTest, SessionWindowsHaveNItemsAndMoveOneItemPerRequest) {
  constexpr int kN = 3;
  auto sampler = Make({.num_users = 10, .num_items = 100000, .session_items = kN, .seed = 2});
  std::vector<size_t> previous = Window(*sampler, 4);
  ASSERT_EQ(previous.size(), static_cast<size_t>(kN));
  for (int request = 0; request < 20; ++request) {
    const std::vector<size_t> next = Window(*sampler, 4);
    ASSERT_EQ(next.size(), static_cast<size_t>(kN));
    // Drops the oldest, keeps the rest in order, adds one at the end.
    EXPECT_TRUE(std::equal(previous.begin() + 1, previous.end(), next.begin()))
        << "request " << request;
    for (size_t item : next) EXPECT_LT(item, 100000u);
    previous = next;
  }
}

TEST(RequestSamplerTest, SessionsBelongToTheirUser) {
  auto sampler = Make({.num_users = 10, .num_items = 100000, .session_items = 4, .seed = 2});
  const std::vector<size_t> first_of_3 = Window(*sampler, 3);
  Window(*sampler, 5);  // another user's request does not move user 3's session
  Window(*sampler, 5);
  const std::vector<size_t> second_of_3 = Window(*sampler, 3);
  EXPECT_TRUE(std::equal(first_of_3.begin() + 1, first_of_3.end(), second_of_3.begin()));
  auto again = Make({.num_users = 10, .num_items = 100000, .session_items = 4, .seed = 2});
  EXPECT_EQ(Window(*again, 3), first_of_3);  // deterministic for the seed
}

TEST(RequestSamplerTest, NegativeZipfExponentNamesTheFlag) {
  auto sampler = RequestSampler::Create({.num_users = 10, .zipf_s = -1});
  ASSERT_FALSE(sampler.ok());
  EXPECT_EQ(sampler.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sampler.status().message(), HasSubstr("--users-zipf"));
  EXPECT_FALSE(RequestSampler::Create({.num_users = 10, .zipf_s = std::nan("")}).ok());
}

TEST(RequestSamplerTest, SessionItemsBeyondTheRequestLimitNameTheFlag) {
  const int limit = RequestSampler::MaxSessionItems();
  EXPECT_EQ(limit, 1000);  // server.max_ids_per_request's default
  EXPECT_TRUE(
      RequestSampler::Create({.num_users = 1, .num_items = 5, .session_items = limit}).ok());
  for (int bad : {limit + 1, -1}) {
    auto sampler = RequestSampler::Create({.num_users = 1, .num_items = 5, .session_items = bad});
    ASSERT_FALSE(sampler.ok()) << bad;
    EXPECT_THAT(sampler.status().message(), HasSubstr("--session-items"));
    EXPECT_THAT(sampler.status().message(), HasSubstr("0..1000"));
  }
}

TEST(RequestSamplerTest, SessionItemsWithoutItemIdsNameTheFlag) {
  auto sampler = RequestSampler::Create({.num_users = 1, .session_items = 3});
  ASSERT_FALSE(sampler.ok());
  EXPECT_THAT(sampler.status().message(), HasSubstr("--session-items"));
  EXPECT_THAT(sampler.status().message(), HasSubstr("--items-file"));
}

TEST(RequestSamplerTest, DescribeSaysWhichDistribution) {
  EXPECT_EQ(Make({.num_users = 3000})->Describe(), "users uniform over 3000, no session items");
  EXPECT_THAT(
      Make({.num_users = 50000, .num_items = 2000, .zipf_s = 1.1, .session_items = 3})->Describe(),
      HasSubstr("users zipf s=1.1 over 50000"));
  EXPECT_THAT(
      Make({.num_users = 50000, .num_items = 2000, .zipf_s = 1.1, .session_items = 3})->Describe(),
      HasSubstr("3 session items per request from 2000 item ids"));
}

}  // namespace
}  // namespace recd
