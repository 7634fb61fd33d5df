#include "retrieval/ann_index.h"
#include "test_util/clustered_vectors.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/content_hash.h"
#include "retrieval/ann_index_meta.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

constexpr int kItems = 5000;
constexpr int kDim = 32;
constexpr int kQueries = 100;
constexpr int kTopK = 50;

std::vector<float> Row(const RowMatrixXf& m, int r) {
  return std::vector<float>(m.row(r).data(), m.row(r).data() + m.cols());
}

// The exact top k of items . q (+ bias), best first.
std::vector<int32_t> ExactTopK(const RowMatrixXf& items, std::span<const float> bias,
                               std::span<const float> q, int k) {
  Eigen::VectorXf scores = items * Eigen::Map<const Eigen::VectorXf>(q.data(), q.size());
  if (!bias.empty()) scores += Eigen::Map<const Eigen::VectorXf>(bias.data(), bias.size());
  std::vector<int32_t> ids(items.rows());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  ids.resize(k);
  return ids;
}

double Overlap(const std::vector<int32_t>& found, const std::vector<int32_t>& exact) {
  std::set<int32_t> truth(exact.begin(), exact.end());
  int hits = 0;
  for (int32_t id : found) hits += truth.count(id);
  return static_cast<double>(hits) / exact.size();
}

// Mean recall@k of `index` over the queries.
double Recall(const AnnIndex& index, const RowMatrixXf& items, std::span<const float> bias,
              const RowMatrixXf& queries, int k, int ef = 0) {
  double sum = 0;
  for (int r = 0; r < queries.rows(); ++r) {
    std::vector<float> q = Row(queries, r);
    auto found = index.Search(q, k, ef);
    EXPECT_TRUE(found.ok()) << found.status();
    if (found.ok()) sum += Overlap(*found, ExactTopK(items, bias, q, k));
  }
  return sum / queries.rows();
}

AnnIndexOptions SerialOptions() {
  AnnIndexOptions o;
  o.threads = 1;  // a reproducible graph
  return o;
}

// One index over clustered data, shared by the tests that only search it.
class AnnIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RowMatrixXf all = ClusteredVectors(kItems + kQueries, kDim, 50, 7);
    items_ = new RowMatrixXf(all.topRows(kItems));
    queries_ = new RowMatrixXf(all.bottomRows(kQueries));
    auto index = AnnIndex::Build(*items_, {}, SerialOptions());
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = index->release();
  }
  static void TearDownTestSuite() {
    delete index_;
    delete items_;
    delete queries_;
  }

  static RowMatrixXf* items_;
  static RowMatrixXf* queries_;
  static AnnIndex* index_;
};

RowMatrixXf* AnnIndexTest::items_ = nullptr;
RowMatrixXf* AnnIndexTest::queries_ = nullptr;
AnnIndex* AnnIndexTest::index_ = nullptr;

TEST_F(AnnIndexTest, RecallAt50IsAtLeast90Percent) {
  EXPECT_GE(Recall(*index_, *items_, {}, *queries_, kTopK), 0.9);
}

TEST_F(AnnIndexTest, ResultsAreOrderedBestFirst) {
  std::vector<float> q = Row(*queries_, 0);
  auto found = index_->Search(q, kTopK);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), kTopK);
  Eigen::Map<const Eigen::VectorXf> qv(q.data(), q.size());
  for (size_t i = 1; i < found->size(); ++i) {
    EXPECT_GE(items_->row((*found)[i - 1]).dot(qv), items_->row((*found)[i]).dot(qv)) << i;
  }
}

// A beam as wide as the index visits every item the graph reaches, and the
// norm-padded graph reaches them all: a per-call ef that gets to the search
// gives the exact top k.
TEST_F(AnnIndexTest, EfOfItemCountGivesTheExactTopK) {
  for (int r = 0; r < 10; ++r) {
    std::vector<float> q = Row(*queries_, r);
    auto found = index_->Search(q, kTopK, kItems);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(*found, ExactTopK(*items_, {}, q, kTopK)) << "query " << r;
  }
}

