#ifndef RECD_EVAL_ITEM_REMAP_H_
#define RECD_EVAL_ITEM_REMAP_H_

#include <cstdint>

#include "recd/dataset.h"
#include "recd/id_map.h"

namespace recd {

// `data` re-expressed in the dense item ids of `items` (a bundle's
// items.txt), so a bundle trained on other data (another item order, fewer
// or more items) can be evaluated on it: every history keeps its events on
// items `items` knows, in order; item info is carried over by id. Users
// keep their ids.
struct RemappedDataset {
  Dataset data;
  int64_t dropped_events = 0;  // events on items `items` does not know
};
RemappedDataset RemapToItems(const Dataset& data, const IdMap& items);

}  // namespace recd

#endif  // RECD_EVAL_ITEM_REMAP_H_
