#ifndef RECD_SERVER_HELD_REFUSALS_H_
#define RECD_SERVER_HELD_REFUSALS_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace recd {

// Runs refusals after a fixed hold instead of at once, on a thread of its
// own. The daemon holds the refusals of a connection past its share of the
// admitted calls (server.admission.share_refusal_hold_ms): a client that
// honours the retry pushback they name loses nothing, while one that opens
// stream after stream can no longer make the server refuse faster than its
// HTTP/2 stream limit per hold, so its flood stops costing the other
// clients gRPC's per-call work. Holding costs no thread per call.
//
// Bounded: at most `max_pending` held at once; beyond it a refusal runs at
// once. After Stop(), and for what is pending then, refusals run at once.
// Thread-safe.
class HeldRefusals {
 public:
  HeldRefusals(absl::Duration hold, size_t max_pending);
  ~HeldRefusals();  // Stop()
  HeldRefusals(const HeldRefusals&) = delete;
  HeldRefusals& operator=(const HeldRefusals&) = delete;

  // Runs `refuse` once the hold has passed (or at once: full, stopped).
  void Hold(std::function<void()> refuse);
  // Runs every pending refusal now, and every later one at once.
  void Stop();

  absl::Duration hold() const { return hold_; }
  size_t pending() const;

 private:
  struct Pending {
    absl::Time due;
    std::function<void()> refuse;
  };
  void Loop();

  const absl::Duration hold_;
  const size_t max_pending_;
  mutable absl::Mutex mu_;
  // Due times only grow (one hold for all), so a FIFO is in due order.
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace recd

#endif  // RECD_SERVER_HELD_REFUSALS_H_
