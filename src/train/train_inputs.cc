#include "train/train_inputs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace recd {

absl::Status CheckTrainingData(const Dataset& data) {
  if (data.item_info.size() != static_cast<size_t>(data.num_items())) {
    return absl::InvalidArgumentError(absl::StrCat("item_info has ", data.item_info.size(),
                                                   " rows for ", data.num_items(), " items"));
  }
  for (size_t u = 0; u < data.histories.size(); ++u) {
    const auto& h = data.histories[u];
    for (size_t p = 0; p < h.size(); ++p) {
      if (h[p].item < 0 || h[p].item >= data.num_items()) {
        return absl::InvalidArgumentError(absl::StrCat("user ", u, " event ", p, ": item ",
                                                       h[p].item, " is not a dense item id"));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<float> PopularityPrior(const Dataset& data) {
  std::vector<float> prior(static_cast<size_t>(data.num_items()), 0.0f);
  for (const auto& h : data.histories) {
    for (const Event& e : h) prior[static_cast<size_t>(e.item)] += 1.0f;
  }
  const float top = prior.empty() ? 0.0f : *std::max_element(prior.begin(), prior.end());
  if (top > 0.0f) {
    for (float& p : prior) p /= top;
  }
  return prior;
}

}  // namespace recd
