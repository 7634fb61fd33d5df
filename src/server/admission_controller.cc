#include "server/admission_controller.h"

#include <algorithm>

namespace recd {

std::optional<AdmissionController::Ticket> AdmissionController::TryAdmit(Lane lane) {
  std::atomic<int>& counter = Counter(lane);
  const int limit = lane == Lane::kRead ? options_.max_in_flight_reads : options_.max_in_flight_writes;
  // Increment first and undo on overflow: one atomic op on the common path.
  if (counter.fetch_add(1, std::memory_order_acq_rel) >= limit) {
    counter.fetch_sub(1, std::memory_order_acq_rel);
    (lane == Lane::kRead ? refused_reads_ : refused_writes_).fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return Ticket(&counter);
}

int64_t AdmissionController::RetryPushbackMs() const {
  // The queue bound is how long the admitted work may take to drain; a
  // retry sooner than that would most likely be refused again.
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.max_queue_time));
}

}  // namespace recd
