#ifndef RECD_STORE_STRIPE_LOCKS_H_
#define RECD_STORE_STRIPE_LOCKS_H_

#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace recd {

// The stripe (mutex index) of `key` among n stripes.
inline size_t StripeOf(std::string_view key, size_t n) {
  return absl::Hash<absl::string_view>()(absl::string_view(key.data(), key.size())) % n;
}

// Holds the stripes of a set of keys, locked in ascending stripe order (the
// one order every multi-stripe locker uses, so two of them cannot deadlock).
// Shared by the feature stores that serialize read-modify-writes per key.
class StripeLocks {
 public:
  StripeLocks(std::span<absl::Mutex> stripes, std::span<const std::string_view> keys) {
    std::vector<size_t> idx;
    idx.reserve(keys.size());
    for (std::string_view k : keys) idx.push_back(StripeOf(k, stripes.size()));
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    for (size_t i : idx) {
      stripes[i].Lock();
      held_.push_back(&stripes[i]);
    }
  }
  ~StripeLocks() {
    for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->Unlock();
  }
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

 private:
  std::vector<absl::Mutex*> held_;
};

}  // namespace recd

#endif  // RECD_STORE_STRIPE_LOCKS_H_
