// A/B arms of fusion profiles in a real daemon: each user in one arm, the
// same one after a restart, answers ranked with that arm's weights.

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "server/experiments.h"
#include "server/replay_runner.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

const std::map<std::string, std::map<std::string, double>> kArmWeights = {
    {"cooccur", {{"knn", 1.0}, {"markov", 1.0}}},
    {"mf_heavy", {{"mf", 3.0}, {"knn", 1.0}, {"pop", 0.5}}}};

class ExperimentsDaemonTest : public DaemonTest {
 protected:
  ExperimentsDaemonTest() {
    config_extra_ =
        "experiments:\n"
        "  salt: test-1\n"
        "  arms:\n"
        "    - {name: cooccur, share: 0.5, fusion: {weights: {knn: 1.0, markov: 1.0}}}\n"
        "    - {name: mf_heavy, share: 0.5, fusion: {weights: {mf: 3.0, knn: 1.0, pop: 0.5}}}\n";
  }
};

TEST_F(ExperimentsDaemonTest, EachUserGetsOneArmRankedWithItsWeights) {
  std::map<std::string, std::string> arm_of;
  std::map<std::string, int> users_per_arm;
  for (int u = 0; u < 60; ++u) {
    const std::string user = "u" + std::to_string(u);
    const v1::RecommendResponse resp = RecommendOk(user, 5, /*explain=*/true);
    const std::string& arm = resp.experiment_arm();
    ASSERT_TRUE(kArmWeights.count(arm)) << user << " in '" << arm << "'";
    EXPECT_EQ(arm, ExperimentBucket("test-1", user) < 5000 ? "cooccur" : "mf_heavy") << user;
    arm_of[user] = arm;
    ++users_per_arm[arm];
    for (const auto& item : resp.items()) {
      double sum = 0;
      for (const auto& c : item.explanation().contributions()) {
        const auto& weights = kArmWeights.at(arm);
        const auto w = weights.find(c.model());
        EXPECT_NEAR(c.weight(), w == weights.end() ? 0.0 : w->second, 1e-6) << user << " " << c.model();
        sum += c.contribution();
      }
      EXPECT_NEAR(sum, item.score(), 1e-3 * std::max(1.0, std::abs(sum))) << user;
    }
  }
  EXPECT_GT(users_per_arm["cooccur"], 0);
  EXPECT_GT(users_per_arm["mf_heavy"], 0);

  v1::GetStatusResponse status;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  EXPECT_EQ(status.experiment_arms().at("cooccur"), users_per_arm["cooccur"]);
  EXPECT_EQ(status.experiment_arms().at("mf_heavy"), users_per_arm["mf_heavy"]);

  server_.reset();
  StartServer();
  for (const auto& [user, arm] : arm_of) EXPECT_EQ(RecommendOk(user, 5).experiment_arm(), arm) << user;
}

// An arm on the second profile recd-train shipped in the bundle
// (fusion.rank.yaml): its answers are explained with that file's weights.
TEST_F(ExperimentsDaemonTest, AnArmRanksWithAProfileTheBundleShips) {
  auto shipped = FusionConfig::LoadFile((world->bundle_a / "1" / BundleFusionProfileFile("rank")).string());
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  WriteConfig(world->bundle_a,
              "experiments: {salt: s, arms: [{name: served, share: 0.5}, {name: ranked, share: 0.5, "
              "bundle_fusion: rank}]}\n");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  int checked = 0;
  for (int u = 0; u < 40 && checked < 5; ++u) {
    const v1::RecommendResponse resp = RecommendOk("u" + std::to_string(u), 5, /*explain=*/true);
    if (resp.experiment_arm() != "ranked") continue;
    ++checked;
    for (const auto& item : resp.items()) {
      for (const auto& c : item.explanation().contributions()) {
        const auto w = shipped->weights.find(c.model());
        EXPECT_NEAR(c.weight(), w == shipped->weights.end() ? 0.0 : w->second, 1e-6) << c.model();
      }
    }
  }
  EXPECT_EQ(checked, 5);

  WriteConfig(world->bundle_a,
              "experiments: {salt: s, arms: [{name: a, share: 0.5}, {name: b, share: 0.5, bundle_fusion: nosuch}]}\n");
  grpc::Status s = Reload(&reload);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("experiments.arms[1].bundle_fusion"));
  EXPECT_EQ(RecommendOk("u1", 5).experiment_arm().empty(), false);  // the running arms kept
}

