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
  std::unique_ptr<ItemSimilarity> similarity(new ItemSimilarity(knn, mf));
  if (knn == nullptr) {
    // Norms once at load, so a cosine at request time is one dot product.
    const auto factors = mf->item_factors();
    similarity->inverse_norms_.resize(static_cast<size_t>(factors.rows()));
    for (Eigen::Index i = 0; i < factors.rows(); ++i) {
      const float norm = factors.row(i).norm();
      similarity->inverse_norms_[static_cast<size_t>(i)] = norm > 0 ? 1.0f / norm : 0.0f;
    }
  }
  return similarity;
}

float ItemSimilarity::Similarity(int32_t a, int32_t b) const {
  if (knn_ != nullptr) {
    const SparseRowMatrix& s = knn_->similarities();
    if (a < 0 || b < 0 || a >= s.rows() || b >= s.cols()) return 0;
    return s.coeff(a, b);
  }
  const auto factors = mf_->item_factors();
  if (a < 0 || b < 0 || a >= factors.rows() || b >= factors.rows()) return 0;
  return factors.row(a).dot(factors.row(b)) * inverse_norms_[static_cast<size_t>(a)] *
         inverse_norms_[static_cast<size_t>(b)];
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
