#include "store/rocksdb_feature_store.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/store_test_util.h"
#include "store/value_codec.h"


namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RocksDbStoreOptions SmallOptions(const std::string& path) {
  RocksDbStoreOptions options;
  options.path = path;
  options.block_cache_bytes = 8 << 20;
  options.history_cache_entries = 1000;
  options.history_cache_shards = 4;
  return options;
}

std::unique_ptr<RocksDbFeatureStore> OpenOrDie(const RocksDbStoreOptions& options,
                                               rocksdb::Env* env = nullptr) {
  auto store = RocksDbFeatureStore::Open(options, env);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(RocksDbFeatureStoreTest, EverythingSurvivesCloseAndReopen) {
  TempDir dir;
  const auto options = SmallOptions(dir.Sub("db"));
  {
    auto store = OpenOrDie(options);
    ASSERT_TRUE(store->AppendEvents("u1", Events(0, 3)).ok());
    ItemRecord item{"a", {}};
    item.info.title = "A";
    ASSERT_TRUE(store->PutItems(std::vector<ItemRecord>{item}, {}).ok());
    ASSERT_TRUE(store->SetStock("a", false).ok());
    ASSERT_TRUE(store->PutProfile("u1", "state").ok());
    ASSERT_TRUE(store->PutMeta("schema_version", "1").ok());
  }
  auto store = OpenOrDie(options);
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 2));
  EXPECT_EQ(store->GetItem("a")->info.title, "A");
  EXPECT_FALSE(store->GetItem("a")->info.in_stock);
  EXPECT_EQ(*store->GetProfile("u1"), "state");
  EXPECT_EQ(*store->GetMeta("schema_version"), "1");
}

// recd-train --from-store: a secondary instance opened beside a running
// primary sees every history the primary acknowledged, in user id order, and
// cannot write.
TEST(RocksDbFeatureStoreTest, ASecondaryListsWhatTheOpenPrimaryAcknowledged) {
  TempDir dir;
  auto primary = OpenOrDie(SmallOptions(dir.Sub("db")));
  ASSERT_TRUE(primary->AppendEvents("u2", Events(0, 2)).ok());
  ASSERT_TRUE(primary->AppendEvents("u1", Events(5, 3)).ok());
  ASSERT_TRUE(primary->ForgetUser("u2").ok());
  ASSERT_TRUE(primary->AppendEvents("u3", Events(9, 1)).ok());
  RocksDbStoreOptions options = SmallOptions(dir.Sub("db"));
  options.secondary_path = dir.Sub("secondary");
  auto secondary = OpenOrDie(options);
  ASSERT_NE(secondary, nullptr);
  std::vector<std::string> users;
  std::vector<size_t> sizes;
  ASSERT_TRUE(secondary
                  ->ForEachHistory([&](const std::string& user, const StoredHistory& h) {
                    users.push_back(user);
                    sizes.push_back(h.events.size());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_THAT(users, ElementsAre("u1", "u3"));  // u2 was forgotten
  EXPECT_THAT(sizes, ElementsAre(3, 1));
  EXPECT_FALSE(secondary->AppendEvents("u4", Events(0, 1)).ok());
  EXPECT_TRUE(primary->AppendEvents("u4", Events(0, 1)).ok());  // the primary is undisturbed
}

TEST(RocksDbFeatureStoreTest, ForEachHistoryStopsAtTheFirstError) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  for (const char* user : {"a", "b", "c"}) ASSERT_TRUE(store->AppendEvents(user, Events(0, 1)).ok());
  int seen = 0;
  const absl::Status s = store->ForEachHistory([&](const std::string& user, const StoredHistory&) {
    ++seen;
    return user == "b" ? absl::AbortedError("enough") : absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(seen, 2);
}

TEST(RocksDbFeatureStoreTest, RequestIdsSurviveReopenSoLateRetriesAreSkipped) {
  TempDir dir;
  const auto options = SmallOptions(dir.Sub("db"));
  const std::vector<UserEvents> call = {{"u1", Events(0, 2), "r1"}};
  {
    auto store = OpenOrDie(options);
    ASSERT_TRUE(store->AppendEventsBatch(call, {}).ok());
  }
  auto store = OpenOrDie(options);
  ASSERT_TRUE(store->AppendEventsBatch(call, {}).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1));
  EXPECT_THAT(store->GetHistory("u1")->applied_requests, ElementsAre("r1"));
}

TEST(RocksDbFeatureStoreTest, OpenWithoutCreateFailsOnMissingDirectory) {
  TempDir dir;
  auto options = SmallOptions(dir.Sub("absent"));
  options.create_if_missing = false;
  auto store = RocksDbFeatureStore::Open(options);
  EXPECT_FALSE(store.ok());
  EXPECT_THAT(Message(store.status()), HasSubstr("absent"));
}

TEST(RocksDbFeatureStoreTest, ReopensDatabaseWithExtraColumnFamily) {
  // A newer recd may add a column family; an older one must still open it.
  TempDir dir;
  const auto options = SmallOptions(dir.Sub("db"));
  { OpenOrDie(options); }
  {
    rocksdb::DBOptions db_options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(db_options, options.path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(db_options, options.path, cfs, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* extra = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "future", &extra).ok());
    handles.push_back(extra);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  EXPECT_NE(OpenOrDie(options), nullptr);
}

// ---- Crash durability: a child process appends, then is SIGKILLed without
// closing or flushing anything. What it acknowledged must be there.

TEST(RocksDbFeatureStoreTest, AcknowledgedAppendsSurviveSigkill) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  // The child opens the store itself (no RocksDB threads exist at fork time),
  // appends, and is killed without closing or flushing anything.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = RocksDbFeatureStore::Open(SmallOptions(db));
    if (!store.ok()) std::_Exit(2);
    for (int i = 0; i < 20; ++i) {
      if (!(*store)->AppendEvents("u" + std::to_string(i % 3), Events(i, 1)).ok()) std::_Exit(3);
    }
    raise(SIGKILL);
    std::_Exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  auto store = OpenOrDie(SmallOptions(db));
  EXPECT_THAT(Timestamps(*store->GetHistory("u0")), ElementsAre(0, 3, 6, 9, 12, 15, 18));
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(1, 4, 7, 10, 13, 16, 19));
  EXPECT_THAT(Timestamps(*store->GetHistory("u2")), ElementsAre(2, 5, 8, 11, 14, 17));
}

// ---- History cache

TEST(RocksDbFeatureStoreTest, SecondReadIsACacheHit) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 2)).ok());
  store->TEST_ClearHistoryCache();
  ASSERT_TRUE(store->GetHistory("u1").ok());
  EXPECT_EQ(store->history_cache_misses(), 1);
  ASSERT_TRUE(store->GetHistory("u1").ok());
  EXPECT_EQ(store->history_cache_hits(), 1);
}

