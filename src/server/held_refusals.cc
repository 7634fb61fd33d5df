#include "server/held_refusals.h"

#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace recd {

HeldRefusals::HeldRefusals(absl::Duration hold, size_t max_pending)
    : hold_(hold), max_pending_(max_pending), thread_([this] { Loop(); }) {}

HeldRefusals::~HeldRefusals() {
  Stop();
  thread_.join();
}

void HeldRefusals::Hold(std::function<void()> refuse) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopped_ && pending_.size() < max_pending_) {
      pending_.push_back({absl::Now() + hold_, std::move(refuse)});
      return;
    }
  }
  refuse();
}

void HeldRefusals::Stop() {
  std::deque<Pending> now;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    now.swap(pending_);
  }
  for (Pending& p : now) p.refuse();
}

size_t HeldRefusals::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

void HeldRefusals::Loop() {
  std::vector<std::function<void()>> due;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopped_ || (!pending_.empty() && pending_.front().due <= absl::Now());
      };
      if (pending_.empty()) {
        mu_.Await(absl::Condition(+[](HeldRefusals* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return self->stopped_ || !self->pending_.empty();
        }, this));
      } else if (!ready()) {
        mu_.AwaitWithDeadline(absl::Condition(&ready), pending_.front().due);
      }
      if (stopped_) return;  // Stop() runs what is pending
      const absl::Time now = absl::Now();
      while (!pending_.empty() && pending_.front().due <= now) {
        due.push_back(std::move(pending_.front().refuse));
        pending_.pop_front();
      }
    }
    for (auto& refuse : due) refuse();
    due.clear();
  }
}

}  // namespace recd
