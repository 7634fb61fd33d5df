#include "ranking/ranking_pipeline.h"

#include <atomic>

#include "absl/synchronization/notification.h"

#include "gmock/gmock.h"
#include "retrieval/candidate_stage.h"
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

FusionConfig MinMaxWeights(double w1, double w2) {
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
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 0)).Rank(req)), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), MinMaxWeights(0, 1)).Rank(req)), ElementsAre(3, 2, 1, 0));
}

TEST(RankingPipelineTest, HistoryAndExcludedItemsNeverReturn) {
  std::vector<Event> history = {{0, EventType::kView, 1}};
  RankRequest req;
  req.history.events = history;
  req.exclude = {3};
  req.k = 10;
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 0)).Rank(req)), ElementsAre(1, 2));
}

TEST(RankingPipelineTest, KLimitsTheAnswer) {
  RankRequest req;
  req.k = 2;
  EXPECT_EQ(RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 1)).Rank(req).items.size(), 2u);
}

TEST(RankingPipelineTest, CandidatesRestrictTheRanking) {
  RankRequest req;
  req.k = 10;
  req.candidates = {2, 0};
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 0)).Rank(req)), ElementsAre(0, 2));
}

TEST(RankingPipelineTest, CandidatesOnTheCatalogScaleKeepTheCatalogOrderAndScores) {
  // minmax over {a, b} alone would give m2 the same spread as m1 and turn
  // the order; over the catalog m2's 10 for d squeezes its spread.
  RankRequest all;
  all.k = 4;
  const auto pipeline = RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 1));
  const RankingResult catalog = pipeline.Rank(all);
  RankRequest some;
  some.k = 2;
  some.candidates = {1, 0};
  some.catalog_scale = true;
  const RankingResult ranked = pipeline.Rank(some);
  ASSERT_THAT(Ids(ranked), ElementsAre(0, 1));
  for (const RankedItem& r : ranked.items) {
    for (const RankedItem& c : catalog.items) {
      if (c.item == r.item) {
        EXPECT_EQ(c.score, r.score);
      }
    }
  }
  // On the candidates' own scale both models span 0..1: a tie, which the
  // list's order breaks, b first. Not the catalog's order.
  some.catalog_scale = false;
  EXPECT_THAT(Ids(pipeline.Rank(some)), ElementsAre(1, 0));
}

TEST(RankingPipelineTest, ProfileWeightsReplaceTheUsualOnes) {
  FusionConfig fusion = MinMaxWeights(1, 0);
  fusion.profiles["m2only"] = {{"m2", 1.0}};
  RankRequest req;
  req.k = 4;
  req.profile = "m2only";
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), fusion).Rank(req)), ElementsAre(3, 2, 1, 0));
  req.profile.clear();
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), fusion).Rank(req)), ElementsAre(0, 1, 2, 3));
}

TEST(RankingPipelineTest, ProfileRequestKeepsNoTopList) {
  FusionConfig fusion = MinMaxWeights(1, 0);
  fusion.profiles["m2only"] = {{"m2", 1.0}};
  RankRequest req;
  req.k = 2;
  req.keep_top = 4;
  req.profile = "m2only";
  const RankingPipeline pipeline(TwoModelBundle(), fusion);
  EXPECT_EQ(pipeline.Rank(req).top, nullptr);
  req.profile.clear();
  const auto top = pipeline.Rank(req).top;
  ASSERT_NE(top, nullptr);
  req.profile = "m2only";
  EXPECT_FALSE(pipeline.SelectFromTop(req, *top).has_value());
}

TEST(RankingPipelineTest, ExplainedContributionsSumToTheScore) {
  RankRequest req;
  req.k = 4;
  req.explain = true;
  const auto result = RankingPipeline(TwoModelBundle(), MinMaxWeights(0.7, 0.3)).Rank(req);
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
  const auto result = RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 0)).Rank(req);
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
                           MinMaxWeights(1, 1));
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
      MinMaxWeights(1, 1));
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
  RankingPipeline pipeline(TwoModelBundle(), MinMaxWeights(0.3, 0.7));
  RankRequest req;
  req.k = 4;
  ScoringOptions options;
  options.pool = &pool;
  EXPECT_EQ(Ids(pipeline.Rank(req, options)), Ids(pipeline.Rank(req)));
  EXPECT_TRUE(pipeline.Rank(req, options).degraded.empty());
}

