#ifndef RECD_UTIL_PROGRESS_REPORTER_H_
#define RECD_UTIL_PROGRESS_REPORTER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace recd {

// Shows how far a long offline step (training, generating, loading,
// evaluating) has got. On a terminal it redraws one line in place,
//   label [#####...............] 25% 12,345/49,000 3,210/s ETA 0:10
// elsewhere (a pipe, a log file) it prints a plain line now and then, so a
// run of hours leaves a few hundred lines rather than one per unit. Either
// way a last line gives the count and the total time. The tools write it to
// stderr, so their stdout stays what scripts parse.
//
// Thread-safe: Add may be called from parallel loops; output is serialized.
// Holds no buffer beyond one line.
class ProgressReporter {
 public:
  struct Options {
    std::string label;
    // Units the step will count; 0 = unknown (no bar, percent or ETA).
    int64_t total = 0;
    // Where to draw; nullptr = report nothing (--no-progress). Default none.
    std::ostream* out = nullptr;
    // Redraw one line with '\r' (a terminal) rather than print plain lines.
    bool tty = false;
    // A terminal is redrawn at most this often (redraws cost the step time).
    absl::Duration tty_interval = absl::Milliseconds(100);
    // Plain output prints at most one line per interval, bounding log size.
    absl::Duration plain_interval = absl::Seconds(5);
    // The clock; tests pass a fake one. Default absl::Now.
    std::function<absl::Time()> now = absl::Now;
  };

  // Options drawing on stderr (as a terminal if it is one), or reporting
  // nothing when `enabled` is false.
  static Options ForStderr(std::string label, int64_t total, bool enabled);

  explicit ProgressReporter(Options options);
  // Ends a terminal line that Finish did not (the step failed), so what is
  // printed next starts on its own line. Prints no summary.
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Counts `n` more units done; draws if the interval has passed, finishes
  // when the count reaches a known total.
  void Add(int64_t n = 1);
  // Sets the count (for steps that report "done so far"); as Add otherwise.
  void Set(int64_t done);
  // Prints the last line: count, rate and total time. Later calls do nothing;
  // a step that ends short of its total (early stopping) calls it itself.
  void Finish();

  int64_t done() const { return done_.load(std::memory_order_relaxed); }

 private:
  void MaybeDraw(int64_t done);
  void Draw(absl::Time now, bool final) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const absl::Time start_;
  std::atomic<int64_t> done_{0};
  absl::Mutex mu_;
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_);
  bool line_open_ ABSL_GUARDED_BY(mu_) = false;  // a terminal line awaits its '\n'
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// Makes the reporter of one step of a multi-step run (an LSTM epoch): the
// tool decides where and whether to draw, the library what to count.
using ProgressFactory =
    std::function<std::unique_ptr<ProgressReporter>(std::string label, int64_t total)>;

// `factory`'s reporter for the step, or a silent one when it is empty.
std::unique_ptr<ProgressReporter> StartProgress(const ProgressFactory& factory, std::string label,
                                                int64_t total);

// The tools' factory: reporters drawing on stderr, or silent ones when
// `enabled` is false (--no-progress).
ProgressFactory StderrProgress(bool enabled);

// "12,345": counts read at a glance.
std::string GroupThousands(int64_t n);
// "0:05", "12:34", "1:02:03".
std::string FormatClock(absl::Duration d);

}  // namespace recd

#endif  // RECD_UTIL_PROGRESS_REPORTER_H_
