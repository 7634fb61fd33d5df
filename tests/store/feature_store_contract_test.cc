// The FeatureStore contract (feature_store_contract.h) against the in-memory
// fake other components test with and the RocksDB store the daemon serves
// with by default.

#include <memory>
#include <string>
#include <type_traits>

#include "gtest/gtest.h"
#include "recd/feature_store.h"
#include "recd/feature_store_factory.h"
#include "store/feature_store_contract.h"
#include "store/store_test_util.h"

namespace recd {
namespace {

struct InMemoryImpl {
  static std::string SkipReason() { return ""; }
  static std::unique_ptr<FeatureStore> Make(const TempDir&, int32_t max_history) {
    return NewInMemoryFeatureStore({.max_history = max_history});
  }
};

struct RocksDbImpl {
  static std::string SkipReason() { return ""; }
  static std::unique_ptr<FeatureStore> Make(const TempDir& dir, int32_t max_history) {
    RocksDbStoreOptions options;
    options.path = dir.Sub("db");
    options.max_history = max_history;
    options.block_cache_bytes = 8 << 20;
    options.history_cache_entries = 64;  // small, so tests also hit evictions
    options.history_cache_shards = 4;
    auto store = OpenRocksDbFeatureStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
};

using Implementations = ::testing::Types<InMemoryImpl, RocksDbImpl>;
class ImplName {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, InMemoryImpl> ? "InMemory" : "RocksDb";
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Local, FeatureStoreContractTest, Implementations, ImplName);

}  // namespace
}  // namespace recd