// With the user's states given, what is left of a model is bounded work,
// and the request's own thread does it when the pool is busy instead of
// timing out in the pool's queue.
TEST(RankingPipelineTest, GivenStatesRunOnTheRequestThreadWhenThePoolIsBusy) {
  ThreadPool pool(1);
  absl::Notification release;
  pool.Submit([&] { release.WaitForNotification(); });  // the pool's only thread is taken
  RankingPipeline pipeline(TwoModelBundle(), MinMaxWeights(0.3, 0.7));
  RankRequest req;
  req.k = 4;
  req.states = pipeline.EncodeAll(req.history);
  ScoringOptions options;
  options.pool = &pool;
  options.budget = [](std::string_view) { return absl::Milliseconds(50); };
  const RankingResult busy = pipeline.Rank(req, options);
  EXPECT_TRUE(busy.degraded.empty());
  EXPECT_EQ(Ids(busy), Ids(pipeline.Rank(req)));
  // Without states the models must encode: their tasks wait in the queue
  // and are left out at their budget.
  req.states.clear();
  const RankingResult queued = pipeline.Rank(req, options);
  EXPECT_THAT(queued.degraded, ElementsAre("m1", "m2"));
  release.Notify();
}

TEST(RankingPipelineTest, RulesFilterItems) {
  RankRequest req;
  req.k = 4;
  req.allowed = [](int32_t item) { return item % 2 == 1; };
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 0)).Rank(req)), ElementsAre(1, 3));
}

TEST(RankingPipelineTest, DiversityCapLimitsItemsPerGroup) {
  RankRequest req;
  req.k = 3;
  req.max_per_group = 1;
  req.group_of = [](int32_t item) { return item < 2 ? 0 : 1; };  // {0,1} and {2,3}
  // Best two (0 and 1) share a group, so 1 gives way to 2; only 2 groups exist.
  EXPECT_THAT(Ids(RankingPipeline(TwoModelBundle(), MinMaxWeights(1, 0)).Rank(req)), ElementsAre(0, 2));
}

// A bundle whose weighted models all fail, with or without a popularity
// model beside them.
std::shared_ptr<const ModelBundle> FailingBundle(bool with_pop) {
  IdMap items;
  for (const char* id : {"a", "b", "c", "d"}) items.GetOrAdd(id);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FailingScorer>("m1", std::vector<float>(4)));
  scorers.push_back(std::make_unique<FailingScorer>("m2", std::vector<float>(4)));
  if (with_pop) scorers.push_back(std::make_unique<FakeScorer>("pop", std::vector<float>{1, 9, 5, 7}));
  return ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
}

TEST(RankingPipelineTest, AllModelsFailingAnswersFromPopularityNotUnscoredItems) {
  RankRequest req;
  req.k = 3;
  req.explain = true;
  const auto result = RankingPipeline(FailingBundle(true), MinMaxWeights(1, 1)).Rank(req);
  EXPECT_TRUE(result.fallback);
  EXPECT_THAT(result.degraded, ElementsAre("m1", "m2"));
  EXPECT_THAT(result.models, ElementsAre("pop"));
  EXPECT_THAT(Ids(result), ElementsAre(1, 3, 2));  // popularity order, not item order
  for (const auto& item : result.items) EXPECT_NEAR(item.score, item.normalized[0], 1e-6);
}

TEST(RankingPipelineTest, PopularityFallbackRanksOnlyTheCandidates) {
  RankRequest req;
  req.k = 4;
  req.candidates = {0, 2};
  for (bool catalog_scale : {false, true}) {
    req.catalog_scale = catalog_scale;
    const auto result = RankingPipeline(FailingBundle(true), MinMaxWeights(1, 1)).Rank(req);
    EXPECT_TRUE(result.fallback);
    EXPECT_THAT(Ids(result), ElementsAre(2, 0));
  }
}

TEST(RankingPipelineTest, AllModelsFailingWithoutPopularityAnswersNothing) {
  RankRequest req;
  req.k = 3;
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), new ThreadPool(2)}) {
    ScoringOptions options;
    options.pool = pool;
    const auto result = RankingPipeline(FailingBundle(false), MinMaxWeights(1, 1)).Rank(req, options);
    EXPECT_TRUE(result.fallback);
    EXPECT_TRUE(result.items.empty());
    EXPECT_TRUE(result.models.empty());
    delete pool;
  }
}

