#include "eval/bundle_evaluator.h"

#include <cmath>

#include "gtest/gtest.h"
#include "test_util/fake_scorer.h"
#include "test_util/progress_capture.h"

namespace recd {
namespace {

// Items 0..5; the fake model prefers low ids. Histories are chosen so the
// test targets land at known ranks once history items are excluded.
struct Fixture {
  Dataset data;
  LeaveOneOutSplit split;
  std::shared_ptr<const ModelBundle> bundle;

  Fixture() {
    for (int i = 0; i < 6; ++i) data.items.GetOrAdd("i" + std::to_string(i));
    data.item_info.resize(6);
    for (int i = 0; i < 6; ++i) data.item_info[i].attributes = {i < 3 ? "low" : "high"};
    auto add_user = [&](const std::vector<int32_t>& items) {
      data.users.GetOrAdd("u" + std::to_string(data.histories.size()));
      std::vector<Event> h;
      for (int32_t it : items) h.push_back({it, EventType::kView, static_cast<int64_t>(h.size())});
      data.histories.push_back(h);
    };
    add_user({0, 1, 2, 3});  // test target 3: items 0,1,2 excluded -> rank 0
    add_user({0, 5, 1, 4});  // test target 4: 0,5,1 excluded; 2,3 above -> rank 2
    split = SplitLeaveOneOut(data);
    std::vector<std::unique_ptr<Scorer>> scorers;
    scorers.push_back(std::make_unique<FakeScorer>("m", std::vector<float>{6, 5, 4, 3, 2, 1}));
    FusionConfig fusion;
    fusion.weights = {{"m", 1.0}};
    bundle = ModelBundle::FromScorers(data.items, std::move(scorers), fusion);
  }
};

TEST(BundleEvaluatorTest, RanksTargetsAmongNonHistoryItems) {
  Fixture f;
  RankingPipeline pipeline(f.bundle, f.bundle->fusion());
  EvaluationOptions options;
  options.top_k = 3;
  const EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, options);
  ASSERT_EQ(report.models.size(), 2u);
  for (const ModelReport& m : report.models) {
    EXPECT_EQ(m.ranking.users, 2);
    EXPECT_DOUBLE_EQ(m.ranking.hr5, 1.0);
    EXPECT_DOUBLE_EQ(m.ranking.ndcg5, (1.0 + 1.0 / std::log2(4.0)) / 2);
    EXPECT_DOUBLE_EQ(m.ranking.mrr, (1.0 + 1.0 / 3) / 2);
  }
  EXPECT_EQ(report.models.back().name, "fusion");
  // Fused lists exclude history and follow the model's order.
  EXPECT_EQ(report.fused[0], (std::vector<int32_t>{3, 4, 5}));
  EXPECT_EQ(report.fused[1], (std::vector<int32_t>{2, 3, 4}));
}

TEST(BundleEvaluatorTest, ProgressCountsEveryEvaluatedUser) {
  Fixture f;
  RankingPipeline pipeline(f.bundle, f.bundle->fusion());
  testing_util::ProgressCapture progress;
  EvaluationOptions options;
  options.progress = progress.Factory();
  const EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, options);
  ASSERT_EQ(progress.steps().size(), 1u);
  EXPECT_EQ(progress.steps()[0].total, static_cast<int64_t>(report.users.size()));
  EXPECT_NE(progress.output().find("evaluated users: 100% 2/2 "), std::string::npos) << progress.output();
}

