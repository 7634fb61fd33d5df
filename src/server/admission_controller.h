#ifndef RECD_SERVER_ADMISSION_CONTROLLER_H_
#define RECD_SERVER_ADMISSION_CONTROLLER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace recd {

// Decides, before any model work, whether a call is served or refused, so
// that under overload the daemon answers what it can within deadlines and
// refuses the rest at once (RESOURCE_EXHAUSTED) instead of queueing every
// call until all of them are late. Reads and writes have separate budgets
// so neither starves the other; admin and health calls never pass through
// it. Thread-safe and lock-free: one atomic per lane.
class AdmissionController {
 public:
  enum class Lane { kRead, kWrite };

  struct Options {
    // Calls admitted and not yet finished, per lane. Beyond it a call is
    // refused on arrival. Sized from the machine by the server (see
    // ServerConfig::admission).
    int max_in_flight_reads = 8;
    int max_in_flight_writes = 64;
    // An admitted read that waited this long for a request thread is
    // refused when it gets one: its latency budget is already spent.
    absl::Duration max_queue_time = absl::Milliseconds(20);
    // Of each lane's places, one client connection may hold at most this
    // share (at least one place): a connection with thousands of streams
    // open then leaves places for the other clients instead of taking every
    // place as it frees. 1 = no per-connection bound.
    double max_connection_share = 1.0;
    // Refusals one connection may get per second before it counts as a
    // hog (CountRefusalIsHog). Default 1000: above what an open-loop
    // client at 4x capacity on 4 connections draws on the 100k bundle
    // (~600 a connection), far below a 5,000-stream flood (~13,000).
    int64_t hog_refusals_per_second = 1000;
  };

  // A place in a lane, given back when the call finishes. Movable, not
  // copyable; a moved-from ticket gives nothing back.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept : counter_(other.counter_), connection_(other.connection_) {
      other.counter_ = nullptr;
      other.connection_ = nullptr;
    }
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    ~Ticket() {
      if (counter_ != nullptr) counter_->fetch_sub(1, std::memory_order_acq_rel);
      if (connection_ != nullptr) connection_->fetch_sub(1, std::memory_order_acq_rel);
    }

   private:
    friend class AdmissionController;
    Ticket(std::atomic<int>* counter, std::atomic<int>* connection) : counter_(counter), connection_(connection) {}
    std::atomic<int>* counter_;
    std::atomic<int>* connection_;  // null without a per-connection bound
  };

  explicit AdmissionController(const Options& options) : options_(options) {}

  // A ticket if the lane has room, and `connection` (the caller's
  // connection, e.g. gRPC's peer string) has not used up its share of it;
  // nullopt means refuse.
  std::optional<Ticket> TryAdmit(Lane lane, absl::string_view connection = {});
  // Counts a refusal of `connection` at `now`; true once the connection has
  // had more than hog_refusals_per_second of them within the last tenth of
  // a second (thousands of streams on one connection, each refused and sent
  // again at once). Such a hog's refusals are held (HeldRefusals); a client
  // that merely meets a full daemon is refused at once.
  bool CountRefusalIsHog(absl::string_view connection, absl::Time now);
  // Places of `lane` one connection may hold.
  int ConnectionLimit(Lane lane) const;

  // True if a call admitted at `admitted` and starting now has queued too
  // long to be worth serving.
  bool QueuedTooLong(absl::Time admitted, absl::Time now) const {
    return now - admitted > options_.max_queue_time;
  }

  // What a refused caller is told to wait before retrying (gRPC's
  // grpc-retry-pushback-ms): about the time the admitted calls need.
  int64_t RetryPushbackMs() const;

  int in_flight(Lane lane) const { return Counter(lane).load(std::memory_order_relaxed); }
  // Refused because their connection held its share (also in refused()).
  int64_t refused_connection_share() const { return refused_share_.load(std::memory_order_relaxed); }
  int64_t refused(Lane lane) const {
    return (lane == Lane::kRead ? refused_reads_ : refused_writes_).load(std::memory_order_relaxed);
  }
  const Options& options() const { return options_; }

 private:
  std::atomic<int>& Counter(Lane lane) { return lane == Lane::kRead ? reads_ : writes_; }
  const std::atomic<int>& Counter(Lane lane) const { return lane == Lane::kRead ? reads_ : writes_; }

  // Connections are counted in hash buckets, lock-free: two connections
  // that share a bucket share one bound, which only makes it stricter.
  static constexpr size_t kConnectionBuckets = 1024;
  std::atomic<int>& ConnectionCounter(Lane lane, absl::string_view connection);

  const Options options_;
  std::array<std::atomic<int>, kConnectionBuckets> reads_by_connection_{};
  std::array<std::atomic<int>, kConnectionBuckets> writes_by_connection_{};
  // Per connection bucket: the tenth of a second of the last refusal, and
  // the refusals counted in it.
  std::array<std::atomic<int64_t>, kConnectionBuckets> refusal_window_{};
  std::array<std::atomic<int64_t>, kConnectionBuckets> refusals_in_window_{};
  std::atomic<int> reads_{0};
  std::atomic<int> writes_{0};
  std::atomic<int64_t> refused_reads_{0};
  std::atomic<int64_t> refused_writes_{0};
  std::atomic<int64_t> refused_share_{0};
};

}  // namespace recd

#endif  // RECD_SERVER_ADMISSION_CONTROLLER_H_
