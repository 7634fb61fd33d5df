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
  // Nominates its n best items (ties by lower id), as an exact scan would.
  bool nominates_directly() const override { return true; }
  void Nominate(const UserState&, int n, std::vector<int32_t>& out) const override {
    std::vector<int32_t> order(scores_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
    const auto top = std::min(order.size(), static_cast<size_t>(std::max(n, 0)));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](int32_t a, int32_t b) { return scores_[a] > scores_[b] || (scores_[a] == scores_[b] && a < b); });
    out.insert(out.end(), order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top));
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