// Also the test that a per-call ef reaches the search: this graph's recall
// is far enough from 1 to show it.
TEST_F(AnnIndexTest, RawInnerProductGraphReachesRecall90PercentAndMoreWithWiderBeam) {
  AnnIndexOptions options = SerialOptions();
  options.equalize_norms = false;
  auto index = AnnIndex::Build(*items_, {}, options);
  ASSERT_TRUE(index.ok()) << index.status();
  const double at_default = Recall(**index, *items_, {}, *queries_, kTopK);
  EXPECT_GE(at_default, 0.9);
  EXPECT_GT(Recall(**index, *items_, {}, *queries_, kTopK, 400), at_default);
}

// Each thread searches with its own ef, so a beam width leaking from one
// call into another would show as a difference from the serial results.
TEST_F(AnnIndexTest, ConcurrentSearchesMatchSerialOnes) {
  const std::vector<int> efs = {0, 1, 200, 400};
  std::vector<std::vector<std::vector<int32_t>>> serial(efs.size());
  for (size_t t = 0; t < efs.size(); ++t) {
    for (int r = 0; r < kQueries; ++r) {
      serial[t].push_back(*index_->Search(Row(*queries_, r), kTopK, efs[t]));
    }
  }
  std::vector<std::vector<std::vector<int32_t>>> got(efs.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < efs.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kQueries; ++r) {
        auto found = index_->Search(Row(*queries_, r), kTopK, efs[t]);
        got[t].push_back(found.ok() ? *found : std::vector<int32_t>{});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t t = 0; t < efs.size(); ++t) EXPECT_EQ(got[t], serial[t]) << "ef " << efs[t];
}

TEST_F(AnnIndexTest, KBeyondItemCountReturnsEveryItem) {
  RowMatrixXf small = items_->topRows(10);
  auto index = AnnIndex::Build(small, {}, SerialOptions());
  ASSERT_TRUE(index.ok()) << index.status();
  auto found = (*index)->Search(Row(*queries_, 0), 25);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, ExactTopK(small, {}, Row(*queries_, 0), 10));
}

TEST_F(AnnIndexTest, ParallelBuildKeepsRecall) {
  AnnIndexOptions options;
  options.threads = 2;
  auto index = AnnIndex::Build(*items_, {}, options);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ((*index)->size(), kItems);
  EXPECT_GE(Recall(**index, *items_, {}, *queries_, kTopK), 0.9);
}

// Output-layer scores w.q + b where the bias replaces half the top k: the
// index must rank by the sum, not by w.q.
TEST_F(AnnIndexTest, BiasIsAddedToTheInnerProduct) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 30.0f);
  std::vector<float> bias(kItems);
  for (float& b : bias) b = normal(rng);
  auto index = AnnIndex::Build(*items_, bias, SerialOptions());
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_TRUE((*index)->has_bias());
  EXPECT_EQ((*index)->dim(), kDim);

  double bias_moves = 0;
  for (int r = 0; r < kQueries; ++r) {
    std::vector<float> q = Row(*queries_, r);
    bias_moves += Overlap(ExactTopK(*items_, {}, q, kTopK), ExactTopK(*items_, bias, q, kTopK));
  }
  ASSERT_LT(bias_moves / kQueries, 0.6) << "the bias should change half the exact top k";
  EXPECT_GE(Recall(**index, *items_, bias, *queries_, kTopK), 0.9);
}

TEST_F(AnnIndexTest, QueryOfWrongDimensionIsRejected) {
  std::vector<float> q(kDim + 1, 1.0f);
  auto found = index_->Search(q, kTopK);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(found.status().message(), HasSubstr("query"));
}

TEST_F(AnnIndexTest, NonFiniteQueryIsRejected) {
  std::vector<float> q(kDim, 1.0f);
  q[3] = std::numeric_limits<float>::quiet_NaN();
  auto found = index_->Search(q, kTopK);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(found.status().message(), HasSubstr("query[3]"));
}

