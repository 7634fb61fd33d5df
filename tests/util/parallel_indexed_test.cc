#include "util/parallel_indexed.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(ForEachIndexInParallelTest, CallsEveryIndexOnceOnAtMostThatManyThreads) {
  for (int threads : {0, 1, 3, 64}) {
    std::vector<std::atomic<int>> calls(50);
    absl::Mutex mu;
    std::set<std::thread::id> used;
    ForEachIndexInParallel(calls.size(), threads, [&](size_t i) {
      calls[i].fetch_add(1);
      absl::MutexLock lock(&mu);
      used.insert(std::this_thread::get_id());
    });
    for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].load(), 1) << "index " << i;
    EXPECT_LE(used.size(), static_cast<size_t>(std::max(threads, 1))) << threads << " threads";
  }
}

TEST(ForEachIndexInParallelTest, OneThreadRunsInOrderOnTheCaller) {
  std::vector<size_t> order;
  const auto caller = std::this_thread::get_id();
  ForEachIndexInParallel(5, 1, [&](size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
  ForEachIndexInParallel(0, 4, [](size_t) { ADD_FAILURE() << "called for an empty range"; });
}

}  // namespace
}  // namespace recd
