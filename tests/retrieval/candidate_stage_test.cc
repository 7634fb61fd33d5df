#include "retrieval/candidate_stage.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "data/synthetic_generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ranking/ranking_pipeline.h"
#include "recd/data_source.h"
#include "recd/leave_one_out.h"
#include "retrieval/ann_index.h"
#include "retrieval/embedding_source.h"
#include "test_util/fake_scorer.h"
#include "train/bundle_trainer.h"

namespace recd {
namespace {

namespace fs = std::filesystem;

// One small bundle of every model type, trained once for the suite on
// generated data.
class CandidateStageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("recd_candidate_stage_" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    SyntheticOptions gen;
    gen.num_items = 400;
    gen.num_users = 300;
    gen.num_events = 9000;
    gen.seed = 5;
    auto generator = SyntheticGenerator::Create(gen);
    ASSERT_TRUE(generator.ok()) << generator.status();
    ASSERT_TRUE((*generator)->WriteCatalog(*dir_ / "catalog.jsonl").ok());
    ASSERT_TRUE((*generator)->WriteEvents(*dir_ / "events.csv").ok());
    DataSource source;
    source.events_path = *dir_ / "events.csv";
    source.catalog_path = *dir_ / "catalog.jsonl";
    auto data = LoadDataSource(source, nullptr);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = new Dataset(*std::move(data));
    BundleTrainOptions options;
    options.lstm.epochs = 2;
    options.lstm.hidden_dim = 16;
    options.lstm.embedding_dim = 16;
    options.als.factors = 16;
    options.als.iterations = 3;
    options.fusion.normalizations = {Normalization::kZScore};
    options.fusion.rounds = 1;
    options.data_hash = "test";
    ASSERT_TRUE(TrainBundle(*data_, SplitLeaveOneOut(*data_), options, *dir_ / "bundle").ok());
    auto bundle = ModelBundle::Load(*dir_ / "bundle");
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    bundle_ = new std::shared_ptr<const ModelBundle>(*bundle);
  }

  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete bundle_;
    delete data_;
    delete dir_;
  }

  static std::shared_ptr<const CandidateStage> Stage(std::shared_ptr<const ModelBundle> bundle) {
    CandidateBuildOptions options;
    options.full_scan_max_items = 0;  // retrieve even on this small catalog
    auto stage = CandidateStage::Build(std::move(bundle), options);
    EXPECT_TRUE(stage.ok()) << stage.status();
    return stage.ok() ? *stage : nullptr;
  }

  // A pipeline over the suite's bundle that retrieves `per_source` items per model.
  static RankingPipeline Retrieving(int per_source) {
    CandidateSearchOptions search;
    search.per_source = per_source;
    return RankingPipeline(*bundle_, (*bundle_)->fusion(), Stage(*bundle_), search);
  }

  // A copy of the suite's bundle whose embedding models carry persisted
  // ANN indexes, as recd-train writes them for large catalogs.
  static fs::path IndexedBundle(const std::string& name) {
    const fs::path out = *dir_ / name;
    fs::remove_all(out);
    fs::copy(*dir_ / "bundle", out, fs::copy_options::recursive);
    int saved = 0;
    for (const auto& scorer : (*bundle_)->scorers()) {
      auto s = BuildAndSaveAnnIndex(*scorer, AnnIndexOptions{}, (out / std::string(scorer->name())).string());
      EXPECT_TRUE(s.ok()) << s.status();
      saved += s.ok() && *s;
    }
    EXPECT_EQ(saved, 2);  // mf and lstm
    return out;
  }

  // A user with a real history: the first user with at least 8 events.
  static std::vector<Event> SomeHistory() {
    for (const auto& h : data_->histories) {
      if (h.size() >= 8) return h;
    }
    return {};
  }

  static std::vector<int32_t> Ids(const RankingResult& r) {
    std::vector<int32_t> ids;
    for (const auto& i : r.items) ids.push_back(i.item);
    return ids;
  }

  static fs::path* dir_;
  static Dataset* data_;
  static std::shared_ptr<const ModelBundle>* bundle_;
};