TEST_F(AnnIndexTest, NonPositiveKAndNegativeEfAreRejected) {
  std::vector<float> q(kDim, 1.0f);
  for (int k : {0, -1}) {
    auto found = index_->Search(q, k);
    EXPECT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(found.status().message(), HasSubstr("k must be"));
  }
  auto found = index_->Search(q, kTopK, -5);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(found.status().message(), HasSubstr("ef must be"));
}

TEST(AnnIndexBuildTest, EmptyMatrixIsRejected) {
  for (RowMatrixXf m : {RowMatrixXf(0, 8), RowMatrixXf(8, 0)}) {
    auto index = AnnIndex::Build(m, {}, {});
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(index.status().message(), HasSubstr("items is empty"));
  }
}

TEST(AnnIndexBuildTest, NonFiniteItemIsRejectedNamingTheRow) {
  RowMatrixXf m = RowMatrixXf::Ones(20, 4);
  m(13, 2) = std::numeric_limits<float>::infinity();
  auto index = AnnIndex::Build(m, {}, {});
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(index.status().message(), HasSubstr("items row 13"));
}

TEST(AnnIndexBuildTest, BadBiasIsRejected) {
  RowMatrixXf m = RowMatrixXf::Ones(20, 4);
  std::vector<float> short_bias(19, 0.0f);
  auto index = AnnIndex::Build(m, short_bias, {});
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(index.status().message(), HasSubstr("bias has 19 values for 20 items"));

  std::vector<float> nan_bias(20, 0.0f);
  nan_bias[5] = std::numeric_limits<float>::quiet_NaN();
  index = AnnIndex::Build(m, nan_bias, {});
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(index.status().message(), HasSubstr("bias[5]"));
}

TEST(AnnIndexBuildTest, OutOfRangeOptionsAreRejectedNamingTheField) {
  RowMatrixXf m = RowMatrixXf::Ones(20, 4);
  struct Case {
    AnnIndexOptions options;
    const char* field;
  };
  std::vector<Case> cases(4);
  cases[0].options.m = 1;
  cases[0].field = "options.m";
  cases[1].options.ef_construction = 0;
  cases[1].field = "options.ef_construction";
  cases[2].options.ef_search = 0;
  cases[2].field = "options.ef_search";
  cases[3].options.threads = -1;
  cases[3].field = "options.threads";
  for (const Case& c : cases) {
    auto index = AnnIndex::Build(m, {}, c.options);
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(index.status().message(), HasSubstr(c.field));
  }
}

// Save() and Load(): the index recd-train persists in a bundle.
class AnnIndexPersistenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("recd_ann_index_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    items_ = ClusteredVectors(2000, 16, 20, 11);
    bias_.resize(items_.rows());
    for (size_t i = 0; i < bias_.size(); ++i) bias_[i] = 0.001f * static_cast<float>(i % 97);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Builds over items_ (+ bias_ when `with_bias`) and saves into dir_.
  void BuildAndSave(bool with_bias) {
    auto index = AnnIndex::Build(items_, with_bias ? std::span<const float>(bias_) : std::span<const float>(),
                                 SerialOptions());
    ASSERT_TRUE(index.ok()) << index.status();
    ASSERT_TRUE((*index)->Save(dir_.string()).ok());
    built_ = *std::move(index);
  }

  absl::StatusOr<std::unique_ptr<AnnIndex>> Load(bool with_bias = false) const {
    return AnnIndex::Load(dir_.string(), items_,
                          with_bias ? std::span<const float>(bias_) : std::span<const float>(), SerialOptions());
  }

  std::string GraphPath() const { return (dir_ / AnnIndex::kGraphFile).string(); }

  // Rewrites ann.json to vouch for the graph file as it now is, as a
  // writer that went wrong might, so that only the header checks and
  // hnswlib's own stand between the file and a crash.
  void ResealMeta() const {
    const std::string meta_path = (dir_ / AnnIndex::kMetaFile).string();
    auto meta = ReadAnnIndexMeta(meta_path);
    ASSERT_TRUE(meta.ok()) << meta.status();
    meta->graph_bytes = static_cast<int64_t>(std::filesystem::file_size(GraphPath()));
    meta->graph_checksum = *HashFile(GraphPath());
    ASSERT_TRUE(WriteAnnIndexMeta(meta_path, *meta).ok());
  }

  std::filesystem::path dir_;
  RowMatrixXf items_;
  std::vector<float> bias_;
  std::unique_ptr<AnnIndex> built_;
};