TEST(RocksDbFeatureStoreTest, CachedHistoryReflectsLaterAppends) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  EXPECT_FALSE(store->GetHistory("u1")->known);  // caches "unknown"
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 2)).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1));
  ASSERT_TRUE(store->AppendEvents("u1", Events(2, 1)).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 2));
  ASSERT_TRUE(store->AppendEventsBatch(std::vector<UserEvents>{{"u1", Events(3, 1)}}, {}).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 2, 3));
  EXPECT_GT(store->history_cache_hits(), 0);
  // And the cache agrees with what is on disk.
  store->TEST_ClearHistoryCache();
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 2, 3));
}

TEST(RocksDbFeatureStoreTest, ReadersRacingAppendsNeverSeeHistoryShrink) {
  // A reader whose cache fill (after a miss) races an append must not put a
  // stale history back into the cache: once a reader has seen n events it
  // must never see fewer. The reader keeps clearing the cache to force
  // misses.
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  constexpr int kAppends = 60;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kAppends; ++i) EXPECT_TRUE(store->AppendEvents("u1", Events(i, 1)).ok());
    done = true;
  });
  size_t seen = 0;
  int reads = 0;
  while (!done || reads < 10) {
    if (reads % 2 == 0) store->TEST_ClearHistoryCache();
    auto h = store->GetHistory("u1");
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_GE(h->events.size(), seen) << "history went backwards at read " << reads;
    seen = h->events.size();
    ++reads;
  }
  writer.join();
  EXPECT_EQ(store->GetHistory("u1")->events.size(), size_t{kAppends});
}

TEST(RocksDbFeatureStoreTest, TinyCacheEvictsButStaysCorrect) {
  TempDir dir;
  auto options = SmallOptions(dir.Sub("db"));
  options.history_cache_entries = 2;
  options.history_cache_shards = 1;
  auto store = OpenOrDie(options);
  for (int round = 0; round < 3; ++round) {
    for (int u = 0; u < 5; ++u) {
      ASSERT_TRUE(store->AppendEvents("u" + std::to_string(u), Events(round, 1)).ok());
    }
  }
  for (int u = 0; u < 5; ++u) {
    EXPECT_THAT(Timestamps(*store->GetHistory("u" + std::to_string(u))), ElementsAre(0, 1, 2));
  }
}

TEST(RocksDbFeatureStoreTest, WorksWithCacheDisabled) {
  TempDir dir;
  auto options = SmallOptions(dir.Sub("db"));
  options.history_cache_entries = 0;
  auto store = OpenOrDie(options);
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 2)).ok());
  ASSERT_TRUE(store->AppendEvents("u1", Events(2, 1)).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 2));
  EXPECT_EQ(store->history_cache_hits(), 0);
}