fs::path* CandidateStageTest::dir_ = nullptr;
Dataset* CandidateStageTest::data_ = nullptr;
std::shared_ptr<const ModelBundle>* CandidateStageTest::bundle_ = nullptr;

TEST_F(CandidateStageTest, DisabledWhileTheCatalogFitsAFullScan) {
  CandidateBuildOptions options;
  options.full_scan_max_items = (*bundle_)->num_items();
  auto stage = CandidateStage::Build(*bundle_, options);
  ASSERT_TRUE(stage.ok());
  EXPECT_FALSE((*stage)->enabled());
  EXPECT_FALSE(RankingPipeline(*bundle_, (*bundle_)->fusion(), *stage).retrieves());
}

TEST_F(CandidateStageTest, RejectsOptionsOutOfRange) {
  CandidateBuildOptions options;
  options.build_threads = -1;
  auto stage = CandidateStage::Build(*bundle_, options);
  EXPECT_EQ(stage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(stage.status().message()), ::testing::HasSubstr("candidates.build_threads"));
  CandidateSearchOptions search;
  search.per_source = 0;
  EXPECT_THAT(std::string(ValidateCandidateSearchOptions(search).message()),
              ::testing::HasSubstr("candidates.per_source"));
  search.per_source = 10;
  search.ann_ef_search = 0;
  EXPECT_THAT(std::string(ValidateCandidateSearchOptions(search).message()),
              ::testing::HasSubstr("candidates.ann_ef_search"));
}

TEST_F(CandidateStageTest, BuildThreadsDefaultToHalfTheCoresAndAtLeastOne) {
  CandidateBuildOptions options;
  EXPECT_EQ(CandidateBuildThreads(options),
            std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2));
  options.build_threads = 3;
  EXPECT_EQ(CandidateBuildThreads(options), 3);
}

TEST_F(CandidateStageTest, BuildsIndexesWhenTheBundleCarriesNone) {
  const int64_t builds = AnnIndex::builds_total();
  const int64_t loads = AnnIndex::loads_total();
  ASSERT_NE(Stage(*bundle_), nullptr);
  EXPECT_EQ(AnnIndex::builds_total() - builds, 2);  // mf and lstm
  EXPECT_EQ(AnnIndex::loads_total() - loads, 0);
}

TEST_F(CandidateStageTest, LoadsIndexesPersistedInTheBundleInsteadOfBuilding) {
  auto bundle = ModelBundle::Load(IndexedBundle("indexed"));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const int64_t builds = AnnIndex::builds_total();
  const int64_t loads = AnnIndex::loads_total();
  const auto stage = Stage(*bundle);
  ASSERT_NE(stage, nullptr);
  EXPECT_EQ(AnnIndex::builds_total() - builds, 0);
  EXPECT_EQ(AnnIndex::loads_total() - loads, 2);
  // Named: UserHistory is a span, and a temporary would be freed before
  // Rank reads it (ASan: heap-use-after-free).
  const std::vector<Event> history = SomeHistory();
  RankRequest request;
  request.history = UserHistory{history, -1};
  request.k = 10;
  const RankingResult result = RankingPipeline(*bundle, (*bundle)->fusion(), stage).Rank(request);
  EXPECT_EQ(result.items.size(), 10u);
  EXPECT_TRUE(result.degraded.empty());
}

// A persisted index is a cache of what the verified tensors define: a
// corrupt one is rebuilt (with a warning), never served nor fatal.
TEST_F(CandidateStageTest, ACorruptPersistedIndexIsRebuilt) {
  const fs::path dir = IndexedBundle("corrupt");
  const fs::path graph = dir / "mf" / AnnIndex::kGraphFile;
  fs::resize_file(graph, fs::file_size(graph) / 2);
  auto bundle = ModelBundle::Load(dir);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const int64_t builds = AnnIndex::builds_total();
  const int64_t loads = AnnIndex::loads_total();
  ASSERT_NE(Stage(*bundle), nullptr);
  EXPECT_EQ(AnnIndex::builds_total() - builds, 1);  // mf
  EXPECT_EQ(AnnIndex::loads_total() - loads, 1);    // lstm
}

