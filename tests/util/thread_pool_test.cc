#include "util/thread_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>

#include "absl/synchronization/blocking_counter.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(ThreadPoolTest, RunsEverySubmittedTask) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(3);
    absl::BlockingCounter counter(1000);
    for (int i = 0; i < 1000; ++i) {
      pool.Submit([&] {
        done.fetch_add(1);
        counter.DecrementCount();
      });
    }
    counter.Wait();
  }
  EXPECT_EQ(done.load(), 1000);
}

TEST(ThreadPoolTest, DestructorDrainsQueuedTasks) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 50; ++i) pool.Submit([&] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(ThreadPoolTest, WorkersRunNicerThanTheCaller) {
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  if (own + 5 > 19) GTEST_SKIP() << "already at nice " << own << ": no room to be nicer";
  std::atomic<int> worker_nice{-100};
  {
    ThreadPool pool(1, "nice", 5);
    absl::BlockingCounter ran(1);
    pool.Submit([&] {
      worker_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
      ran.DecrementCount();
    });
    ran.Wait();
  }
  EXPECT_EQ(worker_nice.load(), own + 5);
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), own);  // the caller keeps its own
}

}  // namespace
}  // namespace recd
