#include "store/event_writer.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/feature_store_factory.h"
#include "store/store_test_util.h"
#include "test_util/forwarding_feature_store.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Holds the writer inside its first store write until Release(), so a test
// can queue callers behind it and know exactly how the next group forms.
class FirstWriteGate {
 public:
  explicit FirstWriteGate(ForwardingFeatureStore& store) {
    store.before_write = [this] {
      if (!first_.exchange(false)) return;
      entered_.Notify();
      release_.WaitForNotification();
    };
  }
  void WaitUntilWriting() { entered_.WaitForNotification(); }
  void Release() { release_.Notify(); }

 private:
  std::atomic<bool> first_{true};
  absl::Notification entered_;
  absl::Notification release_;
};

// Collects the outcomes of many submissions.
class Outcomes {
 public:
  EventWriter::Done Slot(size_t i) {
    {
      absl::MutexLock lock(&mu_);
      if (statuses_.size() <= i) statuses_.resize(i + 1, absl::UnknownError("not completed"));
    }
    return [this, i](absl::Status s) {
      absl::MutexLock lock(&mu_);
      statuses_[i] = std::move(s);
      ++completed_;
      cv_.SignalAll();
    };
  }
  void WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    while (completed_ < n) cv_.Wait(&mu_);
  }
  absl::Status At(size_t i) {
    absl::MutexLock lock(&mu_);
    return statuses_[i];
  }

 private:
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<absl::Status> statuses_;
  size_t completed_ = 0;
};

std::vector<UserEvents> One(const std::string& user, const std::string& item, int64_t ts) {
  return {UserEvents{user, {Ev(item, ts)}}};
}

// Submits `threads` x `per_thread` one-event batches concurrently, user
// "u<thread>" with timestamps 0.. in order, while the first write is held,
// then releases it. Returns when every caller is completed.
void SubmitConcurrently(EventWriter& writer, FirstWriteGate& gate, Outcomes& outcomes, int threads,
                        int per_thread) {
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        writer.Submit(One("u" + std::to_string(t), "i" + std::to_string(i), i), absl::InfiniteFuture(),
                      outcomes.Slot(1 + static_cast<size_t>(t * per_thread + i)));
      }
    });
  }
  for (std::thread& s : submitters) s.join();
  gate.Release();
  outcomes.WaitFor(1 + static_cast<size_t>(threads * per_thread));
}

void ExpectEveryEventOnceInOrder(FeatureStore& store, int threads, int per_thread) {
  for (int t = 0; t < threads; ++t) {
    auto h = store.GetHistory("u" + std::to_string(t));
    ASSERT_TRUE(h.ok());
    std::vector<int64_t> want;
    for (int i = 0; i < per_thread; ++i) want.push_back(i);
    EXPECT_EQ(Timestamps(*h), want) << "user u" << t;
  }
}

TEST(EventWriterTest, ConcurrentCallersShareOneWrite) {
  auto memory = NewInMemoryFeatureStore({.max_history = 100});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  EventWriter writer(&store, {});
  Outcomes outcomes;
  SubmitConcurrently(writer, gate, outcomes, 8, 20);
  for (size_t i = 0; i <= 160; ++i) EXPECT_TRUE(outcomes.At(i).ok()) << i << ": " << outcomes.At(i);
  // 161 callers: the held one, then everything queued behind it at once.
  EXPECT_EQ(store.history_writes(), 2);
  EXPECT_EQ(writer.writes(), 2);
  EXPECT_EQ(writer.batches_written(), 161);
  ExpectEveryEventOnceInOrder(*memory, 8, 20);
}

TEST(EventWriterTest, AcknowledgedEventsAreInRocksDbOnceAfterReopen) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.Sub("db");
  options.max_history = 100;
  {
    auto rocks = OpenRocksDbFeatureStore(options);
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    ForwardingFeatureStore store(rocks->get());
    FirstWriteGate gate(store);
    EventWriter writer(&store, {});
    Outcomes outcomes;
    SubmitConcurrently(writer, gate, outcomes, 4, 25);
    for (size_t i = 0; i <= 100; ++i) ASSERT_TRUE(outcomes.At(i).ok()) << outcomes.At(i);
    EXPECT_LT(store.history_writes(), 101);
  }
  auto reopened = OpenRocksDbFeatureStore(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ExpectEveryEventOnceInOrder(**reopened, 4, 25);
}

TEST(EventWriterTest, BatchWhoseDeadlinePassedWhileQueuedIsNotWritten) {
  auto memory = NewInMemoryFeatureStore({});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  EventWriter writer(&store, {});
  Outcomes outcomes;
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();
  writer.Submit(One("late", "i1", 1), absl::Now() + absl::Milliseconds(20), outcomes.Slot(1));
  writer.Submit(One("patient", "i2", 2), absl::InfiniteFuture(), outcomes.Slot(2));
  absl::SleepFor(absl::Milliseconds(60));
  gate.Release();
  outcomes.WaitFor(3);
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcomes.At(1))) << outcomes.At(1);
  EXPECT_TRUE(outcomes.At(2).ok());
  EXPECT_FALSE(memory->GetHistory("late")->known);
  EXPECT_TRUE(memory->GetHistory("patient")->known);
}