// Each model's nominations are (nearly) its own top items: what scoring the
// whole catalog would put first. Item-item models leave out their tiny
// popularity prior, hence "nearly".
TEST_F(CandidateStageTest, EveryModelNominatesItsOwnTopItems) {
  const auto stage = Stage(*bundle_);
  const std::vector<Event> history = SomeHistory();
  ASSERT_FALSE(history.empty());
  const UserHistory user{history, -1};
  for (size_t m = 0; m < (*bundle_)->scorers().size(); ++m) {
    const Scorer& scorer = *(*bundle_)->scorers()[m];
    const auto state = scorer.Encode(user);
    std::vector<int32_t> nominated;
    stage->source(m).Retrieve(*state, 20, /*ef=*/0, nominated);
    ASSERT_EQ(nominated.size(), 20u) << scorer.name();
    std::vector<float> scores(static_cast<size_t>(scorer.num_items()));
    scorer.ScoreAll(*state, scores);
    const std::vector<int32_t> top = TopK(scores, 20, std::vector<bool>(scores.size(), false));
    const std::set<int32_t> exact(top.begin(), top.end());
    const auto hits = std::count_if(nominated.begin(), nominated.end(), [&](int32_t i) { return exact.contains(i); });
    EXPECT_GE(hits, 16) << scorer.name();
  }
}

TEST_F(CandidateStageTest, NominatingEveryItemRanksLikeAFullScan) {
  const std::vector<Event> history = SomeHistory();
  RankRequest request;
  request.history = UserHistory{history, -1};
  request.k = 20;
  const RankingPipeline full(*bundle_, (*bundle_)->fusion());
  const RankingPipeline retrieving = Retrieving((*bundle_)->num_items());
  ASSERT_TRUE(retrieving.retrieves());
  EXPECT_EQ(Ids(retrieving.Rank(request)), Ids(full.Rank(request)));
}

// Each model states its scores' moments over the whole catalog (what
// zscore fusion puts it on) without scoring every item.
TEST_F(CandidateStageTest, EveryModelTellsItsCatalogMoments) {
  int users = 0;
  for (const auto& h : data_->histories) {
    if (h.empty() || ++users > 5) continue;
    for (const auto& scorer : (*bundle_)->scorers()) {
      const auto state = scorer->Encode(UserHistory{h, -1});
      std::vector<float> scores(static_cast<size_t>(scorer->num_items()));
      scorer->ScoreAll(*state, scores);
      double sum = 0, sum_sq = 0;
      for (float s : scores) {
        sum += s;
        sum_sq += static_cast<double>(s) * s;
      }
      const double n = static_cast<double>(scores.size());
      const double mean = sum / n, sd = std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
      const std::optional<ScoreMoments> m = scorer->CatalogMoments(*state);
      ASSERT_TRUE(m.has_value()) << scorer->name();
      EXPECT_NEAR(m->mean, mean, 1e-4 * (sd + std::abs(mean)) + 1e-7) << scorer->name();
      EXPECT_NEAR(m->sd, sd, 1e-4 * sd + 1e-7) << scorer->name();
    }
  }
}

// One scale: with zscore on catalog moments, an item ranked from the
// candidate stage gets the very score a whole-catalog ranking gives it, so
// the stage can change recall only, never the order.
TEST_F(CandidateStageTest, RetrievedItemsScoreAsInAFullScan) {
  ASSERT_EQ((*bundle_)->fusion().normalization, Normalization::kZScore);
  const RankingPipeline full(*bundle_, (*bundle_)->fusion());
  const RankingPipeline retrieving = Retrieving(10);
  int users = 0, checked = 0;
  for (const auto& h : data_->histories) {
    if (h.size() < 3 || ++users > 20) continue;
    RankRequest request;
    request.history = UserHistory{h, -1};
    request.k = (*bundle_)->num_items();
    std::map<int32_t, float> full_score;
    for (const RankedItem& r : full.Rank(request).items) full_score[r.item] = r.score;
    request.k = 10;
    const RankingResult stage = retrieving.Rank(request);
    ASSERT_FALSE(stage.items.empty());
    for (const RankedItem& r : stage.items) {
      ASSERT_TRUE(full_score.contains(r.item)) << r.item;
      EXPECT_NEAR(r.score, full_score[r.item], 1e-4f * (1.0f + std::abs(r.score))) << r.item;
      ++checked;
    }
  }
  EXPECT_GE(checked, 100);
}