TEST(RankingPipelineTest, WeightedPopularityThatFailedIsNoFallback) {
  IdMap items;
  for (const char* id : {"a", "b"}) items.GetOrAdd(id);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FailingScorer>("pop", std::vector<float>(2)));
  FusionConfig fusion;
  fusion.weights = {{"pop", 1.0}};
  RankRequest req;
  req.k = 2;
  const auto result =
      RankingPipeline(ModelBundle::FromScorers(std::move(items), std::move(scorers), {}), fusion).Rank(req);
  EXPECT_TRUE(result.fallback);
  EXPECT_TRUE(result.items.empty());
}

// A scorer that sleeps in Encode and counts its calls and finished sleeps.
class SleepingScorer : public FakeScorer {
 public:
  SleepingScorer(std::string name, std::vector<float> scores, absl::Duration sleep)
      : FakeScorer(std::move(name), std::move(scores)), sleep_(sleep) {}
  std::unique_ptr<UserState> Encode(const UserHistory& h) const override {
    ++started;
    absl::SleepFor(sleep_);
    ++finished;
    return FakeScorer::Encode(h);
  }
  mutable std::atomic<int> started{0};
  mutable std::atomic<int> finished{0};

 private:
  absl::Duration sleep_;
};

TEST(RankingPipelineTest, SleepingModelNeitherHoldsTheAnswerNorRunsForAGoneRequest) {
  auto sleeper = std::make_unique<SleepingScorer>("m2", std::vector<float>{1, 2, 3, 10}, absl::Milliseconds(300));
  const SleepingScorer* m2 = sleeper.get();
  RankingPipeline pipeline(BundleWith(std::move(sleeper)), MinMaxWeights(1, 1));
  std::atomic<int64_t> skipped{0};
  {
    ThreadPool pool(1);  // one scorer thread: the second request's tasks queue behind the sleeper
    ScoringOptions options;
    options.pool = &pool;
    options.skipped_tasks = &skipped;
    options.budget = [](std::string_view) { return absl::Milliseconds(30); };
    RankRequest req;
    req.k = 4;
    const auto first = pipeline.Rank(req, options);
    EXPECT_EQ(m2->finished.load(), 0) << "the answer waited for the sleeping model";
    EXPECT_THAT(first.degraded, ElementsAre("m2"));
    EXPECT_THAT(Ids(first), ElementsAre(0, 1, 2, 3));
    const auto second = pipeline.Rank(req, options);
    EXPECT_THAT(second.degraded, ElementsAre("m1", "m2"));  // both queued behind the sleeper
    EXPECT_TRUE(second.fallback);
  }  // the pool drains: the second request's tasks start after it answered
  EXPECT_EQ(m2->started.load(), 1);
  EXPECT_EQ(skipped.load(), 2);
}

TEST(RankingPipelineTest, SlowModelIsNotWaitedForPastItsOwnBudget) {
  auto sleeper = std::make_unique<SleepingScorer>("m2", std::vector<float>{1, 2, 3, 10}, absl::Milliseconds(300));
  const SleepingScorer* m2 = sleeper.get();
  RankingPipeline pipeline(BundleWith(std::move(sleeper)), MinMaxWeights(1, 1));
  ThreadPool pool(2);
  ScoringOptions options;
  options.pool = &pool;
  // m1 may take long but is quick; m2 may take 30 ms but sleeps 300.
  options.budget = [](std::string_view m) { return m == "m2" ? absl::Milliseconds(30) : absl::Seconds(10); };
  RankRequest req;
  req.k = 4;
  const auto result = pipeline.Rank(req, options);
  EXPECT_EQ(m2->finished.load(), 0) << "the answer waited for m2 past its budget";
  EXPECT_THAT(result.degraded, ElementsAre("m2"));
}

TEST(RankingPipelineTest, TasksStartingAfterTheDeadlineAreSkipped) {
  auto sleeper = std::make_unique<SleepingScorer>("m2", std::vector<float>{1, 2, 3, 10}, absl::Milliseconds(0));
  const SleepingScorer* m2 = sleeper.get();
  RankingPipeline pipeline(BundleWith(std::move(sleeper)), MinMaxWeights(1, 1));
  ThreadPool pool(1);
  ScoringOptions options;
  options.pool = &pool;
  options.deadline = absl::Now() - absl::Milliseconds(1);
  RankRequest req;
  req.k = 4;
  const auto result = pipeline.Rank(req, options);
  EXPECT_EQ(m2->started.load(), 0);
  EXPECT_TRUE(result.items.empty());
  EXPECT_TRUE(result.fallback);
  EXPECT_TRUE(result.models.empty());
}

