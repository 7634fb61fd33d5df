// Items added to the catalog after training: each model of a bundle scores
// them (content from their rows, item-vector models from estimated vectors,
// the others 0) and scores its trained items exactly as before.

#include "models/new_items_scorer.h"

#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "models/knn_scorer.h"
#include "test_util/sequence_data.h"
#include "train/content_builder.h"

namespace recd {
namespace {

using testing_util::MakeSequences;

// Scores item i as rows[i] . query + bias[i], with a fixed query: a stand-in
// for MF and the LSTM, which score by an inner product with item vectors.
class InnerProductScorer final : public Scorer {
 public:
  InnerProductScorer(std::vector<float> rows, std::vector<float> bias, std::vector<float> query)
      : rows_(std::move(rows)), bias_(std::move(bias)), query_(std::move(query)) {}
  std::string_view name() const override { return "vectors"; }
  int32_t num_items() const override { return static_cast<int32_t>(bias_.size()); }
  std::unique_ptr<UserState> Encode(const UserHistory&) const override { return std::make_unique<UserState>(); }
  void ScoreAll(const UserState&, std::span<float> out) const override {
    const size_t dim = query_.size();
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = bias_[i];
      for (size_t d = 0; d < dim; ++d) out[i] += rows_[i * dim + d] * query_[d];
    }
  }
  std::optional<ItemEmbeddings> embeddings() const override {
    return ItemEmbeddings{rows_.data(), num_items(), static_cast<int64_t>(query_.size()), bias_};
  }
  std::span<const float> EmbeddingQuery(const UserState&) const override { return query_; }

 private:
  std::vector<float> rows_, bias_, query_;
};

ItemInfo Row(std::vector<std::string> path, std::string brand, std::string title) {
  ItemInfo info;
  info.category_path = std::move(path);
  info.brand = std::move(brand);
  info.title = std::move(title);
  return info;
}

class NewItemsScorerTest : public ::testing::Test {
 protected:
  NewItemsScorerTest() {
    data_ = MakeSequences(5, {{0, 1, 2}, {2, 3}, {4, 0}});
    data_.item_info[0] = Row({"Beauty", "Skin"}, "Nivea", "soft day cream");
    data_.item_info[1] = Row({"Beauty", "Skin"}, "Nivea", "night cream");
    data_.item_info[2] = Row({"Beauty", "Hair"}, "Dove", "repair shampoo");
    data_.item_info[3] = Row({"Beauty", "Hair"}, "Dove", "silk conditioner");
    data_.item_info[4] = Row({"Tools"}, "Acme", "steel hammer");
    ContentBuilderOptions options;  // the defaults, which new items are weighted with
    options.scoring.prior_weight = 0.0f;
    auto content = BuildContent(data_, options);
    EXPECT_TRUE(content.ok()) << content.status();
    std::vector<std::unique_ptr<Scorer>> scorers;
    scorers.push_back(*std::move(content));
    // Item i's vector (i, 1), bias i / 10; the query (1, 2).
    std::vector<float> rows, bias;
    for (int i = 0; i < 5; ++i) {
      rows.insert(rows.end(), {static_cast<float>(i), 1.0f});
      bias.push_back(static_cast<float>(i) / 10.0f);
    }
    scorers.push_back(std::make_unique<InnerProductScorer>(rows, bias, std::vector<float>{1.0f, 2.0f}));
    trained_ = ModelBundle::FromScorers(data_.items, std::move(scorers), FusionConfig{});
  }

  // A copy of trained item 2's row, and a row sharing no token with any.
  std::vector<ItemRecord> NewRows() const {
    return {ItemRecord{"twin-of-2", data_.item_info[2]}, ItemRecord{"stranger", Row({"Garden"}, "Zed", "rake")}};
  }

