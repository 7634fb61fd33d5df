#include "ranking/item_similarity.h"

namespace recd {

std::unique_ptr<ItemSimilarity> ItemSimilarity::ForBundle(const ModelBundle& bundle) {
  for (const auto& scorer : bundle.scorers()) {
    if (scorer->has_item_similarity()) return std::unique_ptr<ItemSimilarity>(new ItemSimilarity(scorer.get()));
  }
  return nullptr;
}

int ItemSimilarity::MostSimilar(int32_t item, std::span<const Event> history) const {
  int best = -1;
  float best_similarity = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const float s = Similarity(history[i].item, item);
    if (s > 0 && s >= best_similarity) {
      best = static_cast<int>(i);
      best_similarity = s;
    }
  }
  return best;
}

}  // namespace recd
