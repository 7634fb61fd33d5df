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

StockUpdates::Outcome StockUpdates::ApplyTo(const ServingState& state, std::span<const StockChange> changes) {
  Outcome out;
  for (const StockChange& c : changes) {
    const auto item = state.bundle->items().Find(c.item_id);
    if (!item) {  // in the catalog, not served (yet): no rule can see it
      ++out.unknown;
      continue;
    }
    state.catalog->SetInStock(*item, c.in_stock);
    ++out.applied;
  }
  return out;
}

void StockUpdates::Apply(std::span<const StockChange> changes) {
  if (changes.empty()) return;
  bool serve_new_items = false;
  {
    // Under the lock, so Reapply never interleaves with an apply and the
    // catalog ends with each item's newest change.
    absl::MutexLock lock(&mu_);
    const std::shared_ptr<const ServingState> state = states_->Current();
    const Outcome outcome = ApplyTo(*state, changes);
    applied_.fetch_add(outcome.applied, std::memory_order_relaxed);
    for (const StockChange& c : changes) recent_.push_back(c);
    while (recent_.size() > kRemembered) recent_.pop_front();
    // Without room the items wait for the next bundle: no reload for them.
    serve_new_items = outcome.unknown > 0 && state->bundle->num_items() - state->bundle->trained_items() <
                                                 state->config->max_new_items;
  }
  if (serve_new_items) {
    states_->ReloadAsync([](absl::Status s) {
      if (!s.ok()) {
        spdlog::warn("catalog: serving items added elsewhere waits for a reload, which failed: {}",
                     std::string(s.message()));
      }
    });
  }
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
