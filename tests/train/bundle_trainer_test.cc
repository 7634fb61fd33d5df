#include "train/bundle_trainer.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "data/synthetic_generator.h"
#include "eval/bundle_evaluator.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "recd/bundle_versions.h"
#include "recd/content_hash.h"
#include "recd/data_source.h"
#include "recd/model_bundle.h"
#include "retrieval/embedding_source.h"
#include "test_util/beauty_data.h"

namespace recd {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Dataset Generated(const fs::path& dir) {
  SyntheticOptions gen;
  gen.num_items = 400;
  gen.num_users = 600;
  gen.num_events = 20000;
  gen.seed = 11;
  auto generator = SyntheticGenerator::Create(gen);
  EXPECT_TRUE(generator.ok());
  EXPECT_TRUE((*generator)->WriteCatalog(dir / "catalog.jsonl").ok());
  EXPECT_TRUE((*generator)->WriteEvents(dir / "events.csv").ok());
  DataSource source;
  source.events_path = dir / "events.csv";
  source.catalog_path = dir / "catalog.jsonl";
  auto data = LoadDataSource(source, nullptr);
  EXPECT_TRUE(data.ok()) << data.status();
  return *std::move(data);
}

BundleTrainOptions Fast() {
  BundleTrainOptions o;
  o.models = {"pop", "markov", "knn", "content", "mf"};
  o.als.factors = 16;
  o.als.iterations = 4;
  o.fusion.rounds = 2;
  return o;
}

TEST(BundleTrainerTest, WritesABundleThatLoadsAndFusionBeatsEveryModel) {
  const fs::path dir = TempDir("recd_bundle_trainer");
  const Dataset data = Generated(dir);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  auto report = TrainBundle(data, split, Fast(), dir / "bundle");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->models.size(), 5u);

  auto bundle = ModelBundle::Load(dir / "bundle");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ((*bundle)->scorers().size(), 5u);
  EXPECT_EQ((*bundle)->items().names(), data.items.names());
  // Tuned weights come back from fusion.yaml as written.
  EXPECT_EQ((*bundle)->fusion().weights, report->fusion.config.weights);

  // On the validation targets the fusion was tuned on, it is at least as good
  // as the best single model (coordinate search starts from that model).
  double best_single = 0;
  for (const auto& m : report->models) best_single = std::max(best_single, m.validation.ndcg10);
  EXPECT_GE(report->fusion.valid_ndcg10 + 1e-9, best_single);
  EXPECT_GT(report->fusion.valid_hr10, 0.1);  // planted structure, far above chance (10/400)
  fs::remove_all(dir);
}

// --second-profile: a second profile, tuned with its normalisation only,
// beside fusion.yaml, for an experiment arm; fusion.yaml stays the winner.
TEST(BundleTrainerTest, WritesASecondProfileWithItsNormalisation) {
  const fs::path dir = TempDir("recd_bundle_trainer_second");
  const Dataset data = Generated(dir);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  BundleTrainOptions options = Fast();
  options.second_profile = Normalization::kRank;
  auto report = TrainBundle(data, split, options, dir / "bundle");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_TRUE(report->second_fusion.has_value());
  auto second = FusionConfig::LoadFile((dir / "bundle" / BundleFusionProfileFile("rank")).string());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->normalization, Normalization::kRank);
  EXPECT_EQ(second->weights, report->second_fusion->config.weights);
  EXPECT_EQ(second->version, report->fusion.config.version + "-rank");
  auto bundle = ModelBundle::Load(dir / "bundle");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ((*bundle)->fusion().weights, report->fusion.config.weights);
  // Restricted to one normalisation, it cannot beat the search over all.
  EXPECT_LE(report->second_fusion->valid_ndcg10, report->fusion.valid_ndcg10 + 1e-9);
  fs::remove_all(dir);
}

TEST(BundleTrainerTest, ReplacingABundleKeepsOpenReadersWorking) {
  const fs::path dir = TempDir("recd_bundle_replace");
  const Dataset data = Generated(dir);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  BundleTrainOptions o = Fast();
  o.models = {"pop", "markov"};
  ASSERT_TRUE(TrainBundle(data, split, o, dir / "bundle").ok());
  auto old_bundle = ModelBundle::Load(dir / "bundle");
  ASSERT_TRUE(old_bundle.ok());
  ASSERT_TRUE(TrainBundle(data, split, o, dir / "bundle").ok());
  // The old mapping stays valid after the directory was replaced.
  RankingPipeline pipeline(*old_bundle, (*old_bundle)->fusion());
  RankRequest request;
  request.k = 5;
  EXPECT_EQ(pipeline.Rank(request).items.size(), 5u);
  EXPECT_FALSE(fs::exists(dir / ("bundle.tmp." + std::to_string(getpid()))));
  fs::remove_all(dir);
}