// ---- Corrupt values: DataLoss naming the column family and key.

TEST(RocksDbFeatureStoreTest, GarbageHistoryIsDataLossNamingTheKey) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  ASSERT_TRUE(store->TEST_PutRaw("histories", "u-bad", std::string("\x01\xff\xff\x07", 4)).ok());
  auto h = store->GetHistory("u-bad");
  ASSERT_TRUE(absl::IsDataLoss(h.status())) << h.status();
  EXPECT_THAT(Message(h.status()), HasSubstr("histories/'u-bad'"));
  // An append must not paper over it by overwriting what it cannot read.
  EXPECT_TRUE(absl::IsDataLoss(store->AppendEvents("u-bad", Events(0, 1))));
}

TEST(RocksDbFeatureStoreTest, UnknownHistoryVersionIsDataLossNamingVersionAndKey) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  std::string value;
  EncodeHistory(Events(0, 1), &value);
  value[0] = 7;
  ASSERT_TRUE(store->TEST_PutRaw("histories", "u7", value).ok());
  auto h = store->GetHistory("u7");
  ASSERT_TRUE(absl::IsDataLoss(h.status())) << h.status();
  EXPECT_THAT(Message(h.status()), HasSubstr("histories/'u7'"));
  EXPECT_THAT(Message(h.status()), HasSubstr("version 7"));
}

TEST(RocksDbFeatureStoreTest, GarbageItemIsDataLossInGetSetStockAndScan) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  ASSERT_TRUE(store->TEST_PutRaw("items", "sku-bad", "\x01").ok());
  auto item = store->GetItem("sku-bad");
  ASSERT_TRUE(absl::IsDataLoss(item.status())) << item.status();
  EXPECT_THAT(Message(item.status()), HasSubstr("items/'sku-bad'"));
  EXPECT_TRUE(absl::IsDataLoss(store->SetStock("sku-bad", false)));
  absl::Status scan = store->ForEachItem([](const ItemRecord&) { return absl::OkStatus(); });
  EXPECT_TRUE(absl::IsDataLoss(scan)) << scan;
  EXPECT_THAT(Message(scan), HasSubstr("sku-bad"));
}

TEST(RocksDbFeatureStoreTest, EmptyProfileValueIsDataLoss) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  ASSERT_TRUE(store->TEST_PutRaw("profiles", "u1", "").ok());
  auto p = store->GetProfile("u1");
  ASSERT_TRUE(absl::IsDataLoss(p.status())) << p.status();
  EXPECT_THAT(Message(p.status()), HasSubstr("profiles/'u1'"));
}

TEST(RocksDbFeatureStoreTest, BinaryKeysAreEscapedInErrors) {
  TempDir dir;
  auto store = OpenOrDie(SmallOptions(dir.Sub("db")));
  const std::string key("u\n\x01", 3);
  ASSERT_TRUE(store->TEST_PutRaw("meta", key, "\x09").ok());
  auto m = store->GetMeta(key);
  ASSERT_TRUE(absl::IsDataLoss(m.status()));
  EXPECT_THAT(Message(m.status()), HasSubstr("meta/'u\\n\\001'"));
}

// ---- Fault injection: a file system whose WAL writes fail on demand.

class FailingWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>* fail)
      : FSWritableFileOwnerWrapper(std::move(file)), fail_(fail) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected WAL append failure");
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected WAL append failure");
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }

 private:
  const std::atomic<bool>* fail_;
};

class FailingWalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingWalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
      : FileSystemWrapper(base) {}
  const char* Name() const override { return "FailingWalFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = FileSystemWrapper::NewWritableFile(f, opts, r, dbg);
    if (s.ok() && f.ends_with(".log")) *r = std::make_unique<FailingWalFile>(std::move(*r), &fail);
    return s;
  }
  std::atomic<bool> fail{false};
};

TEST(RocksDbFeatureStoreTest, FailedWalWriteIsReportedAndNotCached) {
  TempDir dir;
  auto fs = std::make_shared<FailingWalFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  const auto options = SmallOptions(dir.Sub("db"));
  {
    auto store = OpenOrDie(options, env.get());
    ASSERT_TRUE(store->AppendEvents("u1", Events(0, 1)).ok());
    ASSERT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0));  // now cached

    fs->fail = true;
    absl::Status s = store->AppendEvents("u1", Events(1, 1));
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(Message(s), HasSubstr("histories/'u1'"));
    // The unacknowledged event must not be served from the cache.
    auto h = store->GetHistory("u1");
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_THAT(Timestamps(*h), ElementsAre(0));
    fs->fail = false;
  }
  auto store = OpenOrDie(options);
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0));
}

}  // namespace
}  // namespace recd
