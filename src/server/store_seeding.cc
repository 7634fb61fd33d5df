#include "absl/strings/str_cat.h"
#include "recd/bulk_load.h"
#include "recd/data_loaders.h"
#include "server/recd_server.h"
#include "spdlog/spdlog.h"

namespace recd {

namespace {
constexpr char kSeededKey[] = "seeded_from";
}

absl::Status SeedStoreIfEmpty(const ServerConfig& config, FeatureStore& store) {
  if (config.seed_catalog.empty() && config.seed_events.empty()) return absl::OkStatus();
  if (store.GetMeta(kSeededKey).ok()) return absl::OkStatus();
  Dataset data;
  LoadReport catalog_report, events_report;
  if (!config.seed_catalog.empty()) {
    if (auto s = LoadCatalog(config.seed_catalog, &data, &catalog_report); !s.ok()) return s;
    spdlog::info("seed catalog {}: {}", config.seed_catalog, catalog_report.Summary());
  }
  if (!config.seed_events.empty()) {
    if (auto s = LoadInteractions(config.seed_events, LoadOptions{}, &data, &events_report); !s.ok()) return s;
    spdlog::info("seed events {}: {}", config.seed_events, events_report.Summary());
  }
  // A kill mid-seed leaves some users written and no marker, and the next
  // start seeds again: whole-history writes make that rerun land exactly
  // where one clean seed would (appends would double the histories written
  // before the kill), and the marker is written only after everything else
  // is durable. Nothing else writes to the store before the daemon listens.
  BulkLoadOptions options;
  options.replace_histories = true;
  options.seeded_from = absl::StrCat(config.seed_catalog, ";", config.seed_events);
  BulkLoadReport loaded;
  if (auto s = LoadDatasetIntoStore(data, store, options, &loaded); !s.ok()) return s;
  spdlog::info("feature store seeded: {} items, {} users, {} events", loaded.items, loaded.users, loaded.events);
  return absl::OkStatus();
}

}  // namespace recd
