#include "train/lstm_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util/beauty_data.h"
#include "test_util/progress_capture.h"
#include "recd/data_loaders.h"
#include "train/lstm_backprop.h"
#include "train/negative_sampler.h"
#include "train/sparse_lstm_grad.h"

namespace recd {
namespace {

struct NamedTensor {
  std::string name;
  float* data;
  Eigen::Index size;
};

std::vector<NamedTensor> Tensors(LstmWeights& w) {
  return {{"item_embedding.weight", w.item_embedding.data(), w.item_embedding.size()},
          {"lstm.weight_ih_l0", w.weight_ih.data(), w.weight_ih.size()},
          {"lstm.weight_hh_l0", w.weight_hh.data(), w.weight_hh.size()},
          {"lstm.bias_ih_l0", w.bias_ih.data(), w.bias_ih.size()},
          {"lstm.bias_hh_l0", w.bias_hh.data(), w.bias_hh.size()},
          {"output.weight", w.output_weight.data(), w.output_weight.size()},
          {"output.bias", w.output_bias.data(), w.output_bias.size()}};
}

LstmWeights RandomWeights(int32_t items, int e, int h, float scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  LstmWeights w = LstmWeights::Zeros(items, e, h);
  for (NamedTensor& t : Tensors(w)) {
    for (Eigen::Index i = 0; i < t.size; ++i) t.data[i] = normal(rng);
  }
  return w;
}

TEST(LstmBackpropTest, GradientsMatchCentralFiniteDifferences) {
  LstmWeights w = RandomWeights(7, 3, 4, 0.6f, 21);
  // Different lengths (packing), a repeated item (embedding scatter-add), and
  // a one-item sequence that must contribute nothing.
  const std::vector<std::vector<int32_t>> data = {
      {0, 3, 5, 3, 6}, {2, 1}, {4}, {6, 6, 0}, {1, 5, 2, 4, 0, 3}};
  std::vector<std::span<const int32_t>> batch(data.begin(), data.end());
  LstmBackprop backprop;
  LstmWeights grad = LstmWeights::Zeros(7, 3, 4);
  backprop.Compute(w, batch, {}, nullptr, &grad);
  EXPECT_EQ(backprop.positions(), 4 + 1 + 2 + 5);

  std::vector<NamedTensor> params = Tensors(w);
  std::vector<NamedTensor> grads = Tensors(grad);
  const float eps = 1e-2f;
  for (size_t t = 0; t < params.size(); ++t) {
    for (Eigen::Index i = 0; i < params[t].size; ++i) {
      float& p = params[t].data[i];
      const float saved = p;
      p = saved + eps;
      const double up = backprop.Compute(w, batch, {}, nullptr, nullptr);
      p = saved - eps;
      const double down = backprop.Compute(w, batch, {}, nullptr, nullptr);
      p = saved;
      const double numeric = (up - down) / (2.0 * static_cast<double>(eps));
      const double analytic = grads[t].data[i];
      EXPECT_NEAR(analytic, numeric, 1e-3 + 1e-2 * std::abs(numeric))
          << params[t].name << "[" << i << "]";
    }
  }
}

// Checks every entry of `grad` against the central difference of `loss`
// (which reads `w`) when that entry of `w` moves by +-1e-2.
void ExpectGradientMatchesCentralDifferences(LstmWeights& w, LstmWeights& grad,
                                             const std::function<double()>& loss) {
  std::vector<NamedTensor> params = Tensors(w);
  std::vector<NamedTensor> grads = Tensors(grad);
  const float eps = 1e-2f;
  for (size_t t = 0; t < params.size(); ++t) {
    for (Eigen::Index i = 0; i < params[t].size; ++i) {
      float& p = params[t].data[i];
      const float saved = p;
      p = saved + eps;
      const double up = loss();
      p = saved - eps;
      const double down = loss();
      p = saved;
      const double numeric = (up - down) / (2.0 * static_cast<double>(eps));
      EXPECT_NEAR(grads[t].data[i], numeric, 1e-3 + 1e-2 * std::abs(numeric))
          << params[t].name << "[" << i << "]";
    }
  }
}

TEST(LstmBackpropTest, GradientsWithFixedDropoutMasksMatchFiniteDifferences) {
  LstmWeights w = RandomWeights(6, 3, 3, 0.6f, 23);
  const std::vector<std::vector<int32_t>> data = {{0, 3, 5, 1}, {2, 1, 4}};
  std::vector<std::span<const int32_t>> batch(data.begin(), data.end());
  const LstmBackprop::Dropout dropout{0.3f, 0.4f};
  LstmBackprop backprop;
  // Re-seeding before every call draws the same masks each time.
  auto loss = [&](LstmWeights* grad) {
    std::mt19937_64 rng(5);
    return backprop.Compute(w, batch, dropout, &rng, grad);
  };
  LstmWeights grad = LstmWeights::Zeros(6, 3, 3);
  loss(&grad);
  ExpectGradientMatchesCentralDifferences(w, grad, [&] { return loss(nullptr); });
}

// The dense tensor a sparse sampled-softmax gradient stands for.
LstmWeights Densify(const SparseLstmGrad& g, int32_t items, int e, int h) {
  LstmWeights d = LstmWeights::Zeros(items, e, h);
  d.weight_ih = g.weight_ih;
  d.weight_hh = g.weight_hh;
  d.bias_ih = g.bias_ih;
  d.bias_hh = g.bias_hh;
  for (size_t k = 0; k < g.embedding_items.size(); ++k) {
    d.item_embedding.row(g.embedding_items[k]) = g.item_embedding.row(static_cast<Eigen::Index>(k));
  }
  for (size_t k = 0; k < g.output_items.size(); ++k) {
    d.output_weight.row(g.output_items[k]) = g.output_weight.row(static_cast<Eigen::Index>(k));
    d.output_bias(g.output_items[k]) = g.output_bias(static_cast<Eigen::Index>(k));
  }
  return d;
}

TEST(LstmBackpropTest, SampledGradientsMatchCentralFiniteDifferences) {
  constexpr int32_t kItems = 9;
  LstmWeights w = RandomWeights(kItems, 3, 4, 0.6f, 24);
  const std::vector<std::vector<int32_t>> data = {
      {0, 3, 5, 3, 6}, {2, 1}, {4}, {6, 6, 0}, {1, 5, 2, 4, 0, 3}};
  std::vector<std::span<const int32_t>> batch(data.begin(), data.end());
  // 0 and 3 are also targets (accidental hits), 3 was drawn twice, 7 is
  // only a negative and 8 is in nothing, so its rows must get no gradient.
  NegativeSample negatives{{0, 3, 7}, {1, 2, 3}};
  const std::vector<float> log_expected = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.2f, 0.0f, -0.6f, 0.4f};
  const LstmBackprop::Dropout dropout{0.2f, 0.3f};
  LstmBackprop backprop;
  auto loss = [&](SparseLstmGrad* grad) {
    std::mt19937_64 rng(6);
    return backprop.ComputeSampled(w, batch, negatives, log_expected, dropout, &rng, grad);
  };
  SparseLstmGrad sparse;
  loss(&sparse);
  EXPECT_EQ(sparse.output_items.size(), 3u + 5u);  // negatives, then targets 5, 6, 1, 2, 4
  EXPECT_EQ(std::count(sparse.output_items.begin(), sparse.output_items.end(), 8), 0);
  EXPECT_EQ(std::count(sparse.embedding_items.begin(), sparse.embedding_items.end(), 7), 0);
  LstmWeights grad = Densify(sparse, kItems, 3, 4);

