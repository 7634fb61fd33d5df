#ifndef RECD_SERVER_NEW_CATALOG_ITEMS_H_
#define RECD_SERVER_NEW_CATALOG_ITEMS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "recd/feature_store.h"
#include "recd/model_bundle.h"

namespace recd {

// The store's catalog rows of items `trained` holds no id for (added since it
// was trained), at most `max`. Those `served` (an earlier view of the same
// trained bundle, or null) already held come first, in its order, so their
// ids do not move; then the others in the store's order. Rows past `max`
// are left for the next bundle (logged). Reads nothing when max is 0.
absl::StatusOr<std::vector<ItemRecord>> NewCatalogRows(const ModelBundle& trained, const ModelBundle* served,
                                                       FeatureStore& store, int max);

}  // namespace recd

#endif  // RECD_SERVER_NEW_CATALOG_ITEMS_H_
