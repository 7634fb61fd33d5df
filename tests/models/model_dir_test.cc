#include "recd/model_dir.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_util/test_files.h"

namespace recd {
namespace {

using testing_util::FreshTestDir;
using testing_util::ReadFileBytes;
using testing_util::WriteFileBytes;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

namespace fs = std::filesystem;

const std::vector<float> kEmbedding = {0.25f, 0.5f, 0.75f, 1.25f, 1.5f, 1.75f};
const std::vector<float> kBias = {-1, 2, -3};
const std::vector<int32_t> kCounts = {10, 20, 30};

SafetensorsWriter SampleTensors() {
  SafetensorsWriter w;
  w.AddF32("item_embedding.weight", {3, 2}, kEmbedding);
  w.AddF32("output.bias", {3}, kBias);
  w.Add("counts", DType::kI32, {3}, kCounts.data());
  return w;
}

ModelManifest SampleManifest() {
  ModelManifest m;
  m.model_type = "lstm";
  m.dims = {{"embedding_dim", 2}, {"hidden_dim", 4}, {"max_len", 50}};
  m.num_items = 3;
  m.data_hash = "0123456789abcdef";
  m.metrics = {{"NDCG@10", 0.125}, {"HR@10", 0.25}};
  m.params = {{"lr", "0.001"}, {"epochs", "3"}};
  return m;
}

std::string WriteSample() {
  const std::string dir = FreshTestDir("recd_model_dir_") + "/lstm";
  absl::Status s = ModelDir::Write(dir, SampleManifest(), SampleTensors());
  EXPECT_TRUE(s.ok()) << s;
  return dir;
}

nlohmann::json ReadManifest(const std::string& dir) {
  return nlohmann::json::parse(ReadFileBytes(dir + "/manifest.json"));
}

void WriteManifest(const std::string& dir, const nlohmann::json& j) {
  WriteFileBytes(dir + "/manifest.json", j.dump(2));
}

TEST(ModelDirTest, RoundTripKeepsManifestAndTensors) {
  const std::string dir = WriteSample();
  auto model = ModelDir::Open(dir, "lstm");
  ASSERT_TRUE(model.ok()) << model.status();
  const ModelManifest& m = (*model)->manifest();
  const ModelManifest want = SampleManifest();
  EXPECT_EQ(m.model_type, "lstm");
  EXPECT_EQ(m.format_version, kModelFormatVersion);
  EXPECT_EQ(m.dims, want.dims);
  EXPECT_EQ(m.num_items, 3);
  EXPECT_EQ(m.data_hash, want.data_hash);
  EXPECT_EQ(m.metrics, want.metrics);
  EXPECT_EQ(m.params, want.params);
  EXPECT_EQ((*model)->dir(), dir);

  auto emb = (*model)->tensors().Get("item_embedding.weight", DType::kF32, {3, 2});
  ASSERT_TRUE(emb.ok()) << emb.status();
  EXPECT_THAT(emb->f32(), ElementsAre(0.25f, 0.5f, 0.75f, 1.25f, 1.5f, 1.75f));
  EXPECT_THAT((*model)->tensors().Get("counts")->i32(), ElementsAre(10, 20, 30));
}

// Checksums vouch for the bytes, not for their values: a diverged trainer
// writes NaN with perfectly consistent checksums.
TEST(ModelDirTest, NonFiniteValuesAreRejectedNamingFileAndTensor) {
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
    SafetensorsWriter w = SampleTensors();
    std::vector<float> bias = kBias;
    bias[2] = bad;
    w.AddF32("output.bias", {3}, bias);
    const std::string dir = FreshTestDir("recd_model_dir_") + "/lstm";
    ASSERT_TRUE(ModelDir::Write(dir, SampleManifest(), w).ok());
    auto model = ModelDir::Open(dir, "lstm");
    ASSERT_FALSE(model.ok()) << bad;
    EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(model.status().message(), HasSubstr(dir + "/model.safetensors"));
    EXPECT_THAT(model.status().message(), HasSubstr("tensor 'output.bias'"));
    EXPECT_THAT(model.status().message(), HasSubstr("non-finite"));
    EXPECT_THAT(model.status().message(), HasSubstr("element 2"));
  }
}

TEST(ModelDirTest, WriteFillsChecksumsAsXxh64OfTensorBytes) {
  auto model = ModelDir::Open(WriteSample(), "lstm");
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& sums = (*model)->manifest().tensor_checksums;
  ASSERT_EQ(sums.size(), 3u);
  // What a Python exporter computes: xxhash.xxh64(t.numpy().tobytes()).hexdigest().
  EXPECT_EQ(sums.at("item_embedding.weight"),
            HashBytes(kEmbedding.data(), kEmbedding.size() * sizeof(float)));
  EXPECT_EQ(sums.at("output.bias"), HashBytes(kBias.data(), kBias.size() * sizeof(float)));
  EXPECT_EQ(sums.at("counts"), HashBytes(kCounts.data(), kCounts.size() * sizeof(int32_t)));
}

TEST(ModelDirTest, WriteFillsCreatedAtAsIso8601Utc) {
  auto model = ModelDir::Open(WriteSample(), "lstm");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_THAT((*model)->manifest().created_at,
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"));
}

TEST(ModelDirTest, WriteKeepsGivenCreatedAt) {
  const std::string dir = FreshTestDir("recd_model_dir_") + "/m";
  ModelManifest m = SampleManifest();
  m.created_at = "2026-01-02T03:04:05Z";
  ASSERT_TRUE(ModelDir::Write(dir, m, SampleTensors()).ok());
  EXPECT_EQ((*ModelDir::Open(dir, "lstm"))->manifest().created_at, "2026-01-02T03:04:05Z");
}

TEST(ModelDirTest, ManifestIsPrettyJsonWithEveryField) {
  const std::string dir = WriteSample();
  const std::string text = ReadFileBytes(dir + "/manifest.json");
  EXPECT_THAT(text, HasSubstr("\n  \"model_type\": \"lstm\""));
  const nlohmann::json j = nlohmann::json::parse(text);
  for (const char* key : {"model_type", "format_version", "num_items", "dims", "data_hash",
                          "created_at", "metrics", "params", "tensors"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  const nlohmann::json& t = j["tensors"]["item_embedding.weight"];
  EXPECT_EQ(t["dtype"], "F32");
  EXPECT_EQ(t["shape"], nlohmann::json({3, 2}));
  EXPECT_EQ(t["checksum"].get<std::string>().size(), 16u);
  EXPECT_EQ(j["tensors"]["counts"]["dtype"], "I32");
}

TEST(ModelDirTest, WriteLeavesOnlyTheTwoFiles) {
  const std::string dir = WriteSample();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  EXPECT_THAT(files, ElementsAre("manifest.json", "model.safetensors"));
}

TEST(ModelDirTest, FlippedDataByteIsDataLossNamingTensor) {
  const std::string dir = WriteSample();
  std::string bytes = ReadFileBytes(dir + "/model.safetensors");
  const std::string bias(reinterpret_cast<const char*>(kBias.data()), kBias.size() * 4);
  const size_t at = bytes.find(bias);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5] ^= 0x01;
  WriteFileBytes(dir + "/model.safetensors", bytes);
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  const std::string msg(model.status().message());
  EXPECT_THAT(msg, HasSubstr(dir + "/model.safetensors: tensor 'output.bias' has checksum"));
}

TEST(ModelDirTest, OtherModelTypeIsRejectedNamingBoth) {
  auto model = ModelDir::Open(WriteSample(), "mf");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr("manifest.json: model_type is 'lstm', expected 'mf'"));
}

TEST(ModelDirTest, MissingManifestIsNotFound) {
  const std::string dir = WriteSample();
  fs::remove(dir + "/manifest.json");
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr(dir + "/manifest.json"));
}

TEST(ModelDirTest, MissingTensorFileIsNotFound) {
  const std::string dir = WriteSample();
  fs::remove(dir + "/model.safetensors");
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr(dir + "/model.safetensors"));
}

