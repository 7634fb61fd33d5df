#include "util/thread_pool.h"

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

}  // namespace
}  // namespace recd
