#ifndef RECD_FEATURE_STORE_FACTORY_H_
#define RECD_FEATURE_STORE_FACTORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "recd/feature_store.h"

namespace recd {

// Options of the RocksDB-backed feature store (src/store/). Public so that
// the daemon, tools and benchmarks can open one without seeing RocksDB.
struct RocksDbStoreOptions {
  // Directory of the database. Required; no default.
  std::string path;
  // Create the database (and its column families) if missing. Default true.
  bool create_if_missing = true;
  // Events kept per user; older ones are dropped on append. Default 200.
  int32_t max_history = 200;
  // Decoded hot histories kept in memory (an LRU over users). 0 disables
  // the cache. Default 100000.
  size_t history_cache_entries = 100000;
  // Shards of the history cache, each with its own mutex. Default 16.
  int history_cache_shards = 16;
  // RocksDB block cache for undecoded blocks, shared by all column
  // families. Default 256 MiB.
  size_t block_cache_bytes = size_t{256} << 20;
  // RocksDB memtable size per column family. Default 64 MiB.
  size_t write_buffer_bytes = size_t{64} << 20;
};

// Opens (creating on first use) a RocksDB feature store at options.path.
absl::StatusOr<std::unique_ptr<FeatureStore>> OpenRocksDbFeatureStore(
    const RocksDbStoreOptions& options);

struct InMemoryStoreOptions {
  // Events kept per user. Default 200.
  int32_t max_history = 200;
};

// A feature store in process memory, for tests of other components.
std::unique_ptr<FeatureStore> NewInMemoryFeatureStore(const InMemoryStoreOptions& options);

}  // namespace recd

#endif  // RECD_FEATURE_STORE_FACTORY_H_
