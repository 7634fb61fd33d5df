#ifndef RECD_RANKING_EXPLANATION_H_
#define RECD_RANKING_EXPLANATION_H_

#include <span>
#include <string>

#include "ranking/item_similarity.h"
#include "ranking/ranking_pipeline.h"
#include "recd/id_map.h"

namespace recd {

// The reason shown beside a recommended item: the history item it is most
// like (when `history` is given and `similarity` finds one) and the model
// that contributed most, e.g. "similar to i40552 you bought; ranked mostly
// by mf (0.512 of 1.029)". REQUIRES: `item` came from `result` ranked with
// explain, so its per-model scores are present.
std::string ExplainReason(const RankedItem& item, const RankingResult& result, const IdMap& items,
                          const ItemSimilarity* similarity, std::span<const Event> history);

}  // namespace recd

#endif  // RECD_RANKING_EXPLANATION_H_