// Above full_scan_max_items the embedding models carry the ANN index the
// daemon would otherwise build at load; demo-size catalogs carry none.
TEST(BundleTrainerTest, PersistsAnnIndexesOnlyAboveFullScanMaxItems) {
  const fs::path dir = TempDir("recd_bundle_ann");
  const Dataset data = Generated(dir);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  BundleTrainOptions o = Fast();
  o.models = {"pop", "mf"};
  ASSERT_TRUE(TrainBundle(data, split, o, dir / "small").ok());
  EXPECT_FALSE(fs::exists(dir / "small" / "mf" / AnnIndex::kGraphFile));
  o.full_scan_max_items = 100;
  ASSERT_TRUE(TrainBundle(data, split, o, dir / "large").ok());
  EXPECT_TRUE(fs::exists(dir / "large" / "mf" / AnnIndex::kGraphFile));
  EXPECT_TRUE(fs::exists(dir / "large" / "mf" / AnnIndex::kMetaFile));
  EXPECT_FALSE(fs::exists(dir / "large" / "pop" / AnnIndex::kMetaFile));

  auto bundle = ModelBundle::Load(dir / "large");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const Scorer* mf = (*bundle)->Find("mf");
  ASSERT_NE(mf, nullptr);
  const int64_t builds = AnnIndex::builds_total();
  auto source = MakeAnnCandidateSource(*mf, AnnIndexOptions{}, (dir / "large" / "mf").string());
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_NE(*source, nullptr);
  EXPECT_EQ(AnnIndex::builds_total(), builds);  // loaded, not built
  fs::remove_all(dir);
}

TEST(BundleTrainerTest, PublishesNumberedVersionsAndPrunesToKeepVersions) {
  const fs::path dir = TempDir("recd_bundle_versions");
  const Dataset data = Generated(dir);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  BundleTrainOptions o = Fast();
  o.models = {"pop", "markov"};
  const fs::path root = dir / "root";
  for (int64_t expected = 1; expected <= 3; ++expected) {
    auto report = TrainBundleVersion(data, split, o, root.string(), /*keep_versions=*/2);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->version, expected);
    EXPECT_EQ(report->version_dir, (root / std::to_string(expected)).string());
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"2", "3"}));  // no staging dir left

  auto bundle = LoadBundleOrNewestVersion(root.string());
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ((*bundle)->dir(), (root / "3").string());
  // Every manifest records the hash of the items.txt it was trained with.
  auto items_hash = HashFile((root / "3" / "items.txt").string());
  ASSERT_TRUE(items_hash.ok());
  for (const char* model : {"pop", "markov"}) {
    nlohmann::json manifest;
    std::ifstream(root / "3" / model / "manifest.json") >> manifest;
    EXPECT_EQ(manifest["params"]["items_hash"], *items_hash) << model;
  }
  fs::remove_all(dir);
}

TEST(BundleTrainerTest, VersionedPublishRefusesARootHoldingABundleBeforeTraining) {
  const fs::path dir = TempDir("recd_bundle_versions_flat");
  fs::create_directories(dir / "root");
  std::ofstream(dir / "root" / "items.txt") << "a\n";
  const Dataset data;
  auto report = TrainBundleVersion(data, LeaveOneOutSplit{}, Fast(), (dir / "root").string());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("move it to " + (dir / "root").string() + "/1"), std::string::npos);
  auto keep = TrainBundleVersion(data, LeaveOneOutSplit{}, Fast(), (dir / "other").string(), 0);
  EXPECT_EQ(keep.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "other"));
  fs::remove_all(dir);
}

