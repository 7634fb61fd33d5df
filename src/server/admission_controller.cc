#include "server/admission_controller.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace recd {

bool AdmissionController::CountRefusalIsHog(absl::string_view connection, absl::Time now) {
  const size_t bucket = absl::HashOf(connection) % kConnectionBuckets;
  const int64_t window = absl::ToUnixMillis(now) / 100;
  // Racy by design: a refusal counted in a window just ended only shifts
  // the bound by one.
  if (refusal_window_[bucket].exchange(window, std::memory_order_relaxed) != window) {
    refusals_in_window_[bucket].store(0, std::memory_order_relaxed);
  }
  const int64_t in_window = refusals_in_window_[bucket].fetch_add(1, std::memory_order_relaxed) + 1;
  return in_window > options_.hog_refusals_per_second / 10;
}

std::optional<AdmissionController::Ticket> AdmissionController::TryAdmit(Lane lane, absl::string_view connection) {
  std::atomic<int>& counter = Counter(lane);
  const int limit = lane == Lane::kRead ? options_.max_in_flight_reads : options_.max_in_flight_writes;
  auto refuse = [&] {
    (lane == Lane::kRead ? refused_reads_ : refused_writes_).fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  };
  // Increment first and undo on overflow: one atomic op on the common path.
  std::atomic<int>* by_connection = nullptr;
  if (options_.max_connection_share < 1.0) {
    by_connection = &ConnectionCounter(lane, connection);
    if (by_connection->fetch_add(1, std::memory_order_acq_rel) >= ConnectionLimit(lane)) {
      by_connection->fetch_sub(1, std::memory_order_acq_rel);
      refused_share_.fetch_add(1, std::memory_order_relaxed);
      return refuse();
    }
  }
  if (counter.fetch_add(1, std::memory_order_acq_rel) >= limit) {
    counter.fetch_sub(1, std::memory_order_acq_rel);
    if (by_connection != nullptr) by_connection->fetch_sub(1, std::memory_order_acq_rel);
    return refuse();
  }
  return Ticket(&counter, by_connection);
}

int AdmissionController::ConnectionLimit(Lane lane) const {
  const int limit = lane == Lane::kRead ? options_.max_in_flight_reads : options_.max_in_flight_writes;
  return std::max(1, static_cast<int>(limit * std::min(1.0, options_.max_connection_share)));
}

std::atomic<int>& AdmissionController::ConnectionCounter(Lane lane, absl::string_view connection) {
  auto& buckets = lane == Lane::kRead ? reads_by_connection_ : writes_by_connection_;
  return buckets[absl::HashOf(connection) % kConnectionBuckets];
}

int64_t AdmissionController::RetryPushbackMs() const {
  // The queue bound is how long the admitted work may take to drain; a
  // retry sooner than that would most likely be refused again.
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.max_queue_time));
}

}  // namespace recd
