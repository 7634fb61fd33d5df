#ifndef RECD_UTIL_NAMED_SLOTS_H_
#define RECD_UTIL_NAMED_SLOTS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"

namespace recd {

// A bounded, append-only map from names to T (counters, histograms) whose
// lookups take no lock: request threads find their slot by scanning the
// few published names, and only the first use of a name takes a mutex.
// Names past `kCapacity` share one overflow slot, so a flood of distinct
// names (error codes are bounded, but still) never grows memory.
// Thread-safe; slots never move once handed out.
template <typename T, size_t kCapacity>
class NamedSlots {
 public:
  static constexpr std::string_view kOverflowName = "other";

  // The slot of `name`, made on first use.
  T& Get(std::string_view name) {
    if (T* found = Find(name, size_.load(std::memory_order_acquire))) return *found;
    absl::MutexLock lock(&mu_);
    const size_t size = size_.load(std::memory_order_relaxed);
    if (T* found = Find(name, size)) return *found;
    if (size == kCapacity) return overflow_;
    entries_[size] = std::make_unique<Entry>(std::string(name));
    size_.store(size + 1, std::memory_order_release);
    return entries_[size]->value;
  }

  // Calls fn(name, slot) for every name seen so far (and the overflow slot,
  // named kOverflowName, once names have spilled into it).
  template <typename Fn>
  void ForEach(Fn fn) const {
    const size_t size = size_.load(std::memory_order_acquire);
    for (size_t i = 0; i < size; ++i) fn(std::string_view(entries_[i]->name), entries_[i]->value);
    if (size == kCapacity) fn(kOverflowName, overflow_);
  }

 private:
  struct Entry {
    explicit Entry(std::string n) : name(std::move(n)) {}
    const std::string name;
    T value{};
  };

  T* Find(std::string_view name, size_t size) const {
    for (size_t i = 0; i < size; ++i) {
      if (entries_[i]->name == name) return &entries_[i]->value;
    }
    return nullptr;
  }

  std::array<std::unique_ptr<Entry>, kCapacity> entries_;
  std::atomic<size_t> size_{0};
  T overflow_{};
  absl::Mutex mu_;  // serialises appends only
};

}  // namespace recd

#endif  // RECD_UTIL_NAMED_SLOTS_H_