TEST_F(AnnIndexPersistenceTest, SaveThenLoadGivesIdenticalResults) {
  for (bool with_bias : {false, true}) {
    BuildAndSave(with_bias);
    auto loaded = Load(with_bias);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ((*loaded)->size(), built_->size());
    EXPECT_EQ((*loaded)->dim(), built_->dim());
    EXPECT_EQ((*loaded)->has_bias(), with_bias);
    RowMatrixXf queries = ClusteredVectors(30, 16, 20, 12);
    for (int r = 0; r < queries.rows(); ++r) {
      const std::vector<float> q = Row(queries, r);
      for (int ef : {0, 10, 300}) {
        auto a = built_->Search(q, 20, ef);
        auto b = (*loaded)->Search(q, 20, ef);
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(*a, *b) << "query " << r << " ef " << ef << " bias " << with_bias;
      }
    }
  }
}

TEST_F(AnnIndexPersistenceTest, LoadCountsAsALoadNotABuild) {
  BuildAndSave(false);
  const int64_t builds = AnnIndex::builds_total();
  const int64_t loads = AnnIndex::loads_total();
  ASSERT_TRUE(Load().ok());
  EXPECT_EQ(AnnIndex::builds_total(), builds);
  EXPECT_EQ(AnnIndex::loads_total(), loads + 1);
}

TEST_F(AnnIndexPersistenceTest, NoIndexIsNotFound) {
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AnnIndexPersistenceTest, TruncatedGraphIsDataLossNamingTheFile) {
  BuildAndSave(false);
  std::filesystem::resize_file(GraphPath(), std::filesystem::file_size(GraphPath()) / 2);
  auto loaded = Load();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(GraphPath()));
}

TEST_F(AnnIndexPersistenceTest, FlippedByteIsDataLoss) {
  BuildAndSave(false);
  {
    std::fstream f(GraphPath(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(GraphPath()) / 2));
    f.put('\x5a');
  }
  auto loaded = Load();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("checksum"));
}

TEST_F(AnnIndexPersistenceTest, BadHeaderIsRejectedBeforeHnswlibReadsIt) {
  BuildAndSave(false);
  {
    // The third field, the element count, claims far more records.
    std::fstream f(GraphPath(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * sizeof(size_t));
    const size_t count = size_t{1} << 40;
    f.write(reinterpret_cast<const char*>(&count), sizeof(count));
  }
  ResealMeta();
  auto loaded = Load();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("hnswlib header"));
}

TEST_F(AnnIndexPersistenceTest, TruncatedLinksAreAnErrorNotACrash) {
  BuildAndSave(false);
  for (int cut : {4, 1000, 100000}) {
    BuildAndSave(false);
    std::filesystem::resize_file(GraphPath(), std::filesystem::file_size(GraphPath()) - cut);
    ResealMeta();
    auto loaded = Load();
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << cut;
  }
}

TEST_F(AnnIndexPersistenceTest, IndexOfOtherVectorsIsStale) {
  BuildAndSave(false);
  const float original = items_(5, 3);
  items_(5, 3) += 1.0f;
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kFailedPrecondition);
  items_(5, 3) = original;
  EXPECT_EQ(Load(/*with_bias=*/true).status().code(), absl::StatusCode::kFailedPrecondition);
  AnnIndexOptions raw = SerialOptions();
  raw.equalize_norms = false;
  auto loaded = AnnIndex::Load(dir_.string(), items_, {}, raw);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(AnnIndex::kMetaFile));
  EXPECT_TRUE(Load().ok());
}

}  // namespace
}  // namespace recd
