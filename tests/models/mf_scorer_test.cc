#include "models/mf_scorer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/block_dataset.h"
#include "train/als_trainer.h"

namespace recd {
namespace {

using ::recd::testing_util::BlockDataset;
using ::recd::testing_util::MakeBlockDataset;

// A model trained with exact solves on 3 groups x 10 items. F exceeds the
// planted rank; the penalty keeps the spare dimensions from fitting noise.
struct Trained {
  BlockDataset blocks;
  AlsModel model;
  std::unique_ptr<MfScorer> scorer;
};

Trained TrainBlocks(uint64_t seed) {
  Trained t;
  t.blocks = MakeBlockDataset(3, 20, 10, 5, seed);
  AlsOptions o;
  o.factors = 8;
  o.regularization = 5.0f;
  o.iterations = 10;
  o.solver = AlsSolver::kCholesky;
  o.recency_decay = 1.0f;  // block histories have no order to exploit
  auto model = TrainAls(t.blocks.data, o);
  EXPECT_TRUE(model.ok()) << model.status();
  t.model = std::move(*model);
  auto scorer = MfScorer::Create(t.model.item_factors, t.model.fold_in, t.model.user_factors);
  EXPECT_TRUE(scorer.ok()) << scorer.status();
  t.scorer = std::move(*scorer);
  return t;
}

std::vector<float> ScoreAll(const MfScorer& scorer, std::span<const Event> events) {
  std::vector<float> scores(static_cast<size_t>(scorer.num_items()));
  scorer.ScoreAll(*scorer.Encode(UserHistory{events, -1}), scores);
  return scores;
}

std::vector<int32_t> TopK(const std::vector<float>& scores, size_t k) {
  std::vector<int32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  order.resize(k);
  return order;
}

TEST(MfScorerTest, FoldInOfTrainingUserReproducesTrainedFactor) {
  const Trained t = TrainBlocks(11);
  for (int32_t u = 0; u < t.blocks.data.num_users(); ++u) {
    const Eigen::VectorXf folded = t.scorer->FoldIn(t.blocks.data.histories[u]);
    const Eigen::VectorXf trained = t.model.user_factors.row(u).transpose();
    EXPECT_LT((folded - trained).norm(), 1e-4f * (1.0f + trained.norm())) << "user " << u;
    const std::vector<float> scores = ScoreAll(*t.scorer, t.blocks.data.histories[u]);
    const Eigen::VectorXf trained_scores = t.model.item_factors * trained;
    EXPECT_EQ(TopK(scores, 10),
              TopK(std::vector<float>(trained_scores.begin(), trained_scores.end()), 10))
        << "user " << u;
  }
}

TEST(MfScorerTest, ShortHistoryFoldInMatchesTheDirectSolve) {
  // Histories shorter than F/2 take the Woodbury path; it must agree with
  // the trainer's direct Cholesky solve.
  const Trained t = TrainBlocks(19);
  for (int32_t u = 0; u < 6; ++u) {
    const auto history = std::span<const Event>(t.blocks.data.histories[u]).first(1 + u % 3);
    const Eigen::VectorXf folded = t.scorer->FoldIn(history);
    Eigen::VectorXf direct(t.scorer->factors());
    SolveRowCholesky(t.scorer->item_factors().transpose() * t.scorer->item_factors(),
                     t.scorer->fold_in().regularization, t.scorer->item_factors(),
                     AggregateConfidences(history, t.scorer->fold_in(), t.scorer->num_items()),
                     direct);
    EXPECT_LT((folded - direct).norm(), 1e-4f * (1.0f + direct.norm())) << "user " << u;
  }
}

TEST(MfScorerTest, LongHistoryWithDecayedEventsMatchesTheDirectSolve) {
  // 40 events at recency decay 0.01: all but the newest few have confidence
  // 1 to float precision and stay out of the Woodbury system (so it is used
  // at all with 8 factors), which must still agree with the direct solve
  // over every observation.
  const Trained t = TrainBlocks(23);
  std::vector<Event> history;
  for (int i = 0; i < 40; ++i) history.push_back({(i * 7) % t.scorer->num_items(), EventType::kView, i});
  MfFoldIn fold_in = t.scorer->fold_in();
  fold_in.recency_decay = 0.01f;
  auto decayed = MfScorer::Create(RowMatrixXf(t.scorer->item_factors()), fold_in);
  ASSERT_TRUE(decayed.ok());
  const auto obs = AggregateConfidences(history, fold_in, (*decayed)->num_items());
  const auto weighted =
      std::count_if(obs.begin(), obs.end(), [](const Observation& o) { return o.confidence > 1.0f + 1e-6f; });
  EXPECT_GT(static_cast<int64_t>(obs.size()), weighted);
  EXPECT_LE(2 * weighted, (*decayed)->factors());  // the Woodbury path
  const Eigen::VectorXf folded = (*decayed)->FoldIn(history);
  Eigen::VectorXf direct((*decayed)->factors());
  SolveRowCholesky((*decayed)->item_factors().transpose() * (*decayed)->item_factors(), fold_in.regularization,
                   (*decayed)->item_factors(), obs, direct);
  EXPECT_LT((folded - direct).norm(), 1e-4f * (1.0f + direct.norm()));
}

TEST(MfScorerTest, NewUserWithTwoClicksGetsTheirBlockOnTop) {
  const Trained t = TrainBlocks(12);
  // Two clicks in block 1 (items 10..19).
  const std::vector<Event> clicks = {{13, EventType::kView, 0}, {17, EventType::kView, 1}};
  const std::vector<float> scores = ScoreAll(*t.scorer, clicks);
  for (int32_t i : TopK(scores, 10)) EXPECT_EQ(t.blocks.GroupOfItem(i), 1) << "item " << i;
}

TEST(MfScorerTest, EncodeIgnoresTheUserIdAndUsesOnlyTheHistory) {
  const Trained t = TrainBlocks(13);
  const auto& h = t.blocks.data.histories[4];
  auto as_known = t.scorer->Encode(UserHistory{h, 4});
  auto as_new = t.scorer->Encode(UserHistory{h, -1});
  EXPECT_EQ(static_cast<const MfScorer::State&>(*as_known).factor,
            static_cast<const MfScorer::State&>(*as_new).factor);
}

TEST(MfScorerTest, EmptyOrUnknownHistoryGivesZeroScores) {
  const Trained t = TrainBlocks(14);
  const std::vector<Event> unknown = {{1000, EventType::kView, 0}, {-3, EventType::kView, 1}};
  for (float s : ScoreAll(*t.scorer, unknown)) EXPECT_EQ(s, 0.0f);
  for (float s : ScoreAll(*t.scorer, {})) EXPECT_EQ(s, 0.0f);
}

TEST(MfScorerTest, ScoreCandidatesMatchesScoreAll) {
  const Trained t = TrainBlocks(15);
  auto state = t.scorer->Encode(UserHistory{t.blocks.data.histories[2], 2});
  std::vector<float> all(static_cast<size_t>(t.scorer->num_items()));
  t.scorer->ScoreAll(*state, all);
  const std::vector<int32_t> candidates = {29, 0, 5, 5, 17};
  std::vector<float> out(candidates.size());
  t.scorer->ScoreCandidates(*state, candidates, out);
  for (size_t i = 0; i < candidates.size(); ++i) {
    EXPECT_FLOAT_EQ(out[i], all[static_cast<size_t>(candidates[i])]);
  }
}

TEST(MfScorerTest, RecentClicksOutweighOlderOnes) {
  const Trained t = TrainBlocks(20);
  MfFoldIn fold_in = t.model.fold_in;
  fold_in.recency_decay = 0.5f;
  auto scorer = MfScorer::Create(t.model.item_factors, fold_in);
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  // Two old clicks in block 0, then two recent ones in block 2.
  const std::vector<Event> clicks = {{1, EventType::kView, 0},
                                     {4, EventType::kView, 1},
                                     {22, EventType::kView, 2},
                                     {27, EventType::kView, 3}};
  std::vector<float> scores = ScoreAll(**scorer, clicks);
  for (const Event& e : clicks) scores[e.item] = -1e30f;  // rank unseen items only
  for (int32_t i : TopK(scores, 5)) EXPECT_EQ(t.blocks.GroupOfItem(i), 2) << "item " << i;
}

TEST(MfScorerTest, StrongerEventsPullTheFactorFurther) {
  const Trained t = TrainBlocks(16);
  const Eigen::VectorXf view = t.scorer->FoldIn(std::vector<Event>{{3, EventType::kView, 0}});
  const Eigen::VectorXf buy =
      t.scorer->FoldIn(std::vector<Event>{{3, EventType::kPurchase, 0}});
  const Eigen::VectorXf y = t.model.item_factors.row(3).transpose();
  EXPECT_GT(buy.dot(y), view.dot(y));
}

TEST(MfScorerTest, CreateRejectsNonFiniteFactors) {
  RowMatrixXf y = RowMatrixXf::Ones(4, 2);
  y(2, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(MfScorer::Create(y, MfFoldIn{}).ok());
}

TEST(MfScorerTest, CreateRejectsUserFactorsOfAnotherWidth) {
  EXPECT_FALSE(MfScorer::Create(RowMatrixXf::Ones(4, 2), MfFoldIn{}, RowMatrixXf::Ones(3, 5)).ok());
}

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("recd_mf_test_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(MfScorerTest, SaveLoadRoundTripGivesIdenticalScores) {
  const Trained t = TrainBlocks(17);
  const std::string dir = TempDir("roundtrip");
  ModelManifest base;
  base.metrics["NDCG@10"] = 0.5;
  ASSERT_TRUE(t.scorer->Save(dir, base).ok());
  auto loaded = MfScorer::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->factors(), 8);
  EXPECT_EQ((*loaded)->fold_in().alpha, t.scorer->fold_in().alpha);
  EXPECT_EQ((*loaded)->fold_in().regularization, t.scorer->fold_in().regularization);
  EXPECT_EQ((*loaded)->user_factors(), t.model.user_factors);
  for (int32_t u = 0; u < t.blocks.data.num_users(); ++u) {
    const auto& h = t.blocks.data.histories[u];
    EXPECT_EQ(ScoreAll(**loaded, h), ScoreAll(*t.scorer, h)) << "user " << u;
  }
}

// Saves a block model to a fresh dir and replaces `from` by `to` in its
// manifest.json (tensor checksums do not cover the manifest's own fields).
std::string SaveWithEditedManifest(const std::string& name, const std::string& from,
                                   const std::string& to) {
  const Trained t = TrainBlocks(18);
  const std::string dir = TempDir(name);
  EXPECT_TRUE(t.scorer->Save(dir, {}).ok());
  const std::string manifest = dir + "/manifest.json";
  std::ifstream in(manifest);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  std::ofstream(manifest) << text;
  return dir;
}

TEST(MfScorerTest, LoadRejectsAnotherModelType) {
  const std::string dir = SaveWithEditedManifest("wrong_type", "\"mf\"", "\"lstm\"");
  EXPECT_FALSE(MfScorer::Load(dir).ok());
}

TEST(MfScorerTest, LoadRejectsMissingFoldInParamNamingIt) {
  const std::string dir = SaveWithEditedManifest("no_alpha", "\"alpha\"", "\"alpha_old\"");
  auto loaded = MfScorer::Load(dir);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find("\"alpha\""), std::string::npos)
      << loaded.status();
}

}  // namespace
}  // namespace recd