  ExpectGradientMatchesCentralDifferences(w, grad, [&] { return loss(nullptr); });
}

TEST(LstmBackpropTest, SampledSoftmaxOverEveryItemOnceIsFullSoftmax) {
  constexpr int32_t kItems = 7;
  const LstmWeights w = RandomWeights(kItems, 3, 4, 0.6f, 25);
  const std::vector<std::vector<int32_t>> data = {{0, 3, 5, 3, 6}, {2, 1}, {6, 6, 0, 4}};
  std::vector<std::span<const int32_t>> batch(data.begin(), data.end());
  NegativeSample every;
  for (int32_t i = 0; i < kItems; ++i) {
    every.items.push_back(i);
    every.counts.push_back(1);
  }
  // log(K q) = log(7 * 1/7) = 0: no correction, and the target's own column
  // is the accidental hit that is dropped, leaving exactly the full softmax.
  const std::vector<float> log_expected(kItems, 0.0f);
  LstmBackprop backprop;
  LstmWeights full = LstmWeights::Zeros(kItems, 3, 4);
  const double full_loss = backprop.Compute(w, batch, {}, nullptr, &full);
  SparseLstmGrad sparse;
  const double sampled_loss =
      backprop.ComputeSampled(w, batch, every, log_expected, {}, nullptr, &sparse);
  EXPECT_NEAR(sampled_loss, full_loss, 1e-6);
  LstmWeights sampled = Densify(sparse, kItems, 3, 4);
  std::vector<NamedTensor> a = Tensors(full);
  std::vector<NamedTensor> b = Tensors(sampled);
  for (size_t t = 0; t < a.size(); ++t) {
    for (Eigen::Index i = 0; i < a[t].size; ++i) {
      EXPECT_NEAR(b[t].data[i], a[t].data[i], 1e-6) << a[t].name << "[" << i << "]";
    }
  }
}

TEST(LstmBackpropTest, LossIsMeanCrossEntropyOfScorerPredictions) {
  LstmWeights w = RandomWeights(9, 3, 5, 0.5f, 22);
  const std::vector<int32_t> seq = {2, 7, 1, 8};
  LstmBackprop backprop;
  const std::vector<std::span<const int32_t>> batch = {seq};
  const double loss = backprop.Compute(w, batch, {}, nullptr, nullptr);
  auto scorer = LstmScorer::Create(std::move(w), 50);
  ASSERT_TRUE(scorer.ok());
  double expected = 0;
  LstmState state = (*scorer)->InitialState();
  std::vector<float> scores(9);
  for (size_t t = 0; t + 1 < seq.size(); ++t) {
    (*scorer)->Step(state, seq[t]);
    (*scorer)->ScoreAll(state, scores);
    double z = 0;
    for (float s : scores) z += std::exp(static_cast<double>(s));
    expected += std::log(z) - scores[static_cast<size_t>(seq[t + 1])];
  }
  EXPECT_NEAR(loss, expected / 3.0, 1e-5);
}

// Users walk one of num_items / 15 fixed cycles of 15 items from a random
// start; 10% of the items are replaced by random noise.
Dataset CycleData(int users, uint64_t seed, std::vector<int32_t>* successor, int num_items = 30) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> perm(num_items);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  successor->assign(num_items, -1);
  for (int c = 0; c < num_items / 15; ++c) {
    for (int k = 0; k < 15; ++k) {
      (*successor)[static_cast<size_t>(perm[static_cast<size_t>(c * 15 + k)])] =
          perm[static_cast<size_t>(c * 15 + (k + 1) % 15)];
    }
  }
  Dataset data;
  for (int i = 0; i < num_items; ++i) data.items.GetOrAdd(std::to_string(i));
  data.item_info.resize(num_items);
  std::uniform_int_distribution<int> item_dist(0, num_items - 1);
  std::uniform_int_distribution<int> len_dist(6, 12);
  std::bernoulli_distribution noise(0.1);
  for (int u = 0; u < users; ++u) {
    data.users.GetOrAdd("u" + std::to_string(u));
    std::vector<Event> history;
    int32_t item = item_dist(rng);
    const int len = len_dist(rng);
    for (int t = 0; t < len; ++t) {
      history.push_back(Event{noise(rng) ? item_dist(rng) : item, EventType::kPurchase, t});
      item = (*successor)[static_cast<size_t>(item)];
    }
    data.histories.push_back(std::move(history));
  }
  return data;
}

