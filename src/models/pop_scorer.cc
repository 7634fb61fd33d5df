#include "models/pop_scorer.h"

#include <algorithm>
#include <utility>

#include "models/catalog_moments.h"
#include "models/csr_tensors.h"

namespace recd {
namespace {

// Popularity ignores the user, so there is nothing to remember.
class EmptyState : public UserState {};

}  // namespace

PopScorer::PopScorer(std::vector<float> scores)
    : scores_(std::move(scores)),
      ranked_(TopOfVector(scores_, static_cast<int32_t>(scores_.size()))),
      moments_(DenseSums::Of(scores_).Moments()) {}

std::unique_ptr<UserState> PopScorer::Encode(const UserHistory& history) const {
  return std::make_unique<EmptyState>();
}

void PopScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  std::copy(scores_.begin(), scores_.end(), out.begin());
}

void PopScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                std::span<float> out) const {
  for (size_t i = 0; i < candidates.size(); ++i) {
    out[i] = scores_[static_cast<size_t>(candidates[i])];
  }
}

void PopScorer::Nominate(const UserState&, int n, std::vector<int32_t>& out) const {
  for (const ItemScore& s : TopItems(n)) out.push_back(s.item);
}

std::vector<ItemScore> PopScorer::TopItems(int32_t k) const {
  const size_t n = std::min(ranked_.size(), static_cast<size_t>(std::max(k, 0)));
  return std::vector<ItemScore>(ranked_.begin(), ranked_.begin() + static_cast<std::ptrdiff_t>(n));
}

absl::Status PopScorer::Save(const std::string& dir, ModelManifest base) const {
  base.model_type = std::string(kName);
  base.num_items = num_items();
  SafetensorsWriter tensors;
  tensors.AddF32("scores", {num_items()}, scores_);
  return ModelDir::Write(dir, std::move(base), tensors);
}

absl::StatusOr<std::unique_ptr<PopScorer>> PopScorer::Load(const std::string& model_dir) {
  auto model = ModelDir::Open(model_dir, std::string(kName));
  if (!model.ok()) return model.status();
  auto scores = ReadF32Vector((*model)->tensors(), "scores", (*model)->manifest().num_items);
  if (!scores.ok()) return scores.status();
  return std::make_unique<PopScorer>(*std::move(scores));
}

}  // namespace recd