  std::vector<float> ScoreAll(const Scorer& scorer, const std::vector<Event>& events) const {
    auto state = scorer.Encode(UserHistory{events, -1});
    std::vector<float> out(static_cast<size_t>(scorer.num_items()));
    scorer.ScoreAll(*state, out);
    return out;
  }

  Dataset data_;
  std::shared_ptr<const ModelBundle> trained_;
};

TEST_F(NewItemsScorerTest, NewItemsGetIdsAfterTheTrainedOnes) {
  auto bundle = WithNewCatalogItems(trained_, NewRows());
  EXPECT_EQ(bundle->trained_items(), 5);
  ASSERT_EQ(bundle->num_items(), 7);
  EXPECT_EQ(bundle->items().Find("twin-of-2"), 5);
  EXPECT_EQ(bundle->items().Find("stranger"), 6);
  for (const auto& scorer : bundle->scorers()) EXPECT_EQ(scorer->num_items(), 7);
  EXPECT_EQ(bundle->version(), trained_->version());
}

TEST_F(NewItemsScorerTest, NoNewRowsKeepTheTrainedBundle) {
  EXPECT_EQ(WithNewCatalogItems(trained_, {}), trained_);
  // A row of an item the models were trained on is not new.
  const std::vector<ItemRecord> known = {ItemRecord{"i3", data_.item_info[3]}};
  EXPECT_EQ(WithNewCatalogItems(trained_, known), trained_);
}

TEST_F(NewItemsScorerTest, TrainedItemsScoreAsBefore) {
  auto bundle = WithNewCatalogItems(trained_, NewRows());
  const std::vector<Event> events = {{0, EventType::kView, 1}, {3, EventType::kPurchase, 2}};
  for (size_t m = 0; m < bundle->scorers().size(); ++m) {
    const std::vector<float> before = ScoreAll(*trained_->scorers()[m], events);
    const std::vector<float> after = ScoreAll(*bundle->scorers()[m], events);
    EXPECT_EQ(std::vector<float>(after.begin(), after.begin() + 5), before) << trained_->scorers()[m]->name();
  }
}

TEST_F(NewItemsScorerTest, ContentScoresANewItemAsTheTrainedItemWithTheSameRow) {
  auto bundle = WithNewCatalogItems(trained_, NewRows());
  const Scorer& content = *bundle->Find("content");
  const std::vector<float> scores = ScoreAll(content, {{3, EventType::kView, 1}, {2, EventType::kView, 2}});
  EXPECT_GT(scores[2], 0.0f);
  EXPECT_NEAR(scores[5], scores[2], 1e-6);  // the twin: the builder's own weights
  EXPECT_EQ(scores[6], 0.0f);               // no token in common with the user's items
}

TEST_F(NewItemsScorerTest, ItemVectorsAreEstimatedFromContentNeighbours) {
  auto bundle = WithNewCatalogItems(trained_, NewRows());
  const Scorer& vectors = *bundle->Find("vectors");
  const std::vector<float> scores = ScoreAll(vectors, {});
  // The twin's nearest trained items by content: every item sharing a
  // token with item 2's row (items 0..3 share "cat:Beauty"), so its vector
  // and bias are their means: ((0+1+2+3)/4, 1) . (1, 2) + (0+0.1+0.2+0.3)/4.
  const std::vector<ItemInfo> rows = {data_.item_info[2]};
  const auto view = trained_->Find("content")->ViewNewItems(rows);
  ASSERT_TRUE(view.has_value());
  EXPECT_THAT(view->similar_trained[0], ::testing::UnorderedElementsAre(0, 1, 2, 3));
  EXPECT_EQ(view->similar_trained[0][0], 2);  // itself first
  EXPECT_NEAR(scores[5], 1.5f * 1 + 1.0f * 2 + 0.15f, 1e-5);
  // The stranger shares nothing: the catalog's mean vector (2, 1), bias 0.2.
  EXPECT_NEAR(scores[6], 2.0f * 1 + 1.0f * 2 + 0.2f, 1e-5);
}

TEST_F(NewItemsScorerTest, CandidatesScoreAsTheWholeCatalogDoes) {
  auto bundle = WithNewCatalogItems(trained_, NewRows());
  const std::vector<Event> events = {{1, EventType::kView, 1}};
  const std::vector<int32_t> candidates = {6, 0, 5, 3};
  for (const auto& scorer : bundle->scorers()) {
    const std::vector<float> all = ScoreAll(*scorer, events);
    auto state = scorer->Encode(UserHistory{events, -1});
    std::vector<float> some(candidates.size());
    scorer->ScoreCandidates(*state, candidates, some);
    for (size_t i = 0; i < candidates.size(); ++i) {
      EXPECT_FLOAT_EQ(some[i], all[static_cast<size_t>(candidates[i])]) << scorer->name() << " item " << candidates[i];
    }
  }
}

TEST_F(NewItemsScorerTest, ContentCountsEventsOnNewItemsByTheirRows) {
  auto bundle = WithNewCatalogItems(trained_, NewRows());
  const Scorer& content = *bundle->Find("content");
  // The twin (5) in a history weighs as trained item 2, its row, does.
  EXPECT_EQ(ScoreAll(content, {{5, EventType::kView, 1}}), ScoreAll(content, {{2, EventType::kView, 1}}));
  const std::vector<Event> with_twin = {{0, EventType::kView, 1}, {5, EventType::kPurchase, 2}};
  const std::vector<Event> with_two = {{0, EventType::kView, 1}, {2, EventType::kPurchase, 2}};
  EXPECT_EQ(ScoreAll(content, with_twin), ScoreAll(content, with_two));
  // And so when a state is extended by it.
  auto state = content.Encode(UserHistory{std::span<const Event>(with_twin).first(1), -1});
  auto extended = content.Extend(*state, UserHistory{with_twin, -1}, 1);
  std::vector<float> scores(7);
  content.ScoreAll(*extended, scores);
  EXPECT_EQ(scores, ScoreAll(content, with_two));
}

TEST_F(NewItemsScorerTest, ModelsWithoutAViewLeaveEventsOnNewItemsOut) {
  // An item-item model: sim(0, 1) = 0.5, sim(2, 3) = 0.9.
  SparseRowMatrix sims(5, 5);
  sims.insert(0, 1) = 0.5f;
  sims.insert(1, 0) = 0.5f;
  sims.insert(2, 3) = 0.9f;
  sims.insert(3, 2) = 0.9f;
  sims.makeCompressed();
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<KnnScorer>(std::move(sims), std::vector<float>(5, 0.0f), KnnScoring{}));
  auto trained = ModelBundle::FromScorers(data_.items, std::move(scorers), FusionConfig{});
  auto bundle = WithNewCatalogItems(trained, NewRows());
  const Scorer& knn = *bundle->Find("knn");
  const std::vector<Event> trained_only = {{0, EventType::kView, 1}, {2, EventType::kView, 3}};
  const std::vector<Event> with_new = {{0, EventType::kView, 1}, {5, EventType::kView, 2}, {2, EventType::kView, 3}};
  EXPECT_EQ(ScoreAll(knn, with_new), ScoreAll(knn, trained_only));
  // Extending a state by an event on a new item leaves it as it was.
  auto state = knn.Encode(UserHistory{std::span<const Event>(trained_only).first(1), -1});
  const std::vector<Event> appended = {{0, EventType::kView, 1}, {6, EventType::kView, 2}};
  auto extended = knn.Extend(*state, UserHistory{appended, -1}, 1);
  std::vector<float> a(7), b(7);
  knn.ScoreAll(*state, a);
  knn.ScoreAll(*extended, b);
  EXPECT_EQ(a, b);
  EXPECT_GT(a[1], 0.0f);  // the state is not empty: item 0's neighbour scores
}

}  // namespace
}  // namespace recd