TEST(ModelDirTest, ExtraTensorNotInManifestIsDataLoss) {
  const std::string dir = WriteSample();
  SafetensorsWriter w = SampleTensors();
  w.AddF32("sneaky", {1}, std::vector<float>{1});
  ASSERT_TRUE(w.Write(dir + "/model.safetensors").ok());
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr("tensor 'sneaky' is not listed in " + dir + "/manifest.json"));
}

TEST(ModelDirTest, TensorMissingFromFileIsDataLoss) {
  const std::string dir = WriteSample();
  SafetensorsWriter w;
  w.AddF32("item_embedding.weight", {3, 2}, kEmbedding);
  w.Add("counts", DType::kI32, {3}, kCounts.data());
  ASSERT_TRUE(w.Write(dir + "/model.safetensors").ok());
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("tensor 'output.bias' listed in"));
}

TEST(ModelDirTest, ShapeDifferentFromManifestIsDataLoss) {
  const std::string dir = WriteSample();
  nlohmann::json j = ReadManifest(dir);
  j["tensors"]["item_embedding.weight"]["shape"] = {2, 3};
  WriteManifest(dir, j);
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr("tensor 'item_embedding.weight' is F32 [3, 2] but"));
}

TEST(ModelDirTest, NewerFormatVersionIsFailedPrecondition) {
  const std::string dir = WriteSample();
  nlohmann::json j = ReadManifest(dir);
  j["format_version"] = kModelFormatVersion + 1;
  WriteManifest(dir, j);
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("format_version"));
}

