// Shadow rollouts in a real daemon: a candidate ranking beside the live
// answers, its agreement with them measured, then promoted or dropped.

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

class ShadowDaemonTest : public DaemonTest {
 protected:
  v1::GetStatusResponse Status() {
    v1::GetStatusResponse status;
    grpc::ClientContext ctx;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    return status;
  }

  // The shadow's figures once every sampled request has been ranked (or
  // skipped) by it.
  v1::ShadowStatus SettledShadow(int64_t sampled) {
    // Generous: the shadow runs only on idle CPU (SCHED_IDLE), and CI runs
    // other tests beside this one.
    const absl::Time give_up = absl::Now() + absl::Seconds(180);
    v1::ShadowStatus s;
    do {
      s = Status().shadow();
      if (s.sampled() >= sampled && s.ranked() + s.failed() + s.skipped() == s.sampled()) return s;
      absl::SleepFor(absl::Milliseconds(20));
    } while (absl::Now() < give_up);
    ADD_FAILURE() << "the shadow did not finish: " << s.ShortDebugString();
    return s;
  }

  grpc::Status Decide(const std::string& name, bool promote, v1::ShadowDecisionResponse* resp) {
    v1::ShadowDecisionRequest req;
    req.set_name(name);
    grpc::ClientContext ctx;
    return promote ? admin_->PromoteShadow(&ctx, req, resp) : admin_->DropShadow(&ctx, req, resp);
  }

  static std::string User(int u) { return "u" + std::to_string(u); }
};

// What the test computes itself, for comparison with what recd reports:
// |A n B| / k, and Kendall's tau over the shared items.
// (Both lists hold at most k.)
double Overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() && b.empty()) return 1.0;
  std::set<std::string> in_b(b.begin(), b.end());
  size_t shared = 0;
  for (const auto& x : a) shared += in_b.count(x);
  return static_cast<double>(shared) / static_cast<double>(std::max(a.size(), b.size()));
}

std::optional<double> Tau(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::pair<size_t, size_t>> shared;  // (rank in a, rank in b)
  for (size_t i = 0; i < a.size(); ++i) {
    auto it = std::find(b.begin(), b.end(), a[i]);
    if (it != b.end()) shared.emplace_back(i, static_cast<size_t>(it - b.begin()));
  }
  if (shared.size() < 2) return std::nullopt;
  double score = 0, pairs = 0;
  for (size_t i = 0; i < shared.size(); ++i) {
    for (size_t j = i + 1; j < shared.size(); ++j) {
      score += (shared[i].second < shared[j].second) ? 1 : -1;
      ++pairs;
    }
  }
  return score / pairs;
}

class IdenticalShadowDaemonTest : public ShadowDaemonTest {
 protected:
  IdenticalShadowDaemonTest() { config_extra_ = "shadow: {name: same, fraction: 1.0}\n"; }
};

TEST_F(IdenticalShadowDaemonTest, OverlapsTheLiveAnswersFully) {
  for (int u = 0; u < 40; ++u) RecommendOk(User(u), 10);
  const v1::ShadowStatus s = SettledShadow(40);
  EXPECT_EQ(s.name(), "same");
  EXPECT_EQ(s.measured_name(), "same");
  EXPECT_FALSE(s.own_bundle());
  EXPECT_EQ(s.sampled(), 40);
  EXPECT_EQ(s.ranked(), 40);
  EXPECT_EQ(s.skipped() + s.failed() + s.degraded(), 0);
  EXPECT_DOUBLE_EQ(s.overlap_at_k(), 1.0);
  EXPECT_EQ(s.correlated(), 40);
  EXPECT_DOUBLE_EQ(s.rank_correlation(), 1.0);
  EXPECT_GT(s.latency_p99_ms(), 0);
}

// Live answers ranked with the served profile, the shadow's with co-
// occurrence alone. Once promoted, the live answers for the same users are
// the shadow's lists (nothing was recorded in between), so the overlap the
// test computes from the two answers is what recd reported.
class CooccurShadowDaemonTest : public ShadowDaemonTest {
 protected:
  CooccurShadowDaemonTest() {
    config_extra_ = "shadow: {name: cooccur, fraction: 1.0, fusion: {weights: {knn: 1.0, markov: 1.0}}}\n";
  }
};

