#include "ranking/ranking_pipeline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<const ModelBundle> TwoModelBundle() {
  IdMap items;
  for (const char* id : {"a", "b", "c", "d"}) items.GetOrAdd(id);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m1", std::vector<float>{4, 3, 2, 1}));
  scorers.push_back(std::make_unique<FakeScorer>("m2", std::vector<float>{1, 2, 3, 10}));
  return ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
}

FusionConfig Weights(double w1, double w2) {
  FusionConfig c;
  c.normalization = Normalization::kMinMax;
  c.weights = {{"m1", w1}, {"m2", w2}};
  return c;
}

std::vector<int32_t> Ids(const RankingResult& r) {
  std::vector<int32_t> ids;
  for (const auto& i : r.items) ids.push_back(i.item);
  return ids;
}

TEST(RankingPipelineTest, WeightsDecideTheOrder) {
  RankRequest req;
  req.k = 4;
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), Weights(1, 0)).Rank(req)), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), Weights(0, 1)).Rank(req)), ElementsAre(3, 2, 1, 0));
}

TEST(RankingPipelineTest, HistoryAndExcludedItemsNeverReturn) {
  std::vector<Event> history = {{0, EventType::kView, 1}};
  RankRequest req;
  req.history.events = history;
  req.exclude = {3};
  req.k = 10;
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), Weights(1, 0)).Rank(req)), ElementsAre(1, 2));
}

TEST(RankingPipelineTest, KLimitsTheAnswer) {
  RankRequest req;
  req.k = 2;
  EXPECT_EQ(RankingPipeline(TwoModelBundle(), Weights(1, 1)).Rank(req).items.size(), 2u);
}

TEST(RankingPipelineTest, CandidatesRestrictTheRanking) {
  RankRequest req;
  req.k = 10;
  req.candidates = {2, 0};
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), Weights(1, 0)).Rank(req)), ElementsAre(0, 2));
}

TEST(RankingPipelineTest, ExplainedContributionsSumToTheScore) {
  RankRequest req;
  req.k = 4;
  req.explain = true;
  const auto result = RankingPipeline(TwoModelBundle(), Weights(0.7, 0.3)).Rank(req);
  ASSERT_EQ(result.models.size(), 2u);
  for (const auto& item : result.items) {
    double sum = 0;
    for (size_t m = 0; m < result.models.size(); ++m) sum += result.weights[m] * item.normalized[m];
    EXPECT_NEAR(sum, item.score, 1e-6);
  }
}

TEST(RankingPipelineTest, ZeroWeightModelsAreNotRun) {
  RankRequest req;
  req.explain = true;
  const auto result = RankingPipeline(TwoModelBundle(), Weights(1, 0)).Rank(req);
  EXPECT_THAT(result.models, ElementsAre("m1"));
}

std::shared_ptr<const ModelBundle> BundleWith(std::unique_ptr<Scorer> extra) {
  IdMap items;
  for (const char* id : {"a", "b", "c", "d"}) items.GetOrAdd(id);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m1", std::vector<float>{4, 3, 2, 1}));
  scorers.push_back(std::move(extra));
  return ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
}

TEST(RankingPipelineTest, FailingModelIsLeftOutAndReported) {
  RankingPipeline pipeline(BundleWith(std::make_unique<FailingScorer>("m2", std::vector<float>(4))),
                           Weights(1, 1));
  RankRequest req;
  req.k = 4;
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), new ThreadPool(2)}) {
    ScoringOptions options;
    options.pool = pool;
    const auto result = pipeline.Rank(req, options);
    EXPECT_THAT(result.degraded, ElementsAre("m2"));
    EXPECT_THAT(Ids(result), ElementsAre(0, 1, 2, 3));  // m1 alone decides
    delete pool;
  }
}

TEST(RankingPipelineTest, ModelOverItsBudgetIsLeftOut) {
  ThreadPool pool(2);
  RankingPipeline pipeline(
      BundleWith(std::make_unique<SlowScorer>("m2", std::vector<float>{1, 2, 3, 10}, absl::Milliseconds(300))),
      Weights(1, 1));
  ScoringOptions options;
  options.pool = &pool;
  options.budget = [](std::string_view m) { return m == "m2" ? absl::Milliseconds(20) : absl::Seconds(10); };
  RankRequest req;
  req.k = 4;
  const auto result = pipeline.Rank(req, options);
  EXPECT_THAT(result.degraded, ElementsAre("m2"));
  EXPECT_THAT(Ids(result), ElementsAre(0, 1, 2, 3));
}

TEST(RankingPipelineTest, ParallelScoringMatchesInline) {
  ThreadPool pool(2);
  RankingPipeline pipeline(TwoModelBundle(), Weights(0.3, 0.7));
  RankRequest req;
  req.k = 4;
  ScoringOptions options;
  options.pool = &pool;
  EXPECT_EQ(Ids(pipeline.Rank(req, options)), Ids(pipeline.Rank(req)));
  EXPECT_TRUE(pipeline.Rank(req, options).degraded.empty());
}

TEST(RankingPipelineTest, RulesFilterItems) {
  RankRequest req;
  req.k = 4;
  req.allowed = [](int32_t item) { return item % 2 == 1; };
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), Weights(1, 0)).Rank(req)), ElementsAre(1, 3));
}

TEST(RankingPipelineTest, DiversityCapLimitsItemsPerGroup) {
  RankRequest req;
  req.k = 3;
  req.max_per_group = 1;
  req.group_of = [](int32_t item) { return item < 2 ? 0 : 1; };  // {0,1} and {2,3}
  // Best two (0 and 1) share a group, so 1 gives way to 2; only 2 groups exist.
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), Weights(1, 0)).Rank(req)), ElementsAre(0, 2));
}

TEST(TopKTest, BreaksTiesByPosition) {
  std::vector<float> s = {1, 2, 2, 0};
  EXPECT_THAT(TopK(s, 3, std::vector<bool>(4, false)), ElementsAre(1, 2, 0));
}

}  // namespace
}  // namespace recd
