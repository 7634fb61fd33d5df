#include "ranking/state_refresh.h"

#include <atomic>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

// Counts how it was asked for states; Extend marks its result so a test can
// tell an extended state from an encoded one.
class CountingScorer : public FakeScorer {
 public:
  struct Extended : UserState {
    size_t appended = 0;
  };
  CountingScorer(std::string name, bool throws = false)
      : FakeScorer(std::move(name), {1, 2, 3}), throws_(throws) {}
  std::unique_ptr<UserState> Encode(const UserHistory&) const override {
    if (throws_) throw std::runtime_error("injected encode failure");
    ++encodes;
    return std::make_unique<UserState>();
  }
  std::unique_ptr<UserState> Extend(const UserState&, const UserHistory&, size_t appended) const override {
    ++extends;
    auto s = std::make_unique<Extended>();
    s->appended = appended;
    return s;
  }
  mutable std::atomic<int> encodes{0};
  mutable std::atomic<int> extends{0};

 private:
  bool throws_;
};

struct Fixture {
  explicit Fixture(FusionConfig fusion, bool second_throws = false) {
    IdMap items;
    for (const char* id : {"a", "b", "c"}) items.GetOrAdd(id);
    std::vector<std::unique_ptr<Scorer>> scorers;
    scorers.push_back(std::make_unique<CountingScorer>("m1"));
    scorers.push_back(std::make_unique<CountingScorer>("m2", second_throws));
    m1 = static_cast<const CountingScorer*>(scorers[0].get());
    m2 = static_cast<const CountingScorer*>(scorers[1].get());
    pipeline = std::make_unique<RankingPipeline>(
        ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{}), std::move(fusion));
  }
  const CountingScorer* m1;
  const CountingScorer* m2;
  std::unique_ptr<RankingPipeline> pipeline;
};

FusionConfig Weights(double w1, double w2) {
  FusionConfig c;
  c.weights = {{"m1", w1}, {"m2", w2}};
  return c;
}

const std::vector<Event> kHistory = {{0, EventType::kView, 1}, {1, EventType::kView, 2}, {2, EventType::kCart, 3}};

TEST(StateRefreshTest, ZeroWeightModelIsNeitherEncodedNorRefreshed) {
  Fixture f(Weights(1, 0));
  auto states = RefreshStates(*f.pipeline, UserHistory{kHistory, -1}, 1, {});
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 2u);
  EXPECT_NE((*states)[0], nullptr);
  EXPECT_EQ((*states)[1], nullptr);
  EXPECT_EQ(f.m2->encodes + f.m2->extends, 0);
}

TEST(StateRefreshTest, ModelWeightedOnlyInASegmentCountsAsWeighted) {
  FusionConfig fusion = Weights(1, 0);
  fusion.segments.push_back(FusionSegment{"cold", 2, {{"m2", 0.5}}});
  Fixture f(fusion);
  EXPECT_THAT(WeightedScorers(*f.pipeline), ::testing::ElementsAre(true, true));
  auto states = RefreshStates(*f.pipeline, UserHistory{kHistory, -1}, 1, {});
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_NE((*states)[1], nullptr);
}

TEST(StateRefreshTest, ExtendsPreviousStatesByTheAppendedEvents) {
  Fixture f(Weights(1, 1));
  const std::vector<std::shared_ptr<const UserState>> previous = {std::make_shared<UserState>(), nullptr};
  auto states = RefreshStates(*f.pipeline, UserHistory{kHistory, -1}, 2, previous);
  ASSERT_TRUE(states.ok()) << states.status();
  auto* extended = dynamic_cast<const CountingScorer::Extended*>((*states)[0].get());
  ASSERT_NE(extended, nullptr);
  EXPECT_EQ(extended->appended, 2u);
  EXPECT_EQ(f.m1->encodes, 0);
  // No previous state for m2: it encodes the whole history.
  EXPECT_EQ(f.m2->encodes, 1);
  EXPECT_EQ(f.m2->extends, 0);
}

TEST(StateRefreshTest, ScorerThatThrowsIsAnErrorNamingIt) {
  Fixture f(Weights(1, 1), /*second_throws=*/true);
  auto states = RefreshStates(*f.pipeline, UserHistory{kHistory, -1}, 1, {});
  EXPECT_TRUE(absl::IsInternal(states.status())) << states.status();
  EXPECT_THAT(std::string(states.status().message()), ::testing::HasSubstr("m2"));
}

}  // namespace
}  // namespace recd
