// A/B arms of fusion profiles in a real daemon: each user in one arm, the
// same one after a restart, answers ranked with that arm's weights.

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/experiments.h"
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

}  // namespace
}  // namespace recd
