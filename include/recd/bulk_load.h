#ifndef RECD_BULK_LOAD_H_
#define RECD_BULK_LOAD_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "recd/dataset.h"
#include "recd/feature_store.h"

namespace recd {

struct BulkLoadOptions {
  // Catalog rows per PutItems batch. Default 5000.
  int32_t items_per_batch = 5000;
  // Users per AppendEventsBatch. Default 1000.
  int32_t users_per_batch = 1000;
  // Sync every batch instead of once at the end. Default false: a crashed
  // load is simply rerun, so per-batch fsyncs buy nothing.
  bool sync_each_batch = false;
  // Write each user's history whole (FeatureStore::ReplaceHistoriesBatch)
  // instead of appending it, so rerunning a load that was interrupted
  // leaves the store as one clean load would. Default false: appending
  // lets recd-ingest add a dataset to users the store already has.
  bool replace_histories = false;
  // If non-empty, stored as meta "seeded_from" once everything is durable,
  // so a half-finished load is recognisable by its absence. Default empty.
  std::string seeded_from;
  // Called after each batch with the rows it covered (catalog items, then
  // users, those without events too, so the calls add up to num_items() +
  // num_users()), for a progress display (recd-ingest). Default none.
  std::function<void(int64_t rows)> on_rows;
};

struct BulkLoadReport {
  int64_t items = 0;    // catalog rows written
  int64_t users = 0;    // users with at least one event appended
  int64_t events = 0;   // events appended (before max_history trimming)
  int64_t batches = 0;  // write batches issued
};

// Seeds `store` with a dataset: the catalog (item_info, keyed by external
// item id) and every user's history (dense ids converted back to external
// ids through dataset.items / dataset.users). Histories are APPENDED, so
// loading the same dataset twice doubles them (up to max_history), unless
// options.replace_histories. Batches
// are written unsynced unless asked, followed by one store.Flush().
// `report`, if not null, receives the counts, also on failure (what was
// written before it).
//
// Fails with InvalidArgument naming the user or item for a dataset whose
// vectors disagree with its id maps or whose events name an unknown item.
absl::Status LoadDatasetIntoStore(const Dataset& dataset, FeatureStore& store,
                                  const BulkLoadOptions& options, BulkLoadReport* report = nullptr);

}  // namespace recd

#endif  // RECD_BULK_LOAD_H_
