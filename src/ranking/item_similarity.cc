#include "ranking/item_similarity.h"

#include "models/knn_scorer.h"
#include "models/mf_scorer.h"

namespace recd {

std::unique_ptr<ItemSimilarity> ItemSimilarity::ForBundle(const ModelBundle& bundle) {
  const KnnScorer* knn = nullptr;
  const MfScorer* mf = nullptr;
  for (const auto& scorer : bundle.scorers()) {
    if (knn == nullptr) knn = dynamic_cast<const KnnScorer*>(scorer.get());
    if (mf == nullptr) mf = dynamic_cast<const MfScorer*>(scorer.get());
  }
  if (knn == nullptr && mf == nullptr) return nullptr;
  return std::unique_ptr<ItemSimilarity>(new ItemSimilarity(knn, mf));
}

float ItemSimilarity::Similarity(int32_t a, int32_t b) const {
  if (knn_ != nullptr) {
    const SparseRowMatrix& s = knn_->similarities();
    if (a < 0 || b < 0 || a >= s.rows() || b >= s.cols()) return 0;
    return s.coeff(a, b);
  }
  const auto factors = mf_->item_factors();
  if (a < 0 || b < 0 || a >= factors.rows() || b >= factors.rows()) return 0;
  const float norms = factors.row(a).norm() * factors.row(b).norm();
  return norms > 0 ? factors.row(a).dot(factors.row(b)) / norms : 0.0f;
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
