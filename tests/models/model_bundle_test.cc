#include "recd/model_bundle.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "recd/content_hash.h"
#include "test_util/bundle_edit.h"

namespace recd {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A private copy of the demo bundle's version 1, to damage.
fs::path CopyOfDemo() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir =
      fs::path(::testing::TempDir()) /
      (std::string("recd_model_bundle_") + info->name() + "_" + std::to_string(getpid())) / "7";
  fs::remove_all(dir.parent_path());
  fs::create_directories(dir.parent_path());
  fs::copy(DemoBundleVersion(), dir, fs::copy_options::recursive);
  return dir;
}

void EditManifest(const fs::path& model_dir, const std::function<void(nlohmann::json&)>& edit) {
  const fs::path path = model_dir / ModelDir::kManifestFile;
  nlohmann::json doc;
  std::ifstream(path) >> doc;
  edit(doc);
  std::ofstream(path, std::ios::trunc) << doc.dump(2) << "\n";
}

TEST(ModelBundleTest, DemoVersionLoadsAndIsNamedAfterItsDirectory) {
  auto bundle = ModelBundle::Load(DemoBundleVersion().string());
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ((*bundle)->scorers().size(), 6u);
  EXPECT_THAT((*bundle)->version(), ::testing::StartsWith("1"));
  auto slash = ModelBundle::Load(DemoBundleVersion().string() + "/");
  ASSERT_TRUE(slash.ok()) << slash.status();
  EXPECT_EQ((*slash)->version(), (*bundle)->version());
}

TEST(ModelBundleTest, LstmWithANanWeightIsRejectedNamingFileAndTensor) {
  const fs::path dir = CopyOfDemo();
  ASSERT_TRUE(WriteNanIntoTensor(dir / "lstm", "output.weight").ok());
  auto bundle = ModelBundle::Load(dir.string());
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bundle.status().message(), HasSubstr((dir / "lstm" / "model.safetensors").string()));
  EXPECT_THAT(bundle.status().message(), HasSubstr("'output.weight'"));
  EXPECT_THAT(bundle.status().message(), HasSubstr("non-finite"));
}

// The daemon's first load reads the model files on several threads: the
// same models in the same order, and a broken one still rejects the bundle
// naming its file.
TEST(ModelBundleTest, LoadingOnSeveralThreadsGivesTheSameBundle) {
  auto one = ModelBundle::Load(DemoBundleVersion().string(), 1);
  auto four = ModelBundle::Load(DemoBundleVersion().string(), 4);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE(four.ok()) << four.status();
  ASSERT_EQ((*four)->scorers().size(), (*one)->scorers().size());
  for (size_t m = 0; m < (*one)->scorers().size(); ++m) {
    EXPECT_EQ((*four)->scorers()[m]->name(), (*one)->scorers()[m]->name());
  }
  const fs::path dir = CopyOfDemo();
  ASSERT_TRUE(WriteNanIntoTensor(dir / "lstm", "output.weight").ok());
  auto broken = ModelBundle::Load(dir.string(), 4);
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr((dir / "lstm" / "model.safetensors").string()));
}

TEST(ModelBundleTest, PopWithANanScoreIsRejected) {
  const fs::path dir = CopyOfDemo();
  ASSERT_TRUE(WriteNanIntoTensor(dir / "pop", "scores").ok());
  auto bundle = ModelBundle::Load(dir.string());
  ASSERT_FALSE(bundle.ok());
  EXPECT_THAT(bundle.status().message(), HasSubstr((dir / "pop" / "model.safetensors").string()));
  EXPECT_THAT(bundle.status().message(), HasSubstr("'scores'"));
}

TEST(ModelBundleTest, ItemsHashMismatchIsFailedPreconditionNamingBothHashes) {
  const fs::path dir = CopyOfDemo();
  // Same ids, another order: the item count still matches, the hash cannot.
  std::vector<std::string> lines;
  {
    std::ifstream in(dir / "items.txt");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 2u);
  std::swap(lines[0], lines[1]);
  {
    std::ofstream out(dir / "items.txt", std::ios::trunc);
    for (const auto& line : lines) out << line << "\n";
  }
  auto actual = HashFile((dir / "items.txt").string());
  ASSERT_TRUE(actual.ok());
  auto bundle = ModelBundle::Load(dir.string());
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bundle.status().message(), HasSubstr(dir.string()));
  EXPECT_THAT(bundle.status().message(), HasSubstr(*actual));
  EXPECT_THAT(bundle.status().message(), HasSubstr("096127768fc84342"));  // the demo's items.txt
}

TEST(ModelBundleTest, ManifestsWithoutItemsHashAreAccepted) {
  const fs::path dir = CopyOfDemo();
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!fs::exists(entry.path() / ModelDir::kManifestFile)) continue;
    EditManifest(entry.path(), [](nlohmann::json& doc) { doc["params"].erase("items_hash"); });
  }
  auto bundle = ModelBundle::Load(dir.string());
  EXPECT_TRUE(bundle.ok()) << bundle.status();
}

}  // namespace
}  // namespace recd
