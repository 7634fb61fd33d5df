#ifndef RECD_RANKING_ITEM_SIMILARITY_H_
#define RECD_RANKING_ITEM_SIMILARITY_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "recd/dataset.h"
#include "recd/model_bundle.h"

namespace recd {

// How alike two catalog items are, for explanations ("similar to the X you
// viewed"), in the terms of the first model of the bundle that has a notion
// of item similarity (Scorer::has_item_similarity: item-kNN co-occurrence,
// what shoppers actually do together, comes before MF's factor cosine in a
// trained bundle). Points into the bundle's scorers, so it must not outlive
// the bundle. Immutable; thread-safe.
class ItemSimilarity {
 public:
  // Null when no model of the bundle has item similarity.
  static std::unique_ptr<ItemSimilarity> ForBundle(const ModelBundle& bundle);

  float Similarity(int32_t a, int32_t b) const { return model_->ItemSimilarity(a, b); }

  // Position in `history` of the item most like `item` (the most recent one
  // on ties), or -1 when no history item is alike at all (similarity <= 0).
  int MostSimilar(int32_t item, std::span<const Event> history) const;

 private:
  explicit ItemSimilarity(const Scorer* model) : model_(model) {}
  const Scorer* model_;
};

}  // namespace recd

#endif  // RECD_RANKING_ITEM_SIMILARITY_H_
