#ifndef RECD_TESTS_TEST_UTIL_FAKE_SCORER_H_
#define RECD_TESTS_TEST_UTIL_FAKE_SCORER_H_

#include <algorithm>
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

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_FAKE_SCORER_H_
