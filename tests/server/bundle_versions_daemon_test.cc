// The daemon against a bundle root of numbered versions: new versions are
// picked up, a broken newest version is skipped, and rewriting the files of
// the version being served cannot crash it.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "spdlog/sinks/ringbuffer_sink.h"
#include "spdlog/spdlog.h"
#include "test_util/bundle_edit.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

class BundleVersionsDaemonTest : public DaemonTest {
 protected:
  // Publishes a copy of `version_dir` as `root/<number>` the way recd-train
  // does: complete in a staging dir first, then one rename.
  static void Publish(const fs::path& version_dir, const fs::path& root, int number) {
    const fs::path staging = root / (".tmp-" + std::to_string(number) + "-test");
    fs::create_directories(root);
    fs::copy(version_dir, staging, fs::copy_options::recursive);
    fs::rename(staging, root / std::to_string(number));
  }

  std::string StatusBundleVersion() {
    grpc::ClientContext ctx;
    v1::GetStatusResponse resp;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &resp).ok());
    return resp.bundle_version();
  }

  fs::path Root() const { return test_dir_ / "root"; }
};

TEST_F(BundleVersionsDaemonTest, NewVersionIsPickedUpOnReload) {
  Publish(world->bundle_a / "1", Root(), 1);
  WriteConfig(Root(), "");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  EXPECT_THAT(reload.bundle_version(), StartsWith("1"));
  const auto before = RecommendOk("u5", 10);

  // bundle_b has other models and fusion weights, so answers change too.
  Publish(world->bundle_b / "2", Root(), 2);
  grpc::Status s = Reload(&reload);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(reload.bundle_version(), StartsWith("2"));
  EXPECT_THAT(StatusBundleVersion(), StartsWith("2"));
  EXPECT_NE(Ids(RecommendOk("u5", 10)), Ids(before));
}

TEST_F(BundleVersionsDaemonTest, WatcherNoticesANewVersionDirectory) {
  Publish(world->bundle_a / "1", Root(), 1);
  WriteConfig(Root(), "");
  server_.reset();
  StartServer(/*watch_files=*/true);
  EXPECT_THAT(StatusBundleVersion(), StartsWith("1"));
  Publish(world->bundle_b / "2", Root(), 2);
  // The watcher looks once a second; allow for a slow, shared machine.
  std::string version;
  for (int i = 0; i < 300 && !absl::StartsWith(version, "2"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    version = StatusBundleVersion();
  }
  EXPECT_THAT(version, StartsWith("2"));
}

TEST_F(BundleVersionsDaemonTest, RewritingTheServedVersionInPlaceDoesNotCrashTheDaemon) {
  Publish(world->bundle_a / "1", Root(), 1);
  WriteConfig(Root(), "");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  const auto before = RecommendOk("u21", 10);

  std::vector<fs::path> tensor_files;
  for (const auto& e : fs::recursive_directory_iterator(Root() / "1")) {
    if (e.path().filename() == ModelDir::kTensorFile) tensor_files.push_back(e.path());
  }
  ASSERT_EQ(tensor_files.size(), 6u);
  std::vector<std::string> original;
  for (const auto& f : tensor_files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    original.push_back(bytes.str());
  }

  RecommendLoad load(channel_, 3);
  // What an in-place export does: truncate, then write, the files a running
  // daemon loaded. With the tensors mmapped, the next request touching a
  // truncated page died of SIGBUS.
  for (int round = 0; round < 5; ++round) {
    for (size_t i = 0; i < tensor_files.size(); ++i) {
      fs::resize_file(tensor_files[i], 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::ofstream(tensor_files[i], std::ios::binary | std::ios::trunc)
          << original[i].substr(0, original[i].size() / 2);
    }
    EXPECT_TRUE(Reload(&reload).ok());  // the served version is not re-read
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (size_t i = 0; i < tensor_files.size(); ++i) {
    std::ofstream(tensor_files[i], std::ios::binary | std::ios::trunc) << original[i];
  }
  load.Stop();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_GT(load.ok(), 0);
  EXPECT_EQ(Ids(RecommendOk("u21", 10)), Ids(before));
}

TEST_F(BundleVersionsDaemonTest, BrokenNewestVersionIsSkippedAndThePreviousKeepsServing) {
  Publish(world->bundle_a / "1", Root(), 1);
  WriteConfig(Root(), "");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  const auto before = RecommendOk("u34", 10);

  const fs::path staging = Root() / ".tmp-2-test";
  fs::copy(world->bundle_b / "2", staging, fs::copy_options::recursive);
  ASSERT_TRUE(WriteNanIntoTensor(staging / "pop", "scores").ok());
  auto log = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  spdlog::default_logger()->sinks().push_back(log);
  fs::rename(staging, Root() / "2");

  grpc::Status s = Reload(&reload);
  spdlog::default_logger()->sinks().pop_back();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(reload.bundle_version(), StartsWith("1"));
  EXPECT_EQ(Ids(RecommendOk("u34", 10)), Ids(before));
  std::string logged;
  for (const auto& line : log->last_formatted()) logged += line;
  EXPECT_THAT(logged, HasSubstr((Root() / "2").string()));
  EXPECT_THAT(logged, HasSubstr("non-finite"));
  EXPECT_THAT(logged, HasSubstr("'scores'"));
}

TEST_F(BundleVersionsDaemonTest, RootHoldingABundleDirectlyIsRejectedWithTheFix) {
  const fs::path flat = test_dir_ / "flat";
  fs::copy(world->bundle_a / "1", flat, fs::copy_options::recursive);
  WriteConfig(flat, "");
  v1::ReloadConfigResponse reload;
  grpc::Status s = Reload(&reload);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr(flat.string() + ": holds a bundle directly"));
  EXPECT_THAT(s.error_message(), HasSubstr("move it to " + flat.string() + "/1"));
}

}  // namespace
}  // namespace recd
