#ifndef RECD_STORE_HISTORY_CACHE_H_
#define RECD_STORE_HISTORY_CACHE_H_

#include "recd/feature_store.h"
#include "util/sharded_lru_cache.h"

namespace recd {

// Decoded user histories keyed by user id. RocksDbFeatureStore keeps it
// coherent: it inserts the new history after every successful append while
// holding that user's stripe lock.
using HistoryCache = ShardedLruCache<StoredHistory>;

}  // namespace recd

#endif  // RECD_STORE_HISTORY_CACHE_H_