TEST(RankingPipelineTest, LatePopularityStillServesAsTheFallback) {
  IdMap items;
  for (const char* id : {"a", "b", "c"}) items.GetOrAdd(id);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FailingScorer>("m1", std::vector<float>(3)));
  scorers.push_back(std::make_unique<SlowScorer>("pop", std::vector<float>{1, 3, 2}, absl::Milliseconds(200)));
  FusionConfig fusion;
  fusion.weights = {{"m1", 1.0}, {"pop", 0.1}};
  RankingPipeline pipeline(ModelBundle::FromScorers(std::move(items), std::move(scorers), {}), fusion);
  ThreadPool pool(2);
  ScoringOptions options;
  options.pool = &pool;
  options.budget = [](std::string_view) { return absl::Milliseconds(20); };
  RankRequest req;
  req.k = 3;
  const auto result = pipeline.Rank(req, options);
  EXPECT_TRUE(result.fallback);
  EXPECT_THAT(result.degraded, ElementsAre("m1", "pop"));
  EXPECT_THAT(Ids(result), ElementsAre(1, 2, 0));
}

// 100 items scored 100, 99, ... by one model, with a candidate stage that
// nominates from an exact scan (fakes have no index).
RankingPipeline RetrievingPipeline(int per_source) {
  IdMap items;
  std::vector<float> scores;
  for (int i = 0; i < 100; ++i) {
    items.GetOrAdd("i" + std::to_string(i));
    scores.push_back(static_cast<float>(100 - i));
  }
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m1", scores));
  auto bundle = ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
  CandidateBuildOptions build;
  build.full_scan_max_items = 10;
  build.ann = false;
  auto stage = CandidateStage::Build(bundle, build);
  EXPECT_TRUE(stage.ok()) << stage.status();
  CandidateSearchOptions search;
  search.per_source = per_source;
  return RankingPipeline(bundle, MinMaxWeights(1, 0), *stage, search);
}

TEST(RankingPipelineTest, NarrowRuleWidensNominationsBeforeScanning) {
  const RankingPipeline pipeline = RetrievingPipeline(1);
  ASSERT_TRUE(pipeline.retrieves());
  RankRequest req;
  req.k = 3;
  req.allowed = [](int32_t item) { return item >= 40 && item % 2 == 0; };  // first reached at depth 48
  EXPECT_THAT(Ids(pipeline.Rank(req)), ElementsAre(40, 42, 44));
}

TEST(RankingPipelineTest, RuleBeyondEveryNominationScoresABoundedSliceOfTheAllowedItems) {
  const RankingPipeline pipeline = RetrievingPipeline(1);
  RankRequest req;
  req.k = 5;
  req.allowed = [](int32_t item) { return item >= 90; };  // nominations reach 80 deep at most
  EXPECT_THAT(Ids(pipeline.Rank(req)), ElementsAre(90, 91, 92, 93, 94));
  req.max_rule_scan_items = 3;
  EXPECT_THAT(Ids(pipeline.Rank(req)), ElementsAre(90, 91, 92));  // short, not a catalog scan
}

// 40 items scored by two models in different orders, whole-catalog or
// retrieving `per_source` per model.
RankingPipeline TwoOrderPipeline(int per_source, FusionConfig fusion = MinMaxWeights(0.6, 0.4)) {
  IdMap items;
  std::vector<float> up;
  std::vector<float> zigzag;
  for (int i = 0; i < 40; ++i) {
    items.GetOrAdd("i" + std::to_string(i));
    up.push_back(static_cast<float>(i));
    zigzag.push_back(static_cast<float>((i * 17) % 40));
  }
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m1", up));
  scorers.push_back(std::make_unique<FakeScorer>("m2", zigzag));
  auto bundle = ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
  if (per_source == 0) return RankingPipeline(bundle, fusion);
  CandidateBuildOptions build;
  build.full_scan_max_items = 10;
  build.ann = false;
  auto stage = CandidateStage::Build(bundle, build);
  EXPECT_TRUE(stage.ok()) << stage.status();
  CandidateSearchOptions search;
  search.per_source = per_source;
  return RankingPipeline(bundle, fusion, *stage, search);
}

