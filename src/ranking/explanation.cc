#include "ranking/explanation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace recd {
namespace {

const char* PastTense(EventType type) {
  switch (type) {
    case EventType::kCart:
      return "added to cart";
    case EventType::kPurchase:
      return "bought";
    default:
      return "viewed";
  }
}

}  // namespace

std::string ExplainReason(const RankedItem& item, const RankingResult& result, const IdMap& items,
                          const ItemSimilarity* similarity, std::span<const Event> history) {
  if (result.models.empty()) return "";
  size_t best = 0;
  double best_contribution = -1e300;
  for (size_t m = 0; m < result.models.size(); ++m) {
    const double contribution = result.weights[m] * item.normalized[m];
    if (contribution > best_contribution) {
      best_contribution = contribution;
      best = m;
    }
  }
  std::string similar;
  if (similarity != nullptr && !history.empty()) {
    const int pos = similarity->MostSimilar(item.item, history);
    if (pos >= 0) {
      const Event& e = history[static_cast<size_t>(pos)];
      similar = absl::StrCat("similar to ", items.Name(e.item), " you ", PastTense(e.type), "; ");
    }
  }
  return absl::StrCat(similar, absl::StrFormat("ranked mostly by %s (%.3f of %.3f)", result.models[best],
                                               best_contribution, item.score));
}

}  // namespace recd