LstmTrainOptions SmallLstmOptions() {
  LstmTrainOptions o;
  o.embedding_dim = 16;
  o.hidden_dim = 16;
  o.max_len = 20;
  o.epochs = 40;
  o.batch_size = 32;
  o.learning_rate = 1e-2f;
  o.embedding_dropout = 0.1f;
  o.hidden_dropout = 0.1f;
  o.patience = 40;
  o.threads = 1;
  o.validation_users = 0;
  return o;
}

TEST(LstmTrainerTest, LearnsPlantedItemCycles) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(400, 31, &successor);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  std::vector<LstmEpochReport> reports;
  auto scorer = TrainLstm(TrainingView(data, split), split, SmallLstmOptions(),
                          [&](const LstmEpochReport& r) { reports.push_back(r); });
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  ASSERT_GE(reports.size(), 10u);
  EXPECT_LT(reports.back().loss, 0.6 * reports.front().loss);
  EXPECT_GT(reports.back().validation.hr5, 0.8);

  // From any item of either cycle, a clean three-step walk ranks the cycle's
  // next item first.
  int top1 = 0;
  std::vector<float> scores(30);
  for (int32_t start = 0; start < 30; ++start) {
    std::vector<Event> walk;
    int32_t item = start;
    for (int t = 0; t < 3; ++t) {
      walk.push_back(Event{item, EventType::kPurchase, t});
      item = successor[static_cast<size_t>(item)];
    }
    auto state = (*scorer)->Encode(UserHistory{walk});
    (*scorer)->ScoreAll(*state, scores);
    const auto best = std::max_element(scores.begin(), scores.end()) - scores.begin();
    top1 += best == item;
  }
  EXPECT_GE(top1, 28);
}

