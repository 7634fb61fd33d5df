#include "ranking/state_refresh.h"

#include <exception>
#include <string>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

bool PositiveIn(const std::map<std::string, double>& weights, const std::string& model) {
  auto it = weights.find(model);
  return it != weights.end() && it->second > 0;
}

}  // namespace

std::vector<bool> WeightedScorers(const RankingPipeline& pipeline) {
  const FusionConfig& fusion = pipeline.fusion();
  const auto& scorers = pipeline.bundle().scorers();
  std::vector<bool> weighted(scorers.size(), false);
  for (size_t i = 0; i < scorers.size(); ++i) {
    const std::string name(scorers[i]->name());
    weighted[i] = PositiveIn(fusion.weights, name);
    for (const FusionSegment& segment : fusion.segments) {
      weighted[i] = weighted[i] || PositiveIn(segment.weights, name);
    }
  }
  return weighted;
}

absl::StatusOr<std::vector<std::shared_ptr<const UserState>>> RefreshStates(
    const RankingPipeline& pipeline, const UserHistory& history, size_t appended,
    std::span<const std::shared_ptr<const UserState>> previous) {
  const auto& scorers = pipeline.bundle().scorers();
  const std::vector<bool> weighted = WeightedScorers(pipeline);
  std::vector<std::shared_ptr<const UserState>> states(scorers.size());
  for (size_t i = 0; i < scorers.size(); ++i) {
    if (!weighted[i]) continue;
    const Scorer& scorer = *scorers[i];
    try {
      if (i < previous.size() && previous[i] != nullptr && appended <= history.events.size()) {
        states[i] = scorer.Extend(*previous[i], history, appended);
      } else {
        states[i] = scorer.Encode(history);
      }
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("refreshing the ", std::string(scorer.name()), " state: ", e.what()));
    }
  }
  return states;
}

}  // namespace recd
