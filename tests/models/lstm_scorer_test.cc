#include "models/lstm_scorer.h"

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

std::vector<Event> TimedPurchases(const std::vector<int32_t>& items) {
  std::vector<Event> events;
  for (size_t i = 0; i < items.size(); ++i) {
    events.push_back(Event{items[i], EventType::kPurchase, static_cast<int64_t>(i)});
  }
  return events;
}

LstmWeights RandomWeights(int32_t items, int e, int h, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  LstmWeights w = LstmWeights::Zeros(items, e, h);
  for (auto* m : {&w.item_embedding, &w.weight_ih, &w.weight_hh, &w.output_weight}) {
    for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = normal(rng);
  }
  for (auto* v : {&w.bias_ih, &w.bias_hh, &w.output_bias}) {
    for (Eigen::Index i = 0; i < v->size(); ++i) (*v)[i] = normal(rng);
  }
  return w;
}

const LstmState& AsLstm(const UserState& s) { return static_cast<const LstmState&>(s); }

double Sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(LstmScorerTest, ForwardMatchesHandComputedGates) {
  // E = H = 1, two items. Gate rows in PyTorch order: i, f, g, o.
  LstmWeights w = LstmWeights::Zeros(2, 1, 1);
  w.item_embedding << 0.5f, -1.0f;
  w.weight_ih << 1.0f, 2.0f, -1.0f, 0.5f;
  w.weight_hh << 0.3f, -0.2f, 0.7f, 1.5f;
  w.bias_ih << 0.1f, 0.0f, 0.2f, -0.1f;
  w.bias_hh << 0.0f, 0.4f, 0.0f, 0.1f;
  w.output_weight << 2.0f, -3.0f;
  w.output_bias << 0.25f, -0.5f;
  auto scorer = LstmScorer::Create(w, 10);
  ASSERT_TRUE(scorer.ok()) << scorer.status();

  // Step 1: item 0 (x = 0.5) from h = c = 0.
  double i1 = Sig(1.0 * 0.5 + 0.1), f1 = Sig(2.0 * 0.5 + 0.4), g1 = std::tanh(-1.0 * 0.5 + 0.2),
         o1 = Sig(0.5 * 0.5 + 0.0);
  double c1 = f1 * 0.0 + i1 * g1;
  double h1 = o1 * std::tanh(c1);
  // Step 2: item 1 (x = -1).
  double i2 = Sig(1.0 * -1.0 + 0.3 * h1 + 0.1), f2 = Sig(2.0 * -1.0 - 0.2 * h1 + 0.4),
         g2 = std::tanh(-1.0 * -1.0 + 0.7 * h1 + 0.2), o2 = Sig(0.5 * -1.0 + 1.5 * h1 + 0.0);
  double c2 = f2 * c1 + i2 * g2;
  double h2 = o2 * std::tanh(c2);

  const std::vector<Event> history = TimedPurchases({0, 1});
  auto state = (*scorer)->Encode(UserHistory{history});
  EXPECT_NEAR(AsLstm(*state).c[0], c2, 1e-6);
  EXPECT_NEAR(AsLstm(*state).h[0], h2, 1e-6);
  std::vector<float> scores(2);
  (*scorer)->ScoreAll(*state, scores);
  EXPECT_NEAR(scores[0], 2.0 * h2 + 0.25, 1e-6);
  EXPECT_NEAR(scores[1], -3.0 * h2 - 0.5, 1e-6);
}

TEST(LstmScorerTest, StepOverSequenceEqualsEncode) {
  auto scorer = LstmScorer::Create(RandomWeights(20, 4, 5, 7), 50);
  ASSERT_TRUE(scorer.ok());
  const std::vector<int32_t> items = {3, 17, 0, 5, 5, 19, 2, 11};
  LstmState stepped = (*scorer)->InitialState();
  for (int32_t item : items) (*scorer)->Step(stepped, item);
  const std::vector<Event> history = TimedPurchases(items);
  auto encoded = (*scorer)->Encode(UserHistory{history});
  EXPECT_TRUE(stepped.h.isApprox(AsLstm(*encoded).h, 1e-6f));
  EXPECT_TRUE(stepped.c.isApprox(AsLstm(*encoded).c, 1e-6f));
}