TEST_F(CandidateStageTest, RetrievedAnswerHonoursKAndExclusions) {
  const std::vector<Event> history = SomeHistory();
  RankRequest request;
  request.history = UserHistory{history, -1};
  request.k = 10;
  request.exclude = {0, 1, 2};
  const RankingResult result = Retrieving(15).Rank(request);
  const std::vector<int32_t> ids = Ids(result);
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_TRUE(result.degraded.empty());
  std::set<int32_t> banned = {0, 1, 2};
  for (const Event& e : history) banned.insert(e.item);
  for (int32_t id : ids) EXPECT_FALSE(banned.contains(id)) << id;
  EXPECT_EQ(std::set<int32_t>(ids.begin(), ids.end()).size(), ids.size());
}

// A rule that keeps only a few items, which the models did not nominate,
// must still fill k: the pipeline nominates deeper, then scores the allowed
// items themselves.
TEST_F(CandidateStageTest, NarrowRulesStillFillKLikeAFullScan) {
  const std::vector<Event> history = SomeHistory();
  std::set<int32_t> seen;
  for (const Event& e : history) seen.insert(e.item);
  RankRequest request;
  request.history = UserHistory{history, -1};
  request.k = 5;
  request.allowed = [](int32_t item) { return item >= 390; };  // last 10 items
  const std::vector<int32_t> ids = Ids(Retrieving(5).Rank(request));
  const auto allowed_unseen = std::count_if(seen.begin(), seen.end(), [](int32_t i) { return i >= 390; });
  EXPECT_EQ(ids.size(), std::min<size_t>(5, static_cast<size_t>(10 - allowed_unseen)));
  for (int32_t id : ids) EXPECT_GE(id, 390);
  // Mostly the full scan's items: the widened set may still miss one the
  // full scan ranks (scores are on one scale: see RetrievedItemsScoreAsInAFullScan).
  const std::vector<int32_t> full = Ids(RankingPipeline(*bundle_, (*bundle_)->fusion()).Rank(request));
  const auto common = std::count_if(ids.begin(), ids.end(), [&](int32_t id) {
    return std::find(full.begin(), full.end(), id) != full.end();
  });
  EXPECT_GE(common, static_cast<long>(ids.size()) - 2);
}

TEST_F(CandidateStageTest, SuppliedStatesGiveTheSameAnswer) {
  const std::vector<Event> history = SomeHistory();
  const RankingPipeline pipeline = Retrieving(30);
  RankRequest request;
  request.history = UserHistory{history, -1};
  request.k = 10;
  const std::vector<int32_t> encoded_here = Ids(pipeline.Rank(request));
  request.states = pipeline.EncodeAll(request.history);
  ASSERT_EQ(request.states.size(), (*bundle_)->scorers().size());
  EXPECT_EQ(Ids(pipeline.Rank(request)), encoded_here);
}

}  // namespace
}  // namespace recd

namespace recd {
namespace {

// A model that says neither how to nominate nor what its item vectors are.
class UnnominatingScorer final : public FakeScorer {
 public:
  using FakeScorer::FakeScorer;
  bool nominates_directly() const override { return false; }
};

TEST(CandidateStageSeamTest, AModelThatCannotNominateIsAnErrorAtBuildNotACatalogScan) {
  IdMap items;
  for (int i = 0; i < 50; ++i) items.GetOrAdd("i" + std::to_string(i));
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<UnnominatingScorer>("newmodel", std::vector<float>(50, 1.0f)));
  auto bundle = ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
  CandidateBuildOptions options;
  options.full_scan_max_items = 10;
  options.ann = false;
  auto stage = CandidateStage::Build(bundle, options);
  ASSERT_FALSE(stage.ok());
  EXPECT_EQ(stage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stage.status().message()), ::testing::HasSubstr("'newmodel' cannot nominate"));
}

}  // namespace
}  // namespace recd