std::string FileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// recd-train --epochs N --threads T: the models trained or tuned in parallel
// (knn's per-item rows, ALS, the LSTM's batch shards, fusion tuning), the
// LSTM at a fixed epoch count, two threads each. The manifests differ only in
// train_seconds, so the test compares the tensors, fusion.yaml and the
// evaluation. One tuning round keeps it to a few seconds.
TEST(BundleTrainerTest, SameSeedThreadsAndFixedEpochsGiveIdenticalBundles) {
  const fs::path dir = TempDir("recd_bundle_reproducible");
  const Dataset data = Generated(dir);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  BundleTrainOptions o = Fast();
  o.models = {"pop", "knn", "mf", "lstm"};
  o.fusion.rounds = 1;
  o.fusion.normalizations = {Normalization::kZScore, Normalization::kMinMax};
  o.als.threads = 2;
  o.lstm.embedding_dim = 16;
  o.lstm.hidden_dim = 16;
  o.lstm.max_len = 20;
  o.lstm.epochs = 2;
  o.lstm.fixed_epochs = true;
  o.lstm.time_budget_seconds = 0;
  o.lstm.threads = 2;
  std::vector<nlohmann::json> metrics;
  for (const char* name : {"a", "b"}) {
    auto report = TrainBundle(data, split, o, dir / name);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->lstm_epochs.size(), 2u);
    auto bundle = ModelBundle::Load(dir / name);
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    RankingPipeline pipeline(*bundle, (*bundle)->fusion());
    metrics.push_back(EvaluateBundle(pipeline, data, split, EvaluationOptions{}).ToJson());
  }
  for (const std::string& model : o.models) {
    EXPECT_EQ(FileBytes(dir / "a" / model / "model.safetensors"), FileBytes(dir / "b" / model / "model.safetensors"))
        << model;
  }
  EXPECT_EQ(FileBytes(dir / "a" / "fusion.yaml"), FileBytes(dir / "b" / "fusion.yaml"));
  EXPECT_EQ(metrics[0].dump(), metrics[1].dump());
  fs::remove_all(dir);
}

TEST(BundleTrainerTest, LstmUsesSampledSoftmaxOnlyForLargeCatalogsUnlessTold) {
  BundleTrainOptions o;
  EXPECT_EQ(LstmNegatives(o, 12101), 0);  // Amazon Beauty keeps the full softmax
  EXPECT_EQ(LstmNegatives(o, o.lstm_full_softmax_max_items), 0);
  EXPECT_EQ(LstmNegatives(o, 100000), o.lstm_auto_negatives);
  o.lstm_negatives = 0;
  EXPECT_EQ(LstmNegatives(o, 100000), 0);
  o.lstm_negatives = 256;
  EXPECT_EQ(LstmNegatives(o, 500), 256);
}

TEST(BundleTrainerTest, UnknownModelIsAnError) {
  const fs::path dir = TempDir("recd_bundle_unknown");
  const Dataset data = Generated(dir);
  BundleTrainOptions o = Fast();
  o.models = {"pop", "transformer"};
  auto report = TrainBundle(data, SplitLeaveOneOut(data), o, dir / "bundle");
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("transformer"), absl::string_view::npos);
  fs::remove_all(dir);
}

// Reduced-budget run of the whole offline pipeline on the real benchmark.
TEST(BundleTrainerTest, BeautyReducedBudgetGivesSaneTestMetrics) {
  const std::string prefix = BeautyDir() + "/Beauty";
  if (!fs::exists(prefix + ".txt")) GTEST_SKIP() << "Amazon Beauty not found at " << prefix << ".txt; skipping";
  DataSource source;
  source.amazon_prefix = prefix;
  auto data = LoadDataSource(source, nullptr);
  ASSERT_TRUE(data.ok()) << data.status();
  const LeaveOneOutSplit split = SplitLeaveOneOut(*data);
  const fs::path dir = TempDir("recd_bundle_beauty");
  BundleTrainOptions o;
  o.models = {"pop", "markov", "knn", "content", "mf"};
  o.als.iterations = 4;
  o.als.validation_max_users = 3000;
  o.validation_users = 3000;
  o.fusion.max_users = 3000;
  o.fusion.normalizations = {Normalization::kZScore};
  o.fusion.rounds = 2;
  auto report = TrainBundle(*data, split, o, dir / "bundle");
  ASSERT_TRUE(report.ok()) << report.status();
  auto bundle = ModelBundle::Load(dir / "bundle");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  RankingPipeline pipeline(*bundle, (*bundle)->fusion());
  EvaluationOptions eval;
  eval.max_users = 5000;
  const EvaluationReport result = EvaluateBundle(pipeline, *data, split, eval);
  for (const ModelReport& m : result.models) std::cout << m.name << ": " << m.ranking.ToString() << "\n";
  const ModelReport& fusion = result.models.back();
  ASSERT_EQ(fusion.name, "fusion");
  // PopRec is 0.0152 HR@10; the simple channels alone reach ~0.065.
  EXPECT_GT(fusion.ranking.hr10, 0.06);
  EXPECT_GT(fusion.ranking.ndcg10, 0.03);
  for (const ModelReport& m : result.models) {
    if (m.name != "pop") {
      EXPECT_GT(m.ranking.hr10, 0.0152 * 1.5) << m.name;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace recd
