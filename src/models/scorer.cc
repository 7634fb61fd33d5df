#include "recd/scorer.h"

#include <vector>

namespace recd {

void Scorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                             std::span<float> out) const {
  std::vector<float> all(static_cast<size_t>(num_items()));
  ScoreAll(state, all);
  for (size_t i = 0; i < candidates.size(); ++i) out[i] = all[static_cast<size_t>(candidates[i])];
}

std::unique_ptr<UserState> Scorer::Extend(const UserState&, const UserHistory& full_history,
                                          size_t) const {
  return Encode(full_history);
}

absl::Status Scorer::Save(const std::string& dir, ModelManifest base) const {
  return absl::UnimplementedError(std::string(name()) + ": this model cannot be saved");
}

}  // namespace recd