// Ranks 0 and 2, one target each: both hit at 5 and 10.
TEST(BundleEvaluatorTest, ReportsPrecisionRecallAndF1) {
  Fixture f;
  RankingPipeline pipeline(f.bundle, f.bundle->fusion());
  const EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, EvaluationOptions{});
  const nlohmann::json fusion = report.ToJson()["models"]["fusion"];
  EXPECT_DOUBLE_EQ(fusion["precision@5"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(fusion["precision@10"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(fusion["recall@10"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(fusion["F1@10"].get<double>(), 2.0 / 11);
  EXPECT_DOUBLE_EQ(fusion["F1@20"].get<double>(), 2.0 / 21);
  EXPECT_NE(report.ToTable().find("F1@10"), std::string::npos);
}

// On a catalog large enough for the candidate stage the fused line ranks
// what the daemon would answer; here every item is nominated, so the numbers
// must equal the full scan's.
TEST(BundleEvaluatorTest, RetrievingPipelineRanksLikeTheDaemon) {
  Fixture f;
  CandidateBuildOptions candidates;
  candidates.full_scan_max_items = 0;
  CandidateSearchOptions search;
  search.per_source = 2;
  auto stage = CandidateStage::Build(f.bundle, candidates);
  ASSERT_TRUE(stage.ok());
  RankingPipeline pipeline(f.bundle, f.bundle->fusion(), *stage, search);
  ASSERT_TRUE(pipeline.retrieves());
  EvaluationOptions options;
  options.top_k = 3;
  const EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, options);
  const ModelReport& fused = report.models.back();
  EXPECT_DOUBLE_EQ(fused.ranking.ndcg5, (1.0 + 1.0 / std::log2(4.0)) / 2);
  EXPECT_DOUBLE_EQ(fused.ranking.mrr, (1.0 + 1.0 / 3) / 2);
  EXPECT_EQ(report.fused[1], (std::vector<int32_t>{2, 3, 4}));
}

TEST(BundleEvaluatorTest, ValidationTargetUsesTrainHistoryOnly) {
  Fixture f;
  RankingPipeline pipeline(f.bundle, f.bundle->fusion());
  EvaluationOptions options;
  options.target = EvalTarget::kValidation;
  const EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, options);
  // user 0: history {0,1}, target 2 -> rank 0; user 1: history {0,5}, target 1 -> rank 0.
  EXPECT_DOUBLE_EQ(report.models[0].ranking.mrr, 1.0);
}

// Scores the item after the history's last one 1, the others less the
// higher their id: what an item's neighbours know, and nothing of the user.
class AfterLastItemScorer final : public Scorer {
 public:
  std::string_view name() const override { return "after"; }
  int32_t num_items() const override { return 6; }
  struct State : UserState {
    int32_t next = -1;
  };
  std::unique_ptr<UserState> Encode(const UserHistory& h) const override {
    auto s = std::make_unique<State>();
    if (!h.events.empty()) s->next = (h.events.back().item + 1) % 6;
    return s;
  }
  void ScoreAll(const UserState& state, std::span<float> out) const override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = 0.1f * static_cast<float>(6 - i);
    const int32_t next = static_cast<const State&>(state).next;
    if (next >= 0) out[static_cast<size_t>(next)] = 1.0f;
  }
};

TEST(BundleEvaluatorTest, FromTheLastItemRanksAsSimilarItemsWithItsProfile) {
  Fixture f;
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m", std::vector<float>{6, 5, 4, 3, 2, 1}));
  scorers.push_back(std::make_unique<AfterLastItemScorer>());
  FusionConfig fusion;
  fusion.weights = {{"m", 1.0}};
  fusion.profiles["similar"] = {{"after", 1.0}};
  auto bundle = ModelBundle::FromScorers(f.data.items, std::move(scorers), fusion);
  EvaluationOptions options;
  options.from_last_item = true;
  // Only the last item is left out: user 0 asks from 2 for 3, user 1 from 1
  // for 4. m ranks 0, 1, 3 (3rd) and 0, 2, 3, 4 (4th).
  const double m_mrr = (1.0 / 3 + 1.0 / 4) / 2;
  // The item after: 3 first for user 0; 2, then 0, 3, 4 for user 1.
  const double after_mrr = (1.0 + 1.0 / 4) / 2;
  {
    RankingPipeline pipeline(bundle, bundle->fusion());  // no profile named: the weights
    const EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, options);
    ASSERT_EQ(report.models.size(), 3u);
    EXPECT_DOUBLE_EQ(report.models[0].ranking.mrr, m_mrr);
    EXPECT_DOUBLE_EQ(report.models[1].ranking.mrr, after_mrr);
    EXPECT_DOUBLE_EQ(report.models[2].ranking.mrr, m_mrr);
  }
  fusion.similar_profile = "similar";
  RankingPipeline pipeline(bundle, fusion);
  EvaluationReport report = EvaluateBundle(pipeline, f.data, f.split, options);
  EXPECT_DOUBLE_EQ(report.models[2].ranking.mrr, after_mrr);
  EXPECT_EQ(report.fused[0].front(), 3);
  // A user whose target repeats their last item is not asked: SimilarItems
  // never returns the item asked about.
  Dataset with_repeat = f.data;
  with_repeat.users.GetOrAdd("u2");
  with_repeat.histories.push_back({{0, EventType::kView, 0}, {2, EventType::kView, 1}, {2, EventType::kPurchase, 2}});
  EXPECT_EQ(EvaluateBundle(pipeline, with_repeat, SplitLeaveOneOut(with_repeat), options).users.size(), 2u);
  // From the whole history the profile is not used.
  options.from_last_item = false;
  report = EvaluateBundle(pipeline, f.data, f.split, options);
  EXPECT_DOUBLE_EQ(report.models[2].ranking.mrr, (1.0 + 1.0 / 3) / 2);
}

TEST(BundleEvaluatorTest, JsonNamesEveryModelAndMetric) {
  Fixture f;
  RankingPipeline pipeline(f.bundle, f.bundle->fusion());
  const auto json = EvaluateBundle(pipeline, f.data, f.split, {}).ToJson();
  for (const char* metric : {"HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20", "MRR"}) {
    EXPECT_TRUE(json["models"]["m"].contains(metric)) << metric;
    EXPECT_TRUE(json["models"]["fusion"].contains(metric)) << metric;
  }
}

TEST(BundleEvaluatorTest, TopKAgreementIsTheShareOfTheReferenceTopKFound) {
  EvaluationReport reference, ranked;
  reference.users = ranked.users = {0, 1, 2};
  reference.fused = {{1, 2, 3, 9}, {4, 5}, {}};
  ranked.fused = {{3, 7, 1, 2}, {6, 4}, {8}};
  // k = 3: user 0 found 1 and 3 of {1, 2, 3} (2 is 4th), user 1 found 4 of
  // {4, 5}; user 2 has no reference list and is not counted.
  auto agreement = MeanTopKAgreement(ranked, reference, 3);
  ASSERT_TRUE(agreement.ok()) << agreement.status();
  EXPECT_DOUBLE_EQ(*agreement, (2.0 / 3 + 1.0 / 2) / 2);
  EXPECT_DOUBLE_EQ(*MeanTopKAgreement(reference, reference, 3), 1.0);

  ranked.users = {0, 1, 3};
  EXPECT_EQ(MeanTopKAgreement(ranked, reference, 3).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace recd
