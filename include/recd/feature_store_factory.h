#ifndef RECD_FEATURE_STORE_FACTORY_H_
#define RECD_FEATURE_STORE_FACTORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  // Non-empty: open read-only as a RocksDB secondary instance that keeps
  // its own files here, beside a recd that has the store open (the primary
  // holds RocksDB's lock; a secondary takes none and reads everything the
  // primary had written when it opened). Writes then fail. For
  // `recd-train --from-store`.
  std::string secondary_path;
};

// Opens (creating on first use) a RocksDB feature store at options.path.
absl::StatusOr<std::unique_ptr<FeatureStore>> OpenRocksDbFeatureStore(
    const RocksDbStoreOptions& options);

// Options of the Redis-backed feature store (src/store/redis/): a Redis
// Cluster or one standalone server shared by several recd replicas.
struct RedisStoreOptions {
  // host:port seeds. One entry = a standalone server or any node of a
  // cluster (the rest is discovered with CLUSTER SLOTS). Required.
  std::vector<std::string> nodes;
  // Every key starts with "<key_prefix>:", so several deployments can share
  // one Redis. No '{' or '}' (they would change the hash slots). Default "recd".
  std::string key_prefix = "recd";
  // Events kept per user. Default 200.
  int32_t max_history = 200;
  // Replicas that must confirm each synced write (Redis WAIT) before it is
  // acknowledged; fewer within wait_timeout_ms is Unavailable. Default 0
  // (the primary's append-only file alone).
  int32_t wait_replicas = 0;
  // WAIT's timeout; must be below command_timeout_ms. Default 500.
  int64_t wait_timeout_ms = 500;
  // Connecting to a node. Default 1000.
  int64_t connect_timeout_ms = 1000;
  // Sending a pipeline and reading its replies. Default 1000.
  int64_t command_timeout_ms = 1000;
  // Connections kept per node (and the most calls in flight per node). Default 8.
  int32_t pool_size = 8;
};

// Connects to the Redis store; Unavailable naming the seeds if none answers.
absl::StatusOr<std::unique_ptr<FeatureStore>> OpenRedisFeatureStore(const RedisStoreOptions& options);

struct InMemoryStoreOptions {
  // Events kept per user. Default 200.
  int32_t max_history = 200;
};

// A feature store in process memory, for tests of other components.
std::unique_ptr<FeatureStore> NewInMemoryFeatureStore(const InMemoryStoreOptions& options);

}  // namespace recd

#endif  // RECD_FEATURE_STORE_FACTORY_H_
