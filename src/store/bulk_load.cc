#include "recd/bulk_load.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

absl::Status CheckShape(const Dataset& dataset) {
  if (dataset.item_info.size() != static_cast<size_t>(dataset.num_items())) {
    return absl::InvalidArgumentError(absl::StrCat("dataset has ", dataset.num_items(),
                                                   " items but ", dataset.item_info.size(),
                                                   " item_info rows"));
  }
  if (dataset.histories.size() != static_cast<size_t>(dataset.num_users())) {
    return absl::InvalidArgumentError(absl::StrCat("dataset has ", dataset.num_users(),
                                                   " users but ", dataset.histories.size(),
                                                   " histories"));
  }
  return absl::OkStatus();
}

absl::Status LoadCatalog(const Dataset& dataset, FeatureStore& store,
                         const BulkLoadOptions& options, BulkLoadReport& report) {
  const StoreWriteOptions write{.sync = options.sync_each_batch};
  const int32_t per_batch = std::max(1, options.items_per_batch);
  std::vector<ItemRecord> batch;
  for (int32_t begin = 0; begin < dataset.num_items(); begin += per_batch) {
    const int32_t end = std::min(dataset.num_items(), begin + per_batch);
    batch.clear();
    for (int32_t i = begin; i < end; ++i) {
      batch.push_back(ItemRecord{dataset.items.Name(i), dataset.item_info[i]});
    }
    if (absl::Status s = store.PutItems(batch, write); !s.ok()) return s;
    report.items += end - begin;
    ++report.batches;
    if (options.on_rows) options.on_rows(end - begin);
  }
  return absl::OkStatus();
}

absl::Status LoadHistories(const Dataset& dataset, FeatureStore& store,
                           const BulkLoadOptions& options, BulkLoadReport& report) {
  const StoreWriteOptions write{.sync = options.sync_each_batch};
  const int32_t per_batch = std::max(1, options.users_per_batch);
  std::vector<UserEvents> batch;
  for (int32_t begin = 0; begin < dataset.num_users(); begin += per_batch) {
    const int32_t end = std::min(dataset.num_users(), begin + per_batch);
    batch.clear();
    int64_t events = 0;
    for (int32_t u = begin; u < end; ++u) {
      const std::vector<Event>& history = dataset.histories[u];
      if (history.empty()) continue;
      UserEvents& out = batch.emplace_back();
      out.user_id = dataset.users.Name(u);
      out.events.reserve(history.size());
      for (const Event& e : history) {
        if (e.item < 0 || e.item >= dataset.num_items()) {
          return absl::InvalidArgumentError(
              absl::StrCat("user '", out.user_id, "' has an event for unknown item ", e.item));
        }
        out.events.push_back(StoredEvent{dataset.items.Name(e.item), e.type, e.timestamp});
      }
      events += static_cast<int64_t>(history.size());
    }
    if (!batch.empty()) {
      const absl::Status s = options.replace_histories ? store.ReplaceHistoriesBatch(batch, write)
                                                       : store.AppendEventsBatch(batch, write);
      if (!s.ok()) return s;
      report.users += static_cast<int64_t>(batch.size());
      report.events += events;
      ++report.batches;
    }
    // Users passed, not written: the rows add up to num_items() +
    // num_users() even when some users have no events.
    if (options.on_rows) options.on_rows(end - begin);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadDatasetIntoStore(const Dataset& dataset, FeatureStore& store,
                                  const BulkLoadOptions& options, BulkLoadReport* report) {
  BulkLoadReport local;
  BulkLoadReport& r = report != nullptr ? *report : local;
  r = BulkLoadReport{};
  if (absl::Status s = CheckShape(dataset); !s.ok()) return s;
  if (absl::Status s = LoadCatalog(dataset, store, options, r); !s.ok()) return s;
  if (absl::Status s = LoadHistories(dataset, store, options, r); !s.ok()) return s;
  if (absl::Status s = store.Flush(); !s.ok()) return s;
  if (!options.seeded_from.empty()) {
    if (absl::Status s = store.PutMeta("seeded_from", options.seeded_from); !s.ok()) return s;
  }
  spdlog::info("bulk load: {} items, {} users, {} events in {} batches", r.items, r.users, r.events,
               r.batches);
  return absl::OkStatus();
}

}  // namespace recd
