#ifndef RECD_MODELS_SPARSE_SCORES_H_
#define RECD_MODELS_SPARSE_SCORES_H_

#include <cstdint>
#include <span>
#include <vector>

#include "models/sparse_matrix.h"
#include "recd/scorer.h"

namespace recd {

// A user's scores as a sparse vector over items: the weighted sum of a few
// rows of an item-item matrix (transition rows for Markov, neighbour rows for
// item-kNN). Built once per user in Encode, so scoring a candidate is one
// binary search. Items outside the vector score only the model's dense prior.
// Immutable after construction; thread-safe for const use.
// Sums weight * m.row(item) over `weighted_rows` into strictly increasing
// `cols` and their `values` (cleared first); rows with item outside
// [0, m.rows()) or weight 0 are skipped. Each CSR row's columns are strictly
// increasing (checked at load), so the rows are merged as sorted runs, in
// log(rows) linear passes, rather than sorted as one list.
void SumWeightedRows(const SparseRowMatrix& m, std::span<const ItemScore> weighted_rows,
                     std::vector<int32_t>& cols, std::vector<float>& values);

// The weight below which an event's recency factor (decay^steps back) makes
// it negligible next to the newest: encoders stop there, so a long history
// costs what its last few events do (about 19 steps at decay 0.7).
inline constexpr float kNegligibleRecencyWeight = 1e-3f;

class SparseScores : public UserState {
 public:
  // Sums weight * m.row(item) over `weighted_rows`; rows with item outside
  // [0, m.rows()) are skipped (unknown items carry no evidence).
  static std::unique_ptr<SparseScores> FromRows(const SparseRowMatrix& m,
                                                std::span<const ItemScore> weighted_rows);

  // out[i] = prior_weight * prior[i] + sparse score of i.
  // REQUIRES: out.size() == prior.size() (prior may be empty if prior_weight == 0).
  void ScoreAll(std::span<const float> prior, float prior_weight, std::span<float> out) const;
  void ScoreCandidates(std::span<const float> prior, float prior_weight,
                       std::span<const int32_t> candidates, std::span<float> out) const;

  // Appends the n items of largest sparse score, best first: an item-item
  // model's co-occurrence neighbours of the user's recent items (the dense
  // prior is left to the popularity model's nominations).
  void AppendTop(int n, std::vector<int32_t>& out) const;

  std::span<const int32_t> items() const { return items_; }
  std::span<const float> scores() const { return scores_; }

 private:
  std::vector<int32_t> items_;  // strictly increasing
  std::vector<float> scores_;
};

}  // namespace recd

#endif  // RECD_MODELS_SPARSE_SCORES_H_
