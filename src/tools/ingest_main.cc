// recd-ingest: bulk-load a catalog and/or an event log into recd's RocksDB
// feature store (stop recd first, or point at a fresh store directory).
//
//   recd-ingest --store data/store --catalog catalog.jsonl --events events.csv

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "recd/bulk_load.h"
#include "recd/data_loaders.h"
#include "recd/feature_store_factory.h"
#include "util/progress_reporter.h"

int main(int argc, char** argv) {
  CLI::App app{"recd-ingest: bulk-load catalog and events into the feature store"};
  std::string store_path, catalog, events;
  bool strict = false;
  int history = 200;
  app.add_option("--store", store_path, "RocksDB directory")->required();
  app.add_option("--catalog", catalog, "catalog .csv or .jsonl");
  app.add_option("--events", events, "interaction log .csv (user_id,item_id,event,timestamp)");
  app.add_option("--history-length", history, "events kept per user")->capture_default_str();
  app.add_flag("--strict", strict, "fail on the first bad line instead of skipping and counting");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no progress display on stderr (stdout is the same either way)");
  CLI11_PARSE(app, argc, argv);
  if (catalog.empty() && events.empty()) {
    std::cerr << "recd-ingest: nothing to load: give --catalog and/or --events\n";
    return 2;
  }
  recd::Dataset data;
  recd::LoadOptions load_options;
  load_options.strict = strict;
  if (!catalog.empty()) {
    recd::LoadReport report;
    if (auto s = recd::LoadCatalog(catalog, &data, &report, load_options); !s.ok()) {
      std::cerr << "recd-ingest: " << s.message() << "\n";
      return 1;
    }
    std::cout << catalog << ": " << report.Summary() << "\n";
    for (const auto& e : report.examples) std::cout << "  " << e << "\n";
  }
  if (!events.empty()) {
    recd::LoadReport report;
    std::error_code ec;
    const auto size = std::filesystem::file_size(events, ec);  // unknown (0) if it fails; the load says why
    recd::ProgressReporter bar(recd::ProgressReporter::ForStderr("read bytes", ec ? 0 : static_cast<int64_t>(size),
                                                                 !no_progress));
    load_options.on_bytes = [&bar](int64_t bytes) { bar.Add(bytes); };
    if (auto s = recd::LoadInteractions(events, load_options, &data, &report); !s.ok()) {
      std::cerr << "recd-ingest: " << s.message() << "\n";
      return 1;
    }
    bar.Finish();
    std::cout << events << ": " << report.Summary() << "\n";
    for (const auto& e : report.examples) std::cout << "  " << e << "\n";
  }
  recd::RocksDbStoreOptions store_options;
  store_options.path = store_path;
  store_options.max_history = history;
  auto store = recd::OpenRocksDbFeatureStore(store_options);
  if (!store.ok()) {
    std::cerr << "recd-ingest: " << store.status().message() << "\n";
    return 1;
  }
  recd::BulkLoadReport loaded;
  recd::BulkLoadOptions load;
  recd::ProgressReporter bar(recd::ProgressReporter::ForStderr(
      "stored rows", static_cast<int64_t>(data.num_items()) + data.num_users(), !no_progress));
  load.on_rows = [&bar](int64_t rows) { bar.Add(rows); };
  if (auto s = recd::LoadDatasetIntoStore(data, **store, load, &loaded); !s.ok()) {
    std::cerr << "recd-ingest: " << s.message() << "\n";
    return 1;
  }
  bar.Finish();
  std::cout << "stored " << loaded.items << " items, " << loaded.users << " users, " << loaded.events << " events in "
            << store_path << "\n";
  return 0;
}
