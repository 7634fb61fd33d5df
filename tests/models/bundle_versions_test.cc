#include "recd/bundle_versions.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/bundle_edit.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
namespace fs = std::filesystem;

class BundleVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) /
            (std::string("recd_bundle_versions_") + info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A copy of the demo bundle as version `n` of root_.
  fs::path AddVersion(const std::string& name) {
    const fs::path dir = root_ / name;
    fs::copy(DemoBundleVersion(), dir, fs::copy_options::recursive);
    return dir;
  }

  static std::vector<int64_t> Numbers(const std::vector<BundleVersion>& versions) {
    std::vector<int64_t> out;
    for (const auto& v : versions) out.push_back(v.number);
    return out;
  }

  fs::path root_;
};

TEST_F(BundleVersionsTest, ListsOnlyCanonicalNumericDirectoriesInNumericOrder) {
  for (const char* d : {"2", "10", "1", ".tmp-11-123", "latest", "03", "9x"})
    fs::create_directory(root_ / d);
  std::ofstream(root_ / "4");  // a file, not a directory
  auto versions = ListBundleVersions(root_.string());
  ASSERT_TRUE(versions.ok()) << versions.status();
  EXPECT_THAT(Numbers(*versions), ElementsAre(1, 2, 10));
  EXPECT_EQ(versions->back().dir, (root_ / "10").string());
}

TEST_F(BundleVersionsTest, MissingRootIsNotFoundNamingIt) {
  auto versions = ListBundleVersions((root_ / "nope").string());
  ASSERT_FALSE(versions.ok());
  EXPECT_EQ(versions.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(versions.status().message(), HasSubstr((root_ / "nope").string()));
}

TEST_F(BundleVersionsTest, NewestVersionIsServed) {
  AddVersion("1");
  AddVersion("2");
  auto servable = NewestServableVersion(root_.string());
  ASSERT_TRUE(servable.ok()) << servable.status();
  EXPECT_EQ(servable->version.number, 2);
  EXPECT_EQ(servable->bundle->dir(), (root_ / "2").string());
  EXPECT_THAT(servable->bundle->version(), ::testing::StartsWith("2"));
  EXPECT_THAT(servable->skipped, IsEmpty());
}

TEST_F(BundleVersionsTest, BrokenNewestVersionIsSkippedWithItsReason) {
  AddVersion("1");
  const fs::path broken = AddVersion("2");
  ASSERT_TRUE(WriteNanIntoTensor(broken / "lstm", "output.weight").ok());
  auto servable = NewestServableVersion(root_.string());
  ASSERT_TRUE(servable.ok()) << servable.status();
  EXPECT_EQ(servable->version.number, 1);
  ASSERT_THAT(servable->skipped, SizeIs(1));
  EXPECT_THAT(servable->skipped[0], HasSubstr((broken / "lstm" / "model.safetensors").string()));
  EXPECT_THAT(servable->skipped[0], HasSubstr("non-finite"));
}

TEST_F(BundleVersionsTest, NoLoadableVersionIsAnErrorListingEveryReason) {
  fs::create_directory(root_ / "1");
  fs::create_directory(root_ / "2");
  auto servable = NewestServableVersion(root_.string());
  ASSERT_FALSE(servable.ok());
  EXPECT_THAT(servable.status().message(), HasSubstr((root_ / "1").string()));
  EXPECT_THAT(servable.status().message(), HasSubstr((root_ / "2").string()));
}

TEST_F(BundleVersionsTest, RootWithoutVersionsIsNotFound) {
  fs::create_directory(root_ / ".tmp-1-99");
  auto servable = NewestServableVersion(root_.string());
  ASSERT_FALSE(servable.ok());
  EXPECT_EQ(servable.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(servable.status().message(), HasSubstr("no numbered version directories"));
}

TEST_F(BundleVersionsTest, RootHoldingABundleDirectlyIsRejectedWithTheFix) {
  fs::remove_all(root_);
  fs::copy(DemoBundleVersion(), root_, fs::copy_options::recursive);
  auto servable = NewestServableVersion(root_.string());
  ASSERT_FALSE(servable.ok());
  EXPECT_EQ(servable.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(servable.status().message(),
            root_.string() +
                ": holds a bundle directly; models.path must be a directory of numbered versions "
                "(move it to " +
                root_.string() + "/1)");
}

TEST_F(BundleVersionsTest, CurrentBundleIsReusedWhenItIsStillTheNewest) {
  AddVersion("1");
  auto first = NewestServableVersion(root_.string());
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = NewestServableVersion(root_.string(), first->bundle);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->bundle, first->bundle);  // not read again
  AddVersion("2");
  auto newer = NewestServableVersion(root_.string(), first->bundle);
  ASSERT_TRUE(newer.ok()) << newer.status();
  EXPECT_NE(newer->bundle, first->bundle);
  EXPECT_EQ(newer->version.number, 2);
}

TEST_F(BundleVersionsTest, StampChangesWithANewVersionButNotWithStagingDirs) {
  AddVersion("1");
  const std::string before = BundleRootStamp(root_.string());
  EXPECT_FALSE(before.empty());
  fs::create_directory(root_ / ".tmp-2-99");
  std::ofstream(root_ / ".tmp-2-99" / "items.txt") << "x\n";
  EXPECT_EQ(BundleRootStamp(root_.string()), before);
  fs::rename(root_ / ".tmp-2-99", root_ / "2");
  EXPECT_NE(BundleRootStamp(root_.string()), before);
}

TEST_F(BundleVersionsTest, StampChangesWhileTheNewestVersionIsStillBeingCopied) {
  fs::create_directory(root_ / "1");
  std::ofstream(root_ / "1" / "items.txt") << "a\n";
  const std::string partial = BundleRootStamp(root_.string());
  std::ofstream(root_ / "1" / "fusion.yaml") << "weights: {pop: 1}\n";
  EXPECT_NE(BundleRootStamp(root_.string()), partial);
}

TEST_F(BundleVersionsTest, ToolsAcceptAVersionDirOrARoot) {
  const fs::path v = AddVersion("3");
  auto from_root = LoadBundleOrNewestVersion(root_.string());
  ASSERT_TRUE(from_root.ok()) << from_root.status();
  EXPECT_EQ((*from_root)->dir(), v.string());
  auto from_version = LoadBundleOrNewestVersion(v.string());
  ASSERT_TRUE(from_version.ok()) << from_version.status();
  EXPECT_EQ((*from_version)->dir(), v.string());
}

TEST(DemoBundleTest, DemoRootServesVersionOne) {
  auto servable = NewestServableVersion(DemoBundleRoot().string());
  ASSERT_TRUE(servable.ok()) << servable.status();
  EXPECT_EQ(servable->version.number, 1);
}

}  // namespace
}  // namespace recd
