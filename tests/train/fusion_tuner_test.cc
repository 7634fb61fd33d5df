#include "train/fusion_tuner.h"

#include "gtest/gtest.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

// A scorer that puts a user's validation target on top: perfect on
// validation. Tuning must find it and give the uninformative model no say.
class OracleScorer : public Scorer {
 public:
  OracleScorer(const LeaveOneOutSplit& split, int32_t items) : split_(split), items_(items) {}
  std::string_view name() const override { return "oracle"; }
  int32_t num_items() const override { return items_; }
  struct State : UserState {
    int32_t target = -1;
  };
  std::unique_ptr<UserState> Encode(const UserHistory& h) const override {
    auto s = std::make_unique<State>();
    s->target = split_.valid[static_cast<size_t>(h.user)].item;
    return s;
  }
  void ScoreAll(const UserState& state, std::span<float> out) const override {
    std::fill(out.begin(), out.end(), 0.0f);
    out[static_cast<size_t>(static_cast<const State&>(state).target)] = 1.0f;
  }

 private:
  const LeaveOneOutSplit& split_;
  int32_t items_;
};

TEST(FusionTunerTest, FindsTheInformativeModel) {
  constexpr int kItems = 50, kUsers = 40;
  Dataset data;
  for (int i = 0; i < kItems; ++i) data.items.GetOrAdd("i" + std::to_string(i));
  for (int u = 0; u < kUsers; ++u) {
    data.users.GetOrAdd("u" + std::to_string(u));
    std::vector<Event> h;
    for (int t = 0; t < 5; ++t) h.push_back({(u * 7 + t * 3) % kItems, EventType::kView, t});
    data.histories.push_back(h);
  }
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  std::vector<float> noise(kItems);
  for (int i = 0; i < kItems; ++i) noise[i] = static_cast<float>((i * 37) % 11);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("noise", noise));
  scorers.push_back(std::make_unique<OracleScorer>(split, kItems));
  auto bundle = ModelBundle::FromScorers(data.items, std::move(scorers), FusionConfig{});

  FusionTunerOptions options;
  options.normalizations = {Normalization::kZScore};
  auto result = TuneFusion(*bundle, split, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_DOUBLE_EQ(result->valid_ndcg10, 1.0);
  EXPECT_GT(result->config.weights.at("oracle"), 0.0);
  EXPECT_EQ(result->config.weights.at("noise"), 0.0);
}

}  // namespace
}  // namespace recd
