#ifndef RECD_TRAIN_NEGATIVE_SAMPLER_H_
#define RECD_TRAIN_NEGATIVE_SAMPLER_H_

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace recd {

// The negatives of one sampled-softmax step: `draws` items drawn with
// replacement, collapsed to distinct items with how often each was drawn.
// A value type.
struct NegativeSample {
  std::vector<int32_t> items;   // distinct, ascending
  std::vector<int32_t> counts;  // times items[k] was drawn; sums to the draws
};

// Draws sampled-softmax negatives from q(i) proportional to
// (count(i) + 1)^power, where count(i) is how often item i is a training
// target. power = 1 follows popularity, which is roughly what the model's
// softmax looks like, so the sampled sum estimates the full one with low
// variance; power < 1 flattens it towards uniform (power = 0) so tail items
// are seen as negatives more often. The + 1 keeps every item drawable, so
// items never seen as targets are still pushed down.
//
// log_expected_count()[i] = log(draws * q(i)) is the logQ correction of
// sampled softmax (Jean et al. 2015): subtracting it from a logit makes the
// sum over the sampled items an unbiased estimate of the full softmax sum.
//
// Immutable after construction; Sample() is const and thread-safe.
class NegativeSampler {
 public:
  // REQUIRES: counts non-empty, power >= 0, draws > 0.
  NegativeSampler(std::span<const int64_t> counts, double power, int draws);

  int draws() const { return draws_; }
  std::span<const float> log_expected_count() const { return log_expected_count_; }

  // Overwrites `out` with `draws()` fresh draws. O(draws log(num_items)).
  void Sample(std::mt19937_64* rng, NegativeSample* out) const;

 private:
  int draws_;
  std::vector<double> cumulative_;         // [num_items] running sum of the weights
  std::vector<float> log_expected_count_;  // [num_items]
};

}  // namespace recd

#endif  // RECD_TRAIN_NEGATIVE_SAMPLER_H_