// Requests with every kind of rule, over one history.
std::vector<RankRequest> RuleVariants(std::span<const Event> history) {
  std::vector<RankRequest> requests(5);
  for (RankRequest& r : requests) {
    r.history.events = history;
    r.k = 5;
    r.explain = true;
  }
  requests[1].exclude = {38, 35};
  requests[2].allowed = [](int32_t item) { return item % 3 != 0; };
  requests[3].max_per_group = 2;
  requests[3].group_of = [](int32_t item) { return item % 4; };
  requests[4].k = 12;
  return requests;
}

void ExpectSameAnswer(const RankingResult& got, const RankingResult& want) {
  EXPECT_EQ(got.models, want.models);
  ASSERT_EQ(Ids(got), Ids(want));
  for (size_t i = 0; i < got.items.size(); ++i) {
    EXPECT_EQ(got.items[i].score, want.items[i].score);
    EXPECT_EQ(got.items[i].raw, want.items[i].raw);
    EXPECT_EQ(got.items[i].normalized, want.items[i].normalized);
  }
}

TEST(RankingPipelineTest, TopListAnswersEveryRuleAsTheFullPipelineDoes) {
  const std::vector<Event> history = {{39, EventType::kView, 1}, {7, EventType::kCart, 2}};
  for (int per_source : {0, 15}) {
    const RankingPipeline pipeline = TwoOrderPipeline(per_source);
    RankRequest keeper = RuleVariants(history)[0];
    keeper.keep_top = 20;
    const RankingResult kept = pipeline.Rank(keeper);
    ASSERT_NE(kept.top, nullptr);
    EXPECT_EQ(kept.top->items.size(), 20u);
    for (const RankRequest& request : RuleVariants(history)) {
      const std::optional<RankingResult> from_top = pipeline.SelectFromTop(request, *kept.top);
      ASSERT_TRUE(from_top.has_value()) << "per_source " << per_source << ", k " << request.k;
      ExpectSameAnswer(*from_top, pipeline.Rank(request));
    }
  }
}

TEST(RankingPipelineTest, TopListOfAnotherPipelineOrDepthDoesNotServe) {
  const std::vector<Event> history = {{39, EventType::kView, 1}};
  const RankingPipeline pipeline = TwoOrderPipeline(15);
  RankRequest request = RuleVariants(history)[0];
  request.keep_top = 20;
  const auto top = pipeline.Rank(request).top;
  ASSERT_NE(top, nullptr);
  EXPECT_FALSE(TwoOrderPipeline(15, MinMaxWeights(0.2, 0.8)).SelectFromTop(request, *top).has_value());
  request.exclude.assign(20, 1);  // nominates deeper: another union, other normalisation
  EXPECT_FALSE(pipeline.SelectFromTop(request, *top).has_value());
}

TEST(RankingPipelineTest, TopListShortOfKUnderARuleDefersToThePipeline) {
  const RankingPipeline pipeline = TwoOrderPipeline(0);
  RankRequest request;
  request.k = 3;
  request.keep_top = 4;
  const auto top = pipeline.Rank(request).top;
  ASSERT_NE(top, nullptr);
  request.allowed = [](int32_t item) { return item < 10; };  // none of the best four
  EXPECT_FALSE(pipeline.SelectFromTop(request, *top).has_value());
  EXPECT_EQ(pipeline.Rank(request).items.size(), 3u);
}

TEST(RankingPipelineTest, NoTopListIsKeptWhenAModelIsLeftOut) {
  RankingPipeline pipeline(BundleWith(std::make_unique<FailingScorer>("m2", std::vector<float>(4))),
                           MinMaxWeights(1, 1));
  RankRequest request;
  request.k = 2;
  request.keep_top = 4;
  const RankingResult result = pipeline.Rank(request);
  EXPECT_THAT(result.degraded, ElementsAre("m2"));
  EXPECT_EQ(result.top, nullptr);
}

TEST(TopKTest, BreaksTiesByPosition) {
  std::vector<float> s = {1, 2, 2, 0};
  EXPECT_THAT(TopK(s, 3, std::vector<bool>(4, false)), ElementsAre(1, 2, 0));
}

// The list holds k items' worth of memory, not the catalog's: recd-eval
// keeps one per user and model.
TEST(TopKTest, TheListIsSizedForKNotTheCatalog) {
  const std::vector<float> s(100000, 1.0f);
  const std::vector<int32_t> top = TopK(s, 10, std::vector<bool>(s.size(), false));
  EXPECT_EQ(top.size(), 10u);
  EXPECT_LT(top.capacity(), 100u);
}

}  // namespace
}  // namespace recd
