#include "train/lstm_validation.h"

#include <algorithm>
#include <span>
#include <vector>

#include "recd/ranking_metrics.h"

namespace recd {
namespace {

// Users per matrix product: the [block x num_items] score buffer per thread
// stays around 12 MB at 100k items, while the output matrix is read once per
// block instead of once per user.
constexpr size_t kBlockUsers = 32;

}  // namespace

RankingMetrics ValidateLstm(const LstmScorer& scorer, const LeaveOneOutSplit& split,
                            int64_t max_users) {
  const std::vector<int32_t> users = UsersWithTarget(split, EvalTarget::kValidation, max_users);
  const LstmWeights w = scorer.CopyWeights();
  const auto num_items = static_cast<Eigen::Index>(scorer.num_items());
  std::vector<int64_t> ranks(users.size());
  const auto blocks = static_cast<int64_t>((users.size() + kBlockUsers - 1) / kBlockUsers);
#pragma omp parallel
  {
    RowMatrixXf h(static_cast<Eigen::Index>(kBlockUsers), scorer.hidden_dim());
    RowMatrixXf scores;
    std::vector<std::vector<Event>> histories(kBlockUsers);
    std::vector<int32_t> excluded;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const size_t first = static_cast<size_t>(b) * kBlockUsers;
      const size_t n = std::min(kBlockUsers, users.size() - first);
      for (size_t i = 0; i < n; ++i) {
        const int32_t u = users[first + i];
        histories[i] = EvalHistory(split, u, EvalTarget::kValidation);
        const auto state = scorer.Encode(UserHistory{histories[i], u});
        h.row(static_cast<Eigen::Index>(i)) = static_cast<const LstmState&>(*state).h.transpose();
      }
      const auto rows = static_cast<Eigen::Index>(n);
      scores.resize(rows, num_items);
      scores.noalias() = h.topRows(rows) * w.output_weight.transpose();
      scores.rowwise() += w.output_bias.transpose();
      for (size_t i = 0; i < n; ++i) {
        excluded.clear();
        for (const Event& e : histories[i]) excluded.push_back(e.item);
        const int32_t target = split.valid[static_cast<size_t>(users[first + i])].item;
        ranks[first + i] =
            RankOfTarget(std::span<const float>(scores.row(static_cast<Eigen::Index>(i)).data(),
                                                static_cast<size_t>(num_items)),
                         target, excluded);
      }
    }
  }
  RankingMetrics m;
  for (int64_t r : ranks) m.Add(r);
  m.Finish();
  return m;
}

}  // namespace recd
