#include "train/version_publisher.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/bundle_versions.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

class VersionPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    base_ = fs::path(::testing::TempDir()) / (std::string("recd_version_publisher_") +
                                              info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(base_);
    root_ = base_ / "root";
  }
  void TearDown() override { fs::remove_all(base_); }

  // Stages a "bundle" holding one file whose content tells versions apart.
  std::string Stage(const std::string& content) {
    auto staging = CreateStagingDir(root_.string());
    EXPECT_TRUE(staging.ok()) << staging.status();
    std::ofstream(fs::path(*staging) / "items.txt") << content;
    return *staging;
  }

  std::vector<int64_t> Versions() {
    std::vector<int64_t> out;
    auto versions = ListBundleVersions(root_.string());
    EXPECT_TRUE(versions.ok()) << versions.status();
    for (const auto& v : *versions) out.push_back(v.number);
    return out;
  }

  std::string Content(int64_t version) {
    std::ifstream in(root_ / std::to_string(version) / "items.txt");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path base_, root_;
};

TEST_F(VersionPublisherTest, StagingDirIsHiddenInsideTheRootAndNamedForTheNextVersion) {
  const std::string staging = Stage("a");
  EXPECT_EQ(fs::path(staging).parent_path(), root_);
  EXPECT_THAT(fs::path(staging).filename().string(), StartsWith(".tmp-1-"));
  EXPECT_TRUE(ListBundleVersions(root_.string())->empty());
}

TEST_F(VersionPublisherTest, PublishesConsecutiveVersionsAndConsumesTheStagingDir) {
  const std::string first = Stage("a");
  auto v1 = PublishStagedVersion(root_.string(), first);
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(*v1, 1);
  EXPECT_FALSE(fs::exists(first));
  auto v2 = PublishStagedVersion(root_.string(), Stage("b"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, 2);
  EXPECT_THAT(Versions(), ElementsAre(1, 2));
  EXPECT_EQ(Content(1), "a");
  EXPECT_EQ(Content(2), "b");
}

TEST_F(VersionPublisherTest, NumberTakenMeanwhileMovesToTheNextOneWithoutTouchingIt) {
  ASSERT_TRUE(PublishStagedVersion(root_.string(), Stage("a")).ok());
  const std::string mine = Stage("mine");  // expects to become 2
  // Another publisher wins 2 while this one is still writing.
  ASSERT_TRUE(PublishStagedVersion(root_.string(), Stage("theirs")).ok());
  auto v = PublishStagedVersion(root_.string(), mine);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 3);
  EXPECT_EQ(Content(2), "theirs");
  EXPECT_EQ(Content(3), "mine");
}

TEST_F(VersionPublisherTest, AnExistingDirectoryIsNeverReplaced) {
  ASSERT_TRUE(PublishStagedVersion(root_.string(), Stage("a")).ok());
  // A non-numbered sibling must not count, and an empty dir someone made by
  // hand at the next number is not replaced: the publish moves past it.
  const std::string staging = Stage("b");
  fs::create_directory(root_ / "2");
  auto v = PublishStagedVersion(root_.string(), staging);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 3);
  EXPECT_TRUE(fs::is_empty(root_ / "2"));
}

TEST_F(VersionPublisherTest, PruneKeepsTheNewestAndLeavesStagingDirsAlone) {
  for (const char* c : {"a", "b", "c", "d"})
    ASSERT_TRUE(PublishStagedVersion(root_.string(), Stage(c)).ok());
  const std::string in_progress = Stage("e");
  ASSERT_TRUE(PruneVersions(root_.string(), 2).ok());
  EXPECT_THAT(Versions(), ElementsAre(3, 4));
  EXPECT_TRUE(fs::exists(in_progress));
  ASSERT_TRUE(PruneVersions(root_.string(), 1).ok());
  EXPECT_THAT(Versions(), ElementsAre(4));
  EXPECT_EQ(Content(4), "d");
  // Nothing named .tmp-prune-* is left behind.
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_THAT(e.path().filename().string(), ::testing::Not(StartsWith(".tmp-prune")));
  }
}

TEST_F(VersionPublisherTest, PruneKeepingFewerThanOneIsRefused) {
  ASSERT_TRUE(PublishStagedVersion(root_.string(), Stage("a")).ok());
  absl::Status s = PruneVersions(root_.string(), 0);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Versions(), ElementsAre(1));
}

TEST_F(VersionPublisherTest, MissingStagingDirIsAnErrorNamingIt) {
  fs::create_directories(root_);
  auto v = PublishStagedVersion(root_.string(), (root_ / ".tmp-9-1").string());
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr(".tmp-9-1"));
}

}  // namespace
}  // namespace recd
