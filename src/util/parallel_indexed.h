#ifndef RECD_UTIL_PARALLEL_INDEXED_H_
#define RECD_UTIL_PARALLEL_INDEXED_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace recd {

// Calls fn(0) .. fn(n - 1), each once, on up to `threads` threads (the
// calling one among them; threads <= 1 runs them in order on it), and
// returns when every call has. For a few long independent jobs, such as
// reading a bundle's model files. REQUIRES: fn does not throw.
inline void ForEachIndexInParallel(size_t n, int threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> helpers;
  const size_t helper_count = std::min(n, static_cast<size_t>(std::max(threads, 1))) - (n > 0 ? 1 : 0);
  for (size_t t = 0; t < helper_count; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace recd

#endif  // RECD_UTIL_PARALLEL_INDEXED_H_
