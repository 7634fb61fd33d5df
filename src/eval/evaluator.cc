#include "recd/evaluator.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"
#include "recd/ranking_metrics.h"

namespace recd {

void RankingMetrics::Add(int64_t rank) { Add(std::span<const int64_t>(&rank, 1)); }

void RankingMetrics::Add(std::span<const int64_t> target_ranks) {
  if (target_ranks.empty()) return;
  const int64_t best = *std::min_element(target_ranks.begin(), target_ranks.end());
  hr5 += HitAt(best, 5);
  hr10 += HitAt(best, 10);
  hr20 += HitAt(best, 20);
  ndcg5 += NdcgAt(target_ranks, 5);
  ndcg10 += NdcgAt(target_ranks, 10);
  ndcg20 += NdcgAt(target_ranks, 20);
  precision5 += PrecisionAt(target_ranks, 5);
  precision10 += PrecisionAt(target_ranks, 10);
  precision20 += PrecisionAt(target_ranks, 20);
  recall5 += RecallAt(target_ranks, 5);
  recall10 += RecallAt(target_ranks, 10);
  recall20 += RecallAt(target_ranks, 20);
  f1_5 += F1At(target_ranks, 5);
  f1_10 += F1At(target_ranks, 10);
  f1_20 += F1At(target_ranks, 20);
  mrr += ReciprocalRank(best);
  ++users;
}

void RankingMetrics::Finish() {
  if (users == 0) return;
  const double n = static_cast<double>(users);
  for (double* m : {&hr5, &hr10, &hr20, &ndcg5, &ndcg10, &ndcg20, &precision5, &precision10,
                    &precision20, &recall5, &recall10, &recall20, &f1_5, &f1_10, &f1_20, &mrr}) {
    *m /= n;
  }
}

std::string RankingMetrics::ToString() const {
  return absl::StrFormat(
      "HR@5 %.4f HR@10 %.4f HR@20 %.4f NDCG@5 %.4f NDCG@10 %.4f NDCG@20 %.4f MRR %.4f (%d users)",
      hr5, hr10, hr20, ndcg5, ndcg10, ndcg20, mrr, users);
}

std::vector<Event> EvalHistory(const LeaveOneOutSplit& split, int32_t user, EvalTarget target) {
  return target == EvalTarget::kTest ? split.TestHistory(user)
                                     : split.train[static_cast<size_t>(user)];
}

std::vector<int32_t> UsersWithTarget(const LeaveOneOutSplit& split, EvalTarget target, int64_t max_users) {
  const auto& targets = target == EvalTarget::kTest ? split.test : split.valid;
  std::vector<int32_t> all;
  for (size_t u = 0; u < targets.size(); ++u) {
    if (targets[u].item >= 0) all.push_back(static_cast<int32_t>(u));
  }
  if (max_users <= 0 || static_cast<int64_t>(all.size()) <= max_users) return all;
  std::vector<int32_t> sample;
  sample.reserve(static_cast<size_t>(max_users));
  for (int64_t i = 0; i < max_users; ++i) {
    sample.push_back(all[static_cast<size_t>(i * static_cast<int64_t>(all.size()) / max_users)]);
  }
  return sample;
}

RankingMetrics EvaluateScorer(const Scorer& scorer, const LeaveOneOutSplit& split,
                              EvalTarget target, int64_t max_users) {
  const auto& targets = target == EvalTarget::kTest ? split.test : split.valid;
  const std::vector<int32_t> users = UsersWithTarget(split, target, max_users);
  std::vector<int64_t> ranks(users.size());
#pragma omp parallel
  {
    std::vector<float> scores(static_cast<size_t>(scorer.num_items()));
    std::vector<int32_t> excluded;
#pragma omp for schedule(dynamic, 64)
    for (size_t i = 0; i < users.size(); ++i) {
      const int32_t u = users[i];
      const std::vector<Event> history = EvalHistory(split, u, target);
      auto state = scorer.Encode(UserHistory{history, u});
      scorer.ScoreAll(*state, scores);
      excluded.clear();
      for (const Event& e : history) excluded.push_back(e.item);
      ranks[i] = RankOfTarget(scores, targets[static_cast<size_t>(u)].item, excluded);
    }
  }
  RankingMetrics m;
  for (int64_t r : ranks) m.Add(r);
  m.Finish();
  return m;
}

}  // namespace recd