TEST(LstmTrainerTest, FixedSeedWithOneThreadIsDeterministic) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(100, 32, &successor);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  LstmTrainOptions o = SmallLstmOptions();
  o.epochs = 3;
  auto a = TrainLstm(TrainingView(data, split), split, o);
  auto b = TrainLstm(TrainingView(data, split), split, o);
  ASSERT_TRUE(a.ok() && b.ok());
  const LstmWeights wa = (*a)->CopyWeights();
  const LstmWeights wb = (*b)->CopyWeights();
  EXPECT_EQ(wa.item_embedding, wb.item_embedding);
  EXPECT_EQ(wa.weight_hh, wb.weight_hh);
  EXPECT_EQ(wa.output_weight, wb.output_weight);
}

// Neither patience nor a time budget ends a fixed-epochs run, and the
// weights returned are the last epoch's, whatever validation said.
TEST(LstmTrainerTest, FixedEpochsTrainsEveryEpochAndKeepsTheLast) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(100, 35, &successor);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  LstmTrainOptions o = SmallLstmOptions();
  o.epochs = 4;
  o.fixed_epochs = true;
  o.patience = 1;
  o.time_budget_seconds = 1e-9;
  std::vector<LstmEpochReport> reports;
  auto scorer = TrainLstm(TrainingView(data, split), split, o,
                          [&](const LstmEpochReport& r) { reports.push_back(r); });
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  ASSERT_EQ(reports.size(), 4u);
  const RankingMetrics kept = EvaluateScorer(**scorer, split, EvalTarget::kValidation, o.validation_users);
  EXPECT_EQ(kept.ndcg10, reports.back().validation.ndcg10);
  EXPECT_EQ(kept.mrr, reports.back().validation.mrr);
}