TEST(ModelDirTest, MalformedManifestFieldIsNamed) {
  const std::string dir = WriteSample();
  nlohmann::json j = ReadManifest(dir);
  j["num_items"] = "three";
  WriteManifest(dir, j);
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(
      std::string(model.status().message()),
      HasSubstr(dir + "/manifest.json: field 'num_items' is \"three\", expected an integer"));
}

TEST(ModelDirTest, MissingChecksumIsNamed) {
  const std::string dir = WriteSample();
  nlohmann::json j = ReadManifest(dir);
  j["tensors"]["counts"].erase("checksum");
  WriteManifest(dir, j);
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("field 'tensors.counts.checksum'"));
}

TEST(ModelDirTest, UnsupportedManifestDtypeIsNamed) {
  const std::string dir = WriteSample();
  nlohmann::json j = ReadManifest(dir);
  j["tensors"]["counts"]["dtype"] = "F16";
  WriteManifest(dir, j);
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr("manifest.json: field 'tensors.counts.dtype' is unsupported dtype F16"));
}

TEST(ModelDirTest, ManifestThatIsNotJsonIsDataLoss) {
  const std::string dir = WriteSample();
  WriteFileBytes(dir + "/manifest.json", "{\"model_type\": ");
  auto model = ModelDir::Open(dir, "lstm");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("manifest.json: not valid JSON"));
}

TEST(ModelDirTest, ReadsManifestAsAPythonExporterWritesIt) {
  // json.dump of a dict: numeric params, no created_at, NaN metric as NaN/null.
  const std::string dir = WriteSample();
  nlohmann::json j = ReadManifest(dir);
  j["params"] = {{"lr", 0.001}, {"epochs", 3}, {"tied", true}, {"optimizer", "adam"}};
  j.erase("created_at");
  j["metrics"] = {{"NDCG@10", nullptr}};
  WriteManifest(dir, j);
  auto model = ModelDir::Open(dir, "lstm");
  ASSERT_TRUE(model.ok()) << model.status();
  const ModelManifest& m = (*model)->manifest();
  EXPECT_EQ(m.params.at("lr"), "0.001");
  EXPECT_EQ(m.params.at("epochs"), "3");
  EXPECT_EQ(m.params.at("tied"), "true");
  EXPECT_EQ(m.params.at("optimizer"), "adam");
  EXPECT_TRUE(std::isnan(m.metrics.at("NDCG@10")));
}

}  // namespace
}  // namespace recd
