#include "recd/scorer.h"

#include <stdexcept>
#include <string>
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

void Scorer::Nominate(const UserState&, int, std::vector<int32_t>&) const {
  throw std::logic_error(std::string(name()) + ": this model does not nominate directly");
}

std::span<const float> Scorer::EmbeddingQuery(const UserState&) const {
  throw std::logic_error(std::string(name()) + ": this model has no item embeddings");
}

float Scorer::ItemSimilarity(int32_t, int32_t) const {
  throw std::logic_error(std::string(name()) + ": this model has no item similarity");
}

absl::Status Scorer::Save(const std::string& dir, ModelManifest base) const {
  return absl::UnimplementedError(std::string(name()) + ": this model cannot be saved");
}

}  // namespace recd
