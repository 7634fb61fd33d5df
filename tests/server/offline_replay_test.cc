#include "server/offline_replay.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ranking/experiment_bucket.h"
#include "test_util/bundle_edit.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

// A config, a seed log and a catalog-free store on the demo bundle, in a
// directory of the test's own.
class OfflineReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("recd_offline_replay_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Write("head.csv",
          "user_id,item_id,event,timestamp\nu1,i1,view,100\nu1,i2,view,110\nu2,i3,view,120\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string Config(const std::string& extra) {
    return Write("recd.yaml",
                 absl::StrCat("models: {path: ", DemoBundleRoot().string(), "}\n", extra));
  }

  std::filesystem::path dir_;
};

TEST_F(OfflineReplayTest, NoHistoryBeforeTheLogIsAnErrorNamingTheConfig) {
  OfflineReplayOptions options;
  options.config_path = Config("");
  auto result = ReplayOffline({{"u1", "i3", EventType::kView, 200}}, options);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr(options.config_path));
  EXPECT_THAT(result.status().message(), HasSubstr("store.seed_events"));
}

TEST_F(OfflineReplayTest, UsersGetTheArmsOfTheConfigsExperiment) {
  OfflineReplayOptions options;
  options.config_path = Config(
      "store: {seed_events: head.csv}\n"
      "experiments: {salt: s1, arms: [{name: control, share: 0.5}, "
      "{name: cooccur, share: 0.5, fusion: {weights: {knn: 1.0, markov: 1.0}}}]}\n");
  std::vector<ReplayEvent> log;
  for (int u = 0; u < 20; ++u) log.push_back({absl::StrCat("u", u), "i5", EventType::kView, 200});
  auto result = ReplayOffline(log, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcomes.size(), log.size());
  for (size_t n = 0; n < log.size(); ++n) {
    EXPECT_TRUE(result->outcomes[n].answered);
    EXPECT_EQ(result->outcomes[n].arm,
              ExperimentBucket("s1", log[n].user) < 5000 ? "control" : "cooccur");
  }
  EXPECT_EQ(result->all.asked, 20);
}

TEST_F(OfflineReplayTest, WithoutExperimentsOneUnnamedArm) {
  OfflineReplayOptions options;
  options.config_path = Config("");
  options.events_path = (dir_ / "head.csv").string();
  auto result = ReplayOffline({{"u1", "i3", EventType::kView, 200}}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->arms.size(), 1u);
  EXPECT_EQ(result->arms.begin()->first, "");
}

}  // namespace
}  // namespace recd