TEST_F(CooccurShadowDaemonTest, ReportedOverlapMatchesTheAnswersOfThePromotedShadow) {
  constexpr int kUsers = 60;
  std::map<int, std::vector<std::string>> live;
  for (int u = 0; u < kUsers; ++u) live[u] = Ids(RecommendOk(User(u), 10));
  const v1::ShadowStatus reported = SettledShadow(kUsers);
  ASSERT_EQ(reported.ranked(), kUsers);
  ASSERT_EQ(reported.degraded(), 0);

  v1::ShadowDecisionResponse decided;
  grpc::Status s = Decide("cooccur", /*promote=*/true, &decided);
  ASSERT_TRUE(s.ok()) << s.error_message();
  double overlap = 0, tau = 0;
  int correlated = 0;
  for (int u = 0; u < kUsers; ++u) {
    const v1::RecommendResponse now = RecommendOk(User(u), 10, /*explain=*/true);
    for (const auto& item : now.items()) {
      for (const auto& c : item.explanation().contributions()) {
        const bool cooccur = c.model() == "knn" || c.model() == "markov";
        EXPECT_NEAR(c.weight(), cooccur ? 1.0 : 0.0, 1e-9) << c.model();
      }
    }
    overlap += Overlap(live[u], Ids(now));
    if (auto t = Tau(live[u], Ids(now))) {
      tau += *t;
      ++correlated;
    }
  }
  EXPECT_LT(overlap / kUsers, 0.95) << "the profiles should rank differently";
  EXPECT_NEAR(reported.overlap_at_k(), overlap / kUsers, 1e-9);
  EXPECT_EQ(reported.correlated(), correlated);
  EXPECT_NEAR(reported.rank_correlation(), tau / correlated, 1e-9);

  // Promoted: it serves, shadows nothing, and a reload of the same config
  // keeps it so; a config naming another shadow starts afresh.
  v1::ShadowStatus after = Status().shadow();
  EXPECT_EQ(after.name(), "");
  EXPECT_EQ(after.promoted(), "cooccur");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  EXPECT_EQ(Status().shadow().promoted(), "cooccur");
  WriteConfig(world->bundle_a, "shadow: {name: cooccur-2, fraction: 1.0, fusion: {weights: {knn: 1.0, markov: 1.0}}}\n");
  ASSERT_TRUE(Reload(&reload).ok());
  after = Status().shadow();
  EXPECT_EQ(after.promoted(), "");
  EXPECT_EQ(after.name(), "cooccur-2");
  const v1::RecommendResponse served = RecommendOk(User(0), 10, /*explain=*/true);
  ASSERT_GT(served.items_size(), 0);
  bool mf_weighted = false;
  for (const auto& c : served.items(0).explanation().contributions()) mf_weighted |= c.model() == "mf" && c.weight() > 0;
  EXPECT_TRUE(mf_weighted) << "back to the served profile";
}

TEST_F(CooccurShadowDaemonTest, DroppedShadowRanksNothingMore) {
  for (int u = 0; u < 10; ++u) RecommendOk(User(u), 10);
  const int64_t sampled = SettledShadow(10).sampled();
  v1::ShadowDecisionResponse decided;
  grpc::Status s = Decide("nosuch", /*promote=*/false, &decided);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("'cooccur'"));
  s = Decide("cooccur", /*promote=*/false, &decided);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (int u = 0; u < 10; ++u) RecommendOk(User(u), 10);
  const v1::ShadowStatus after = Status().shadow();
  EXPECT_EQ(after.name(), "");
  EXPECT_EQ(after.dropped(), "cooccur");
  EXPECT_EQ(after.sampled(), sampled);
  s = Decide("cooccur", /*promote=*/true, &decided);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << "a dropped shadow cannot be promoted";
}

TEST_F(ShadowDaemonTest, ABadShadowIsRejectedAndTheRunningStateKept) {
  WriteConfig(world->bundle_a, "shadow: {name: next, bundle_version: 7}\n");
  v1::ReloadConfigResponse reload;
  grpc::Status s = Reload(&reload);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("shadow.bundle_version"));
  WriteConfig(world->bundle_a, "shadow: {name: next, fusion: {weights: {nosuchmodel: 1.0}}}\n");
  s = Reload(&reload);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("shadow (next)"));
  WriteConfig(world->bundle_a, "shadow: {name: 'no spaces', fraction: 2}\n");
  s = Reload(&reload);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("shadow.name"));
  EXPECT_EQ(Status().shadow().name(), "");
  RecommendOk(User(1), 5);
}

// The usual rollout: live pinned to version 1 (models.serve_version), the
// new version 2 published beside it runs as the shadow, then is promoted.
TEST_F(ShadowDaemonTest, ANewVersionRunsAsAShadowThenServes) {
  const std::filesystem::path root = test_dir_ / "versions";
  std::filesystem::create_directories(root);
  std::filesystem::copy(world->bundle_a / "1", root / "1", std::filesystem::copy_options::recursive);
  WriteConfig(root, "", ", serve_version: 1");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  std::filesystem::copy(world->bundle_b / "2", root / "2", std::filesystem::copy_options::recursive);
  WriteConfig(root, "shadow: {name: next, bundle_version: newest, fraction: 0.5}\n", ", serve_version: 1");
  grpc::Status s = Reload(&reload);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::GetStatusResponse status = Status();
  EXPECT_EQ(status.bundle_version_number(), 1);
  EXPECT_EQ(status.shadow().bundle_version_number(), 2);
  EXPECT_TRUE(status.shadow().own_bundle());

  for (int u = 0; u < 20; ++u) EXPECT_EQ(RecommendOk(User(u), 10).model_versions().count("mf"), 1u);
  const v1::ShadowStatus shadow = SettledShadow(10);
  EXPECT_EQ(shadow.sampled(), 10);  // half of the 20 answers
  EXPECT_EQ(shadow.ranked(), 10);
  EXPECT_GE(shadow.overlap_at_k(), 0.0);
  EXPECT_LT(shadow.overlap_at_k(), 1.0) << "another bundle ranks differently";

  v1::ShadowDecisionResponse decided;
  s = Decide("next", /*promote=*/true, &decided);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(decided.bundle_version_number(), 2);
  const v1::RecommendResponse served = RecommendOk(User(1), 10);
  EXPECT_EQ(served.model_versions().count("mf"), 0u) << "version 2 has no mf";
  EXPECT_EQ(served.model_versions().count("markov"), 1u);
  ASSERT_TRUE(Reload(&reload).ok());
  EXPECT_EQ(Status().bundle_version_number(), 2) << "a reload keeps the promotion";

  server_.reset();  // a restart forgets it: the config pins version 1
  StartServer();
  status = Status();
  EXPECT_EQ(status.bundle_version_number(), 1);
  EXPECT_EQ(status.shadow().name(), "next");
}

}  // namespace
}  // namespace recd
