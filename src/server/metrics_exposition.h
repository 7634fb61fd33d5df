#ifndef RECD_SERVER_METRICS_EXPOSITION_H_
#define RECD_SERVER_METRICS_EXPOSITION_H_

#include <string>

#include "absl/status/statusor.h"

namespace recd {

class AdmissionController;
class OnlineShillingDetector;
class ServerMetrics;
class ServingStateManager;
class ShadowRanker;

// Where /metrics reads from. Each source is optional (null = its metrics are
// left out), so that a daemon still starting can expose its process figures.
struct MetricsSources {
  const ServerMetrics* metrics = nullptr;
  const AdmissionController* admission = nullptr;
  const ServingStateManager* states = nullptr;
  // The online quarantine (server.shilling): its counts, never its ids.
  const OnlineShillingDetector* quarantine = nullptr;
  // The shadow rollout's figures (config shadow), labelled by its name.
  const ShadowRanker* shadow = nullptr;
  // Process figures (RSS, threads, open fds) from /proc/self.
  bool process = true;
};

// The daemon's metrics in Prometheus' text format (README, Metrics and
// health). Labels are bounded sets: method, status code, model, cache, lane,
// and the bundle and config versions of the info metrics; never a user or
// item id. Reads counters without locks; safe to call from any thread while
// the sources live.
absl::StatusOr<std::string> ExposeMetrics(const MetricsSources& sources);

}  // namespace recd

#endif  // RECD_SERVER_METRICS_EXPOSITION_H_
