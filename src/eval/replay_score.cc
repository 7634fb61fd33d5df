#include "eval/replay_score.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace recd {

double NdcgAtRank(int rank) { return 1.0 / std::log2(static_cast<double>(rank) + 2.0); }

void ReplayScore::Add(std::optional<int> rank) {
  ++asked;
  if (!rank) return;
  ++hits;
  const double gain = NdcgAtRank(*rank);
  ndcg_sum += gain;
  ndcg_sq_sum += gain * gain;
}

double ReplayScore::hit_rate() const {
  return asked > 0 ? static_cast<double>(hits) / static_cast<double>(asked) : 0;
}

double ReplayScore::ndcg() const { return asked > 0 ? ndcg_sum / static_cast<double>(asked) : 0; }

double ReplayScore::hit_rate_se() const {
  if (asked == 0) return 0;
  const double p = hit_rate();
  return std::sqrt(p * (1 - p) / static_cast<double>(asked));
}

double ReplayScore::ndcg_se() const {
  if (asked < 2) return 0;
  const double n = static_cast<double>(asked);
  const double mean = ndcg_sum / n;
  // Sample variance; clamped, as rounding can take an all-equal sample below 0.
  const double variance = std::max(0.0, (ndcg_sq_sum - n * mean * mean) / (n - 1));
  return std::sqrt(variance / n);
}

absl::Status WriteReplayOutcomes(const std::string& path, const std::vector<ReplayEvent>& log,
                                 const std::vector<ReplayOutcome>& outcomes) {
  std::ofstream out(path);
  for (size_t n = 0; n < log.size() && n < outcomes.size(); ++n) {
    const ReplayOutcome& o = outcomes[n];
    out << log[n].user << '\t' << log[n].item << '\t' << o.arm << '\t';
    if (!o.answered) {
      out << "error";
    } else {
      out << (o.rank ? *o.rank : -1);
    }
    out << '\n';
  }
  out.close();
  if (!out)
    return absl::UnavailableError(absl::StrCat(path, ": cannot write the per-event outcomes"));
  return absl::OkStatus();
}

}  // namespace recd