TEST(LstmTrainerTest, ProgressDrawsOneFinishedBarPerEpoch) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(100, 35, &successor);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  testing_util::ProgressCapture progress;
  LstmTrainOptions o = SmallLstmOptions();
  o.epochs = 3;
  o.fixed_epochs = true;
  o.progress = progress.Factory();
  ASSERT_TRUE(TrainLstm(TrainingView(data, split), split, o).ok());
  ASSERT_EQ(progress.steps().size(), 3u);
  const int64_t sequences = progress.steps()[0].total;
  EXPECT_GT(sequences, 0);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(progress.steps()[e].label, "lstm epoch " + std::to_string(e + 1) + "/3");
    EXPECT_EQ(progress.steps()[e].total, sequences);
  }
  const std::string done = absl::StrCat(": 100% ", sequences, "/", sequences, " ");
  const std::string out = progress.output();
  size_t finished = 0;
  for (size_t at = out.find(done); at != std::string::npos; at = out.find(done, at + 1)) ++finished;
  EXPECT_EQ(finished, 3u) << out;
}

TEST(LstmTrainerTest, FixedEpochsWithTwoThreadsIsDeterministic) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(100, 36, &successor);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  LstmTrainOptions o = SmallLstmOptions();
  o.epochs = 3;
  o.fixed_epochs = true;
  o.threads = 2;
  auto a = TrainLstm(TrainingView(data, split), split, o);
  auto b = TrainLstm(TrainingView(data, split), split, o);
  ASSERT_TRUE(a.ok() && b.ok());
  const LstmWeights wa = (*a)->CopyWeights();
  const LstmWeights wb = (*b)->CopyWeights();
  EXPECT_EQ(wa.item_embedding, wb.item_embedding);
  EXPECT_EQ(wa.weight_ih, wb.weight_ih);
  EXPECT_EQ(wa.weight_hh, wb.weight_hh);
  EXPECT_EQ(wa.output_weight, wb.output_weight);
  EXPECT_EQ(wa.output_bias, wb.output_bias);
}

TEST(LstmTrainerTest, RejectsDatasetWithoutSequences) {
  Dataset data;
  data.items.GetOrAdd("a");
  data.item_info.resize(1);
  data.users.GetOrAdd("u");
  data.histories.push_back({Event{0, EventType::kPurchase, 0}});
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  auto scorer = TrainLstm(TrainingView(data, split), split, SmallLstmOptions());
  EXPECT_FALSE(scorer.ok());
}

// Ranks items by training popularity: the floor every model must clear.
class PopularityScorer : public Scorer {
 public:
  explicit PopularityScorer(const Dataset& train) : counts_(static_cast<size_t>(train.num_items())) {
    for (const auto& h : train.histories) {
      for (const Event& e : h) counts_[static_cast<size_t>(e.item)] += 1.0f;
    }
  }
  std::string_view name() const override { return "popularity"; }
  int32_t num_items() const override { return static_cast<int32_t>(counts_.size()); }
  std::unique_ptr<UserState> Encode(const UserHistory&) const override {
    return std::make_unique<UserState>();
  }
  void ScoreAll(const UserState&, std::span<float> out) const override {
    std::copy(counts_.begin(), counts_.end(), out.begin());
  }

 private:
  std::vector<float> counts_;
};

TEST(LstmTrainerTest, SampledSoftmaxLearnsPlantedCyclesInALargerCatalog) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(3000, 33, &successor, 1500);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  const Dataset train = TrainingView(data, split);
  LstmTrainOptions o = SmallLstmOptions();
  o.sampled_negatives = 64;  // 4% of the catalog per batch
  o.epochs = 12;
  o.threads = 1;
  std::vector<LstmEpochReport> reports;
  auto scorer = TrainLstm(train, split, o, [&](const LstmEpochReport& r) { reports.push_back(r); });
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  const RankingMetrics lstm = EvaluateScorer(**scorer, split, EvalTarget::kValidation);
  const RankingMetrics popular =
      EvaluateScorer(PopularityScorer(train), split, EvalTarget::kValidation);
  EXPECT_LT(reports.back().loss, 0.6 * reports.front().loss);
  EXPECT_GT(lstm.hr10, 0.5);
  EXPECT_GT(lstm.hr10, 10 * popular.hr10);
  EXPECT_GT(lstm.ndcg10, 10 * popular.ndcg10);
}

