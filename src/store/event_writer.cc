#include "store/event_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "store/history_merge.h"

namespace recd {
namespace {

constexpr absl::Duration kSlowGroup = absl::Milliseconds(100);

}  // namespace

EventWriter::EventWriter(FeatureStore* store, Options options)
    : store_(store), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

EventWriter::~EventWriter() { Shutdown(); }

void EventWriter::Submit(std::vector<UserEvents> batch, absl::Time deadline, Done done) {
  // Checked here, before the batch can join a group, so one caller's bad
  // event never fails the others' write.
  for (const UserEvents& u : batch) {
    if (absl::Status s = ValidateAppend(u.user_id, u.events); !s.ok()) {
      done(std::move(s));
      return;
    }
  }
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = absl::UnavailableError("event writer is shutting down");
    } else if (queue_.size() >= options_.max_queued_batches) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat("event queue full (", options_.max_queued_batches, " batches)"));
    } else {
      queue_.push_back(Pending{std::move(batch), deadline, std::move(done)});
      return;
    }
  }
  done(std::move(refused));  // outside the lock: it may take locks of its own
}

void EventWriter::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  spdlog::info("event writer stopped: {} batches in {} synced writes", batches_written(), writes());
}

int64_t EventWriter::writes() const {
  absl::MutexLock lock(&mu_);
  return writes_;
}

int64_t EventWriter::batches_written() const {
  absl::MutexLock lock(&mu_);
  return batches_written_;
}

void EventWriter::Run() {
  for (;;) {
    std::vector<Pending> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](EventWriter* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return !w->queue_.empty() || w->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and drained
      // Everything queued: the longer the previous write took, the more
      // callers share this one.
      group.reserve(queue_.size());
      for (Pending& p : queue_) group.push_back(std::move(p));
      queue_.clear();
    }
    WriteGroup(group);
  }
}

void EventWriter::WriteGroup(std::vector<Pending>& group) {
  const absl::Time now = absl::Now();
  std::vector<Pending*> timely;
  std::vector<UserEvents> merged;
  for (Pending& p : group) {
    if (p.deadline < now) {
      p.done(absl::DeadlineExceededError("deadline passed while queued for the store; not written"));
      continue;
    }
    timely.push_back(&p);
    for (UserEvents& u : p.batch) merged.push_back(std::move(u));
  }
  if (timely.empty()) return;
  absl::Status s = store_->AppendEventsBatch(merged, StoreWriteOptions{.sync = true});
  if (!s.ok()) {
    // The caller sees which part failed; the code (UNAVAILABLE for a store
    // that cannot be reached) is the store's.
    s = absl::Status(s.code(), absl::StrCat("feature store: ", s.message()));
  }
  {
    absl::MutexLock lock(&mu_);
    ++writes_;
    batches_written_ += static_cast<int64_t>(timely.size());
  }
  const absl::Time written = absl::Now();
  for (Pending* p : timely) p->done(s);
  if (s.ok() && options_.after_write) options_.after_write(std::move(merged));
  const absl::Time refreshed = absl::Now();
  // Every caller of the group, and every group behind it, waited this long:
  // worth a line when it is long enough to show in callers' latency.
  if (refreshed - now > kSlowGroup) {
    spdlog::warn("slow event write: {} batches, write {:.1f} ms, after-write {:.1f} ms",
                 timely.size(), absl::ToDoubleMilliseconds(written - now),
                 absl::ToDoubleMilliseconds(refreshed - written));
  }
}

}  // namespace recd
