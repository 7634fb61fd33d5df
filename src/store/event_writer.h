#ifndef RECD_STORE_EVENT_WRITER_H_
#define RECD_STORE_EVENT_WRITER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "recd/feature_store.h"

namespace recd {

// Group commit for recorded events. Callers submit their batch and return at
// once; one writer thread takes everything queued, writes it as ONE synced
// FeatureStore::AppendEventsBatch (one fsync for many concurrent callers,
// where a write per caller would pay one each), then completes every caller
// with the outcome. So no request thread waits for the disk, and the number
// of fsyncs stays near the disk's own rate however many callers there are.
//
// Per caller: a batch that fails validation is refused at Submit and never
// joins a group, so it cannot fail anyone else's; a batch whose deadline has
// passed when its group's write starts is completed with DEADLINE_EXCEEDED
// and not written (nobody waits for it); a full queue refuses with
// RESOURCE_EXHAUSTED at once rather than letting latency grow without bound.
// The merged write is one atomic batch, so if IT fails every caller of that
// group gets the same error and none of their events is written (with the
// Redis store the batch is atomic per user only: some users' events may be
// written; see store/redis/redis_feature_store.h).
//
// Events keep their submission order: groups are written one after the
// other in queue order, and AppendEventsBatch applies a user's entries in
// order, so a user's history is in the order its batches were accepted.
//
// Thread-safe. `done` callbacks run on the writer thread (or on the
// submitting thread, before Submit returns, when refused), so they must be
// quick: every later group waits for them. Finishing a gRPC reactor is what
// they are for. The destructor calls Shutdown().
class EventWriter {
 public:
  using Done = std::function<void(absl::Status)>;
  // The merged batch of a group that is now durable, handed over.
  using AfterWrite = std::function<void(std::vector<UserEvents> written)>;

  struct Options {
    // Batches (one per Submit) that may wait for the writer; more are
    // refused. Default 4096: a few seconds of a busy daemon's RecordEvents
    // even when the disk stalls, and at most a few MB of pending events.
    size_t max_queued_batches = 4096;
    // Runs on the writer thread after a group's write succeeded and its
    // callers were completed (their acknowledgement waits for the fsync
    // only), with the group's merged events. The next group waits for it,
    // so it should hand heavy work on (the daemon queues a refresh of
    // cached user states). Default: none.
    AfterWrite after_write;
  };

  // Starts the writer thread. REQUIRES: `store` outlives the writer.
  EventWriter(FeatureStore* store, Options options);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Queues `batch` to be written durably before `deadline`, and calls `done`
  // exactly once with the outcome: OK once the events are in the synced
  // store; InvalidArgument (refused, for a bad user or item id or event
  // type); RESOURCE_EXHAUSTED (refused, queue full); UNAVAILABLE (refused,
  // shutting down); DEADLINE_EXCEEDED (not written); or the store's error.
  void Submit(std::vector<UserEvents> batch, absl::Time deadline, Done done);

  // Completes everything queued (writing what is still in time), then stops
  // the writer thread; later Submits are refused. Idempotent.
  void Shutdown();

  // Group writes issued so far, and the batches they carried; for metrics
  // and tests (batches / writes is the group commit's gain).
  int64_t writes() const;
  int64_t batches_written() const;

 private:
  struct Pending {
    std::vector<UserEvents> batch;
    absl::Time deadline;
    Done done;
  };

  void Run();
  // Writes the still-timely members of `group` as one batch and completes all.
  void WriteGroup(std::vector<Pending>& group);

  FeatureStore* const store_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t batches_written_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace recd

#endif  // RECD_STORE_EVENT_WRITER_H_
