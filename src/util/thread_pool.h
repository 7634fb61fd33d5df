#ifndef RECD_UTIL_THREAD_POOL_H_
#define RECD_UTIL_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace recd {

// A fixed set of worker threads running submitted tasks in FIFO order. The
// daemon hands work to it so gRPC's callback threads never block.
// Thread-safe. The destructor finishes queued tasks, then joins.
class ThreadPool {
 public:
  // REQUIRES: num_threads >= 1.
  explicit ThreadPool(int num_threads, std::string name = "pool");
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> task);
  int size() const { return static_cast<int>(workers_.size()); }
  // Tasks waiting for a worker; for metrics and load shedding.
  size_t queued() const;

 private:
  void WorkLoop();

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace recd

#endif  // RECD_UTIL_THREAD_POOL_H_