TEST(LstmScorerTest, EncodeRunsOverLastMaxLenKnownItemsOnly) {
  auto scorer = LstmScorer::Create(RandomWeights(20, 3, 4, 8), 3);
  ASSERT_TRUE(scorer.ok());
  // Unknown ids (-1, 20, 99) are dropped before the 3-item window is taken.
  const std::vector<Event> noisy = TimedPurchases({1, 2, 4, -1, 6, 20, 8, 99});
  const std::vector<Event> clean = TimedPurchases({4, 6, 8});
  auto a = (*scorer)->Encode(UserHistory{noisy});
  auto b = (*scorer)->Encode(UserHistory{clean});
  EXPECT_EQ(AsLstm(*a).h, AsLstm(*b).h);
  EXPECT_EQ(AsLstm(*a).c, AsLstm(*b).c);
}

TEST(LstmScorerTest, ExtendEqualsEncodeWhileTheWindowHoldsTheWholeHistory) {
  auto scorer = LstmScorer::Create(RandomWeights(20, 4, 5, 15), 8);
  ASSERT_TRUE(scorer.ok());
  // 8 known items (and two unknown ids): still within max_len.
  const std::vector<Event> full = TimedPurchases({3, 17, -1, 0, 5, 5, 19, 99, 2, 11});
  for (size_t appended : {0u, 1u, 3u, 10u}) {
    const std::vector<Event> before(full.begin(), full.end() - static_cast<std::ptrdiff_t>(appended));
    auto previous = (*scorer)->Encode(UserHistory{before});
    auto extended = (*scorer)->Extend(*previous, UserHistory{full}, appended);
    auto encoded = (*scorer)->Encode(UserHistory{full});
    EXPECT_TRUE(AsLstm(*extended).h.isApprox(AsLstm(*encoded).h, 1e-6f)) << appended;
    EXPECT_TRUE(AsLstm(*extended).c.isApprox(AsLstm(*encoded).c, 1e-6f)) << appended;
  }
}

TEST(LstmScorerTest, ExtendReEncodesOnceTheWindowSlides) {
  auto scorer = LstmScorer::Create(RandomWeights(20, 3, 4, 16), 3);
  ASSERT_TRUE(scorer.ok());
  const std::vector<Event> full = TimedPurchases({1, 2, 4, 6});
  const std::vector<Event> before = TimedPurchases({1, 2, 4});
  auto previous = (*scorer)->Encode(UserHistory{before});
  auto extended = (*scorer)->Extend(*previous, UserHistory{full}, 1);
  auto encoded = (*scorer)->Encode(UserHistory{full});
  EXPECT_EQ(AsLstm(*extended).h, AsLstm(*encoded).h);
  EXPECT_EQ(AsLstm(*extended).c, AsLstm(*encoded).c);
}

TEST(LstmScorerTest, EmptyHistoryScoresAreTheOutputBias) {
  LstmWeights w = RandomWeights(6, 2, 3, 9);
  const Eigen::VectorXf bias = w.output_bias;
  auto scorer = LstmScorer::Create(std::move(w), 5);
  ASSERT_TRUE(scorer.ok());
  auto state = (*scorer)->Encode(UserHistory{});
  EXPECT_TRUE(AsLstm(*state).h.isZero());
  std::vector<float> scores(6);
  (*scorer)->ScoreAll(*state, scores);
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(scores[static_cast<size_t>(i)], bias[i]);
}

TEST(LstmScorerTest, ScoreCandidatesMatchesScoreAll) {
  auto scorer = LstmScorer::Create(RandomWeights(30, 4, 6, 10), 50);
  ASSERT_TRUE(scorer.ok());
  const std::vector<Event> history = TimedPurchases({4, 8, 15, 16, 23});
  auto state = (*scorer)->Encode(UserHistory{history});
  std::vector<float> all(30);
  (*scorer)->ScoreAll(*state, all);
  const std::vector<int32_t> candidates = {29, 0, 7, 7, 13};
  std::vector<float> some(candidates.size());
  (*scorer)->ScoreCandidates(*state, candidates, some);
  for (size_t i = 0; i < candidates.size(); ++i) {
    EXPECT_NEAR(some[i], all[static_cast<size_t>(candidates[i])], 1e-5f);
  }
}