TEST(LstmTrainerTest, SampledSoftmaxWithFixedSeedIsDeterministic) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(300, 34, &successor, 150);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  LstmTrainOptions o = SmallLstmOptions();
  o.sampled_negatives = 20;
  o.epochs = 3;
  o.threads = 2;
  auto a = TrainLstm(TrainingView(data, split), split, o);
  auto b = TrainLstm(TrainingView(data, split), split, o);
  ASSERT_TRUE(a.ok() && b.ok());
  const LstmWeights wa = (*a)->CopyWeights();
  const LstmWeights wb = (*b)->CopyWeights();
  EXPECT_EQ(wa.item_embedding, wb.item_embedding);
  EXPECT_EQ(wa.weight_hh, wb.weight_hh);
  EXPECT_EQ(wa.output_weight, wb.output_weight);
  EXPECT_EQ(wa.output_bias, wb.output_bias);
}

TEST(LstmTrainerTest, RejectsNegativeSampledNegatives) {
  std::vector<int32_t> successor;
  const Dataset data = CycleData(20, 35, &successor);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  LstmTrainOptions o = SmallLstmOptions();
  o.sampled_negatives = -1;
  EXPECT_FALSE(TrainLstm(TrainingView(data, split), split, o).ok());
}

// A reduced budget by default (two epochs, ~1-2 minutes on 2 cores);
// RECD_FULL_TRAINING=1 runs the default (benchmark) options and prints the
// validation and test metrics of the kept model.
TEST(LstmTrainerTest, BeautyTrainingBeatsPopularity) {
  const std::string dir = BeautyDir() + "/";
  if (!std::filesystem::exists(dir + "Beauty.txt")) {
    GTEST_SKIP() << "Amazon Beauty not found in " << dir;
  }
  LoadReport report;
  auto data = LoadAmazonSequences(dir + "Beauty.txt", dir + "Beauty_item2attributes.json", &report);
  ASSERT_TRUE(data.ok()) << data.status();
  const LeaveOneOutSplit split = SplitLeaveOneOut(*data);
  const Dataset train = TrainingView(*data, split);
  const bool full = std::getenv("RECD_FULL_TRAINING") != nullptr;
  LstmTrainOptions o;
  if (!full) {
    o.epochs = 2;
    o.validation_users = 2000;
    o.time_budget_seconds = 0;
  }
  const auto start = std::chrono::steady_clock::now();
  auto scorer = TrainLstm(train, split, o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  const RankingMetrics valid = EvaluateScorer(**scorer, split, EvalTarget::kValidation);
  const RankingMetrics popular =
      EvaluateScorer(PopularityScorer(train), split, EvalTarget::kValidation);
  std::printf("lstm training %.1fs\nvalidation %s\npopularity %s\n", seconds,
              valid.ToString().c_str(), popular.ToString().c_str());
  EXPECT_GT(valid.hr10, 0.03);
  EXPECT_GT(valid.hr10, 2 * popular.hr10);
  EXPECT_GT(valid.ndcg10, 2 * popular.ndcg10);
  if (full) {
    const RankingMetrics test = EvaluateScorer(**scorer, split, EvalTarget::kTest);
    std::printf("test %s\n", test.ToString().c_str());
    EXPECT_GT(test.hr10, 0.0605);
    EXPECT_GT(test.ndcg10, 0.0318);
  }
}

}  // namespace
}  // namespace recd
