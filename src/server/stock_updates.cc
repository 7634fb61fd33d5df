#include "server/stock_updates.h"

#include <utility>
#include <vector>

#include "spdlog/spdlog.h"

namespace recd {

StockUpdates::StockUpdates(ServingStateManager* states, CatalogFeed* feed, std::string cursor,
                           absl::Duration poll_wait)
    : states_(states), feed_(feed), poll_wait_(poll_wait), cursor_(std::move(cursor)) {
  if (feed_ != nullptr) tailer_ = std::thread([this] { Tail(); });
}

StockUpdates::~StockUpdates() {
  stopping_.store(true);
  if (tailer_.joinable()) tailer_.join();
}

int64_t StockUpdates::ApplyTo(const ServingState& state, std::span<const StockChange> changes) {
  int64_t n = 0;
  for (const StockChange& c : changes) {
    const auto item = state.bundle->items().Find(c.item_id);
    if (!item) continue;  // in the catalog, not in this bundle: no rule can see it
    state.catalog->SetInStock(*item, c.in_stock);
    ++n;
  }
  return n;
}

void StockUpdates::Apply(std::span<const StockChange> changes) {
  if (changes.empty()) return;
  // Under the lock, so Reapply never interleaves with an apply and the
  // catalog ends with each item's newest change.
  absl::MutexLock lock(&mu_);
  applied_.fetch_add(ApplyTo(*states_->Current(), changes), std::memory_order_relaxed);
  for (const StockChange& c : changes) recent_.push_back(c);
  while (recent_.size() > kRemembered) recent_.pop_front();
}

void StockUpdates::Reapply(const ServingState& state) {
  absl::MutexLock lock(&mu_);
  const std::vector<StockChange> recent(recent_.begin(), recent_.end());
  ApplyTo(state, recent);
}

void StockUpdates::Tail() {
  absl::Time last_warning = absl::InfinitePast();
  while (!stopping_.load()) {
    absl::StatusOr<std::vector<StockChange>> changes = feed_->Poll(&cursor_, poll_wait_, 1000);
    if (changes.ok()) {
      Apply(*changes);
      continue;
    }
    feed_errors_.fetch_add(1, std::memory_order_relaxed);
    if (absl::Now() - last_warning > absl::Seconds(10)) {
      spdlog::warn("catalog feed: {} (retrying; other replicas' stock changes wait)",
                   std::string(changes.status().message()));
      last_warning = absl::Now();
    }
    absl::SleepFor(poll_wait_);  // the store is down or failing over: do not spin
  }
}

}  // namespace recd