TEST(EventWriterTest, FullQueueRefusesAtOnce) {
  auto memory = NewInMemoryFeatureStore({});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  EventWriter::Options options;
  options.max_queued_batches = 2;
  EventWriter writer(&store, options);
  Outcomes outcomes;
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();  // the queue is empty again: the writer holds it
  writer.Submit(One("a", "i1", 1), absl::InfiniteFuture(), outcomes.Slot(1));
  writer.Submit(One("b", "i2", 2), absl::InfiniteFuture(), outcomes.Slot(2));
  absl::Status refused;
  writer.Submit(One("c", "i3", 3), absl::InfiniteFuture(), [&](absl::Status s) { refused = s; });
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("event queue full (2 batches)"));
  gate.Release();
  outcomes.WaitFor(3);
  EXPECT_TRUE(outcomes.At(1).ok());
  EXPECT_FALSE(memory->GetHistory("c")->known);
}

TEST(EventWriterTest, InvalidBatchIsRefusedWithoutFailingItsGroup) {
  auto memory = NewInMemoryFeatureStore({});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  EventWriter writer(&store, {});
  Outcomes outcomes;
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();
  writer.Submit(One("a", "i1", 1), absl::InfiniteFuture(), outcomes.Slot(1));
  absl::Status bad;
  writer.Submit(One("b", "", 2), absl::InfiniteFuture(), [&](absl::Status s) { bad = s; });
  EXPECT_TRUE(absl::IsInvalidArgument(bad)) << bad;
  writer.Submit(One("c", "i3", 3), absl::InfiniteFuture(), outcomes.Slot(2));
  gate.Release();
  outcomes.WaitFor(3);
  EXPECT_TRUE(outcomes.At(1).ok());
  EXPECT_TRUE(outcomes.At(2).ok());
  EXPECT_FALSE(memory->GetHistory("b")->known);
}

TEST(EventWriterTest, FailedGroupWriteFailsEveryCallerInIt) {
  auto memory = NewInMemoryFeatureStore({});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  store.fail_after_writes = 1;
  EventWriter writer(&store, {});
  Outcomes outcomes;
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();
  writer.Submit(One("a", "i1", 1), absl::InfiniteFuture(), outcomes.Slot(1));
  writer.Submit(One("b", "i2", 2), absl::InfiniteFuture(), outcomes.Slot(2));
  gate.Release();
  outcomes.WaitFor(3);
  EXPECT_TRUE(outcomes.At(0).ok());
  EXPECT_TRUE(absl::IsUnavailable(outcomes.At(1))) << outcomes.At(1);
  EXPECT_TRUE(absl::IsUnavailable(outcomes.At(2))) << outcomes.At(2);
}

TEST(EventWriterTest, ShutdownCompletesEverythingQueuedThenRefuses) {
  auto memory = NewInMemoryFeatureStore({});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  EventWriter writer(&store, {});
  Outcomes outcomes;
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();
  for (size_t i = 1; i <= 10; ++i) {
    writer.Submit(One("u", "i" + std::to_string(i), static_cast<int64_t>(i)), absl::InfiniteFuture(),
                  outcomes.Slot(i));
  }
  std::thread stopper([&] { writer.Shutdown(); });
  gate.Release();
  stopper.join();
  for (size_t i = 0; i <= 10; ++i) EXPECT_TRUE(outcomes.At(i).ok()) << i;
  EXPECT_THAT(Timestamps(*memory->GetHistory("u")), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  absl::Status after;
  writer.Submit(One("x", "i1", 1), absl::InfiniteFuture(), [&](absl::Status s) { after = s; });
  EXPECT_TRUE(absl::IsUnavailable(after)) << after;
}

TEST(EventWriterTest, AfterWriteSeesTheMergedGroup) {
  auto memory = NewInMemoryFeatureStore({});
  ForwardingFeatureStore store(memory.get());
  FirstWriteGate gate(store);
  absl::Mutex mu;
  std::vector<size_t> group_sizes;
  EventWriter::Options options;
  options.after_write = [&](std::vector<UserEvents> merged) {
    absl::MutexLock lock(&mu);
    group_sizes.push_back(merged.size());
  };
  EventWriter writer(&store, options);
  Outcomes outcomes;
  writer.Submit(One("first", "i0", 0), absl::InfiniteFuture(), outcomes.Slot(0));
  gate.WaitUntilWriting();
  writer.Submit(One("a", "i1", 1), absl::InfiniteFuture(), outcomes.Slot(1));
  writer.Submit(One("b", "i2", 2), absl::InfiniteFuture(), outcomes.Slot(2));
  gate.Release();
  writer.Shutdown();
  absl::MutexLock lock(&mu);
  EXPECT_THAT(group_sizes, ElementsAre(1, 2));
}

}  // namespace
}  // namespace recd
