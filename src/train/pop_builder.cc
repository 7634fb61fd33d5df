#include "train/pop_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "train/train_inputs.h"

namespace recd {

absl::StatusOr<std::unique_ptr<PopScorer>> BuildPop(const Dataset& train_view,
                                                   const PopBuilderOptions& options) {
  if (absl::Status s = CheckTrainingData(train_view); !s.ok()) return s;
  if (options.half_life < 0 || options.last_n_per_user < 0) {
    return absl::InvalidArgumentError("pop half_life and last_n_per_user must not be negative");
  }
  int64_t newest = std::numeric_limits<int64_t>::min();
  for (const auto& h : train_view.histories) {
    for (const Event& e : h) newest = std::max(newest, e.timestamp);
  }
  std::vector<double> counts(static_cast<size_t>(train_view.num_items()), 0.0);
  for (const auto& h : train_view.histories) {
    const size_t first = options.last_n_per_user > 0 && h.size() > static_cast<size_t>(options.last_n_per_user)
                             ? h.size() - static_cast<size_t>(options.last_n_per_user)
                             : 0;
    for (size_t p = first; p < h.size(); ++p) {
      double w = options.event_weights.Of(h[p].type);
      if (options.half_life > 0) {
        const double age = options.clock == PopBuilderOptions::Clock::kTimestamp
                               ? static_cast<double>(newest - h[p].timestamp)
                               : static_cast<double>(h.size() - 1 - p);
        w *= std::exp2(-age / options.half_life);
      }
      counts[static_cast<size_t>(h[p].item)] += w;
    }
  }
  return std::make_unique<PopScorer>(std::vector<float>(counts.begin(), counts.end()));
}

}  // namespace recd