TEST(LstmScorerTest, CreateRejectsInconsistentShapes) {
  LstmWeights w = RandomWeights(5, 2, 3, 11);
  w.weight_hh.resize(12, 2);
  auto scorer = LstmScorer::Create(std::move(w), 5);
  ASSERT_FALSE(scorer.ok());
  EXPECT_NE(std::string(scorer.status().message()).find("lstm.weight_hh_l0"), std::string::npos);
}

TEST(LstmScorerTest, SaveLoadRoundTripGivesIdenticalScores) {
  auto trained = LstmScorer::Create(RandomWeights(25, 4, 6, 12), 7);
  ASSERT_TRUE(trained.ok());
  const std::string dir = ::testing::TempDir() + "/lstm_round_trip";
  std::filesystem::remove_all(dir);
  ModelManifest base;
  base.metrics["NDCG@10"] = 0.5;
  ASSERT_TRUE((*trained)->Save(dir, base).ok());
  auto loaded = LstmScorer::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->num_items(), 25);
  EXPECT_EQ((*loaded)->embedding_dim(), 4);
  EXPECT_EQ((*loaded)->hidden_dim(), 6);
  EXPECT_EQ((*loaded)->max_len(), 7);
  const std::vector<Event> history = TimedPurchases({1, 24, 3, 3, 9, 0, 12, 18, 5, 7});
  std::vector<float> a(25), b(25);
  (*trained)->ScoreAll(*(*trained)->Encode(UserHistory{history}), a);
  (*loaded)->ScoreAll(*(*loaded)->Encode(UserHistory{history}), b);
  EXPECT_EQ(a, b);
}

TEST(LstmScorerTest, LoadRejectsModelOfAnotherType) {
  auto trained = LstmScorer::Create(RandomWeights(5, 2, 3, 13), 4);
  ASSERT_TRUE(trained.ok());
  const std::string dir = ::testing::TempDir() + "/lstm_wrong_type";
  std::filesystem::remove_all(dir);
  ModelManifest base;
  ASSERT_TRUE((*trained)->Save(dir, base).ok());
  // Re-write the same tensors under another model type.
  auto dir_or = ModelDir::Open(dir, "lstm");
  ASSERT_TRUE(dir_or.ok());
  ModelManifest other = (*dir_or)->manifest();
  other.model_type = "mf";
  SafetensorsWriter writer;
  for (const std::string& name : (*dir_or)->tensors().names()) {
    auto t = (*dir_or)->tensors().Get(name);
    ASSERT_TRUE(t.ok());
    writer.AddF32(name, t->shape, t->f32());
  }
  const std::string other_dir = dir + "_mf";
  std::filesystem::remove_all(other_dir);
  ASSERT_TRUE(ModelDir::Write(other_dir, other, writer).ok());
  EXPECT_FALSE(LstmScorer::Load(other_dir).ok());
}

TEST(LstmScorerTest, LoadRejectsMissingMaxLen) {
  auto trained = LstmScorer::Create(RandomWeights(5, 2, 3, 14), 4);
  ASSERT_TRUE(trained.ok());
  const std::string dir = ::testing::TempDir() + "/lstm_no_max_len";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE((*trained)->Save(dir, ModelManifest{}).ok());
  auto opened = ModelDir::Open(dir, "lstm");
  ASSERT_TRUE(opened.ok());
  ModelManifest m = (*opened)->manifest();
  m.dims.erase("max_len");
  SafetensorsWriter writer;
  for (const std::string& name : (*opened)->tensors().names()) {
    auto t = (*opened)->tensors().Get(name);
    ASSERT_TRUE(t.ok());
    writer.AddF32(name, t->shape, t->f32());
  }
  const std::string bad_dir = dir + "_bad";
  std::filesystem::remove_all(bad_dir);
  ASSERT_TRUE(ModelDir::Write(bad_dir, m, writer).ok());
  auto loaded = LstmScorer::Load(bad_dir);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find("max_len"), std::string::npos);
}

}  // namespace
}  // namespace recd
