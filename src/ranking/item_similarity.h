#ifndef RECD_RANKING_ITEM_SIMILARITY_H_
#define RECD_RANKING_ITEM_SIMILARITY_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "recd/dataset.h"
#include "recd/model_bundle.h"

namespace recd {

class KnnScorer;
class MfScorer;

// How alike two catalog items are, for explanations ("similar to the X you
// viewed"): the bundle's item-kNN similarity when it has one (co-occurrence:
// what shoppers actually do together), else the cosine of the MF item
// factors. Points into the bundle's scorers, so it must not outlive the
// bundle. Immutable; thread-safe.
class ItemSimilarity {
 public:
  // Null when the bundle has neither a knn nor an mf model.
  static std::unique_ptr<ItemSimilarity> ForBundle(const ModelBundle& bundle);

  float Similarity(int32_t a, int32_t b) const;

  // Position in `history` of the item most like `item` (the most recent one
  // on ties), or -1 when no history item is alike at all (similarity <= 0).
  int MostSimilar(int32_t item, std::span<const Event> history) const;

 private:
  ItemSimilarity(const KnnScorer* knn, const MfScorer* mf) : knn_(knn), mf_(mf) {}
  const KnnScorer* knn_;  // preferred when set
  const MfScorer* mf_;
  std::vector<float> inverse_norms_;  // of the MF item factors (0 for a zero row), without knn
};

}  // namespace recd

#endif  // RECD_RANKING_ITEM_SIMILARITY_H_