// An arm on another bundle version (the canary of a new bundle): its users
// are ranked by that bundle with its own tuned profile, the others by the
// served one, and each user's cached states stay with their arm's bundle.
TEST_F(ExperimentsDaemonTest, AnArmRanksWithABundleVersionOfItsOwn) {
  const std::filesystem::path root = test_dir_ / "versions";
  std::filesystem::create_directories(root);
  std::filesystem::copy(world->bundle_a / "1", root / "1", std::filesystem::copy_options::recursive);
  std::filesystem::copy(world->bundle_b / "2", root / "2", std::filesystem::copy_options::recursive);
  auto fusion_b = FusionConfig::LoadFile((root / "2" / "fusion.yaml").string());
  ASSERT_TRUE(fusion_b.ok()) << fusion_b.status();
  WriteConfig(root, "experiments: {salt: s, arms: [{name: v1, share: 0.5}, {name: v2, share: 0.5, bundle_version: 2}]}\n",
              ", serve_version: 1");
  v1::ReloadConfigResponse reload;
  grpc::Status s = Reload(&reload);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::map<std::string, int> per_arm;
  std::string v2_user;
  for (int u = 0; u < 40; ++u) {
    const std::string user = "u" + std::to_string(u);
    const v1::RecommendResponse resp = RecommendOk(user, 5, /*explain=*/true);
    ++per_arm[resp.experiment_arm()];
    const bool v2 = resp.experiment_arm() == "v2";
    EXPECT_EQ(resp.model_versions().count("mf"), v2 ? 0u : 1u) << user << " in " << resp.experiment_arm();
    if (!v2) continue;
    v2_user = user;
    for (const auto& item : resp.items()) {
      for (const auto& c : item.explanation().contributions()) {
        const auto w = fusion_b->weights.find(c.model());
        EXPECT_NEAR(c.weight(), w == fusion_b->weights.end() ? 0.0 : w->second, 1e-6) << c.model();
      }
    }
  }
  EXPECT_GT(per_arm["v1"], 0);
  ASSERT_GT(per_arm["v2"], 0);
  // A v2 user's event refreshes their states with v2's bundle: the next
  // answer leaves the item out and still comes from v2.
  const std::string taken = RecommendOk(v2_user, 5).items(0).item_id();
  ASSERT_TRUE(Record(v2_user, taken, v1::PURCHASE).ok());
  absl::SleepFor(absl::Milliseconds(200));
  const v1::RecommendResponse after = RecommendOk(v2_user, 5);
  EXPECT_EQ(after.experiment_arm(), "v2");
  EXPECT_EQ(after.model_versions().count("mf"), 0u);
  for (const auto& item : after.items()) EXPECT_NE(item.item_id(), taken);

  WriteConfig(root, "experiments: {salt: s, arms: [{name: v1, share: 0.5}, {name: v9, share: 0.5, bundle_version: 9}]}\n",
              ", serve_version: 1");
  s = Reload(&reload);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("experiments.arms[1].bundle_version"));
}

TEST_F(ExperimentsDaemonTest, AnArmNamingAnUnknownModelIsRejectedOnReload) {
  WriteConfig(world->bundle_a,
              "experiments: {salt: s, arms: [{name: a, share: 0.5}, "
              "{name: b, share: 0.5, fusion: {weights: {nosuchmodel: 1.0}}}]}\n");
  v1::ReloadConfigResponse resp;
  grpc::Status s = Reload(&resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("experiments.arms[1]"));
  EXPECT_FALSE(RecommendOk("u1", 5).experiment_arm().empty());  // the running arms kept
}

// recd-bench --replay's engine against a daemon with two arms: each event
// is asked about before it is recorded, scored against the logged item and
// counted in its user's arm. Even users' logged item is the third of the
// answer they are about to get (a hit, NDCG 1/log2(4) = 0.5), odd users'
// one outside it; asking after recording would hide the item as seen.
TEST_F(ExperimentsDaemonTest, ReplayScoresEachArmAgainstTheLoggedItem) {
  std::map<std::string, int64_t> asked, hits;
  std::vector<ReplayEvent> events;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (int u = 0; u < 40; ++u) {
    const std::string user = "u" + std::to_string(u);
    const v1::RecommendResponse before = RecommendOk(user, 10);
    ASSERT_EQ(before.items_size(), 10) << user;
    const std::vector<std::string> ids = Ids(before);
    std::string item = ids[2];
    if (u % 2 == 1) {
      const std::set<std::string> shown(ids.begin(), ids.end());
      for (int i = 0; shown.count(item); ++i) item = world->data.items.Name(i);
    } else {
      ++hits[before.experiment_arm()];
    }
    ++asked[before.experiment_arm()];
    events.push_back({user, item, EventType::kView, now - 100 + u});
  }
  ReplayOptions options;
  options.target = "127.0.0.1:" + std::to_string(server_->port());
  options.qps = 400;
  options.workers = 4;
  options.call_timeout = absl::Seconds(10);
  auto result = RunReplay(events, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events, 40);
  EXPECT_EQ(result->all.asked, 40);
  EXPECT_EQ(result->recorded, 40);
  EXPECT_TRUE(result->ask_errors.empty());
  EXPECT_TRUE(result->record_errors.empty());
  ASSERT_EQ(result->arms.size(), 2u);
  for (const auto& [arm, quality] : result->arms) {
    EXPECT_EQ(quality.asked, asked[arm]) << arm;
    EXPECT_EQ(quality.hits, hits[arm]) << arm;
    EXPECT_NEAR(quality.ndcg(), 0.5 * static_cast<double>(hits[arm]) / static_cast<double>(asked[arm]), 1e-9)
        << arm;
  }
  EXPECT_EQ(result->all.hits, 20);
  EXPECT_THAT(result->ToText(10), ::testing::HasSubstr("mf_heavy"));

  // Recorded: the even users' logged item is now in their history, and a
  // view hides it from their next answer as the first one did not.
  int still_shown = 0;
  for (int u = 0; u < 40; u += 2) {
    const std::vector<std::string> ids = Ids(RecommendOk("u" + std::to_string(u), 10));
    still_shown += std::count(ids.begin(), ids.end(), events[u].item);
  }
  EXPECT_EQ(still_shown, 0);
}

}  // namespace
}  // namespace recd
