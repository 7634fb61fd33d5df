#ifndef RECD_TESTS_TEST_UTIL_FAKE_SCORER_H_
#define RECD_TESTS_TEST_UTIL_FAKE_SCORER_H_

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "absl/time/clock.h"
#include <string>
#include <vector>

#include "recd/scorer.h"

namespace recd {

// A scorer that returns fixed per-item scores, whatever the user. For tests
// of the code around models (fusion, ranking, evaluation).
class FakeScorer : public Scorer {
 public:
  FakeScorer(std::string name, std::vector<float> scores)
      : name_(std::move(name)), scores_(std::move(scores)) {}
  std::string_view name() const override { return name_; }
  int32_t num_items() const override { return static_cast<int32_t>(scores_.size()); }
  std::unique_ptr<UserState> Encode(const UserHistory&) const override {
    return std::make_unique<UserState>();
  }
  void ScoreAll(const UserState&, std::span<float> out) const override {
    std::copy(scores_.begin(), scores_.end(), out.begin());
  }

 private:
  std::string name_;
  std::vector<float> scores_;
};

// A FakeScorer that takes `delay` per call: a model over its time budget.
class SlowScorer : public FakeScorer {
 public:
  SlowScorer(std::string name, std::vector<float> scores, absl::Duration delay)
      : FakeScorer(std::move(name), std::move(scores)), delay_(delay) {}
  void ScoreAll(const UserState& s, std::span<float> out) const override {
    absl::SleepFor(delay_);
    FakeScorer::ScoreAll(s, out);
  }

 private:
  absl::Duration delay_;
};

// A scorer whose every call fails the way a broken model or an allocation
// failure would.
class FailingScorer : public FakeScorer {
 public:
  using FakeScorer::FakeScorer;
  void ScoreAll(const UserState&, std::span<float>) const override {
    throw std::runtime_error("injected scorer failure");
  }
};

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_FAKE_SCORER_H_
