#ifndef RECD_SERVER_DASHBOARD_API_H_
#define RECD_SERVER_DASHBOARD_API_H_

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace recd {

class AdmissionController;
class RequestHandler;
class ServerMetrics;
class ServingStateManager;
struct ServingState;

// The JSON behind the ops dashboard (dashboard_page.h), served by the ops
// listener: /api/status (counters and latency buckets, from which the page
// computes live QPS, p50/p99 and rates between two polls; the serving
// versions with each model's validation metrics) and /api/recommend (the
// "try it" panel: one explained RecommendItems answer). Label-free like
// /metrics, except that /api/recommend answers for the user id it is given.
// Thread-safe; the pointers must outlive it.
class DashboardApi {
 public:
  struct Options {
    const ServerMetrics* metrics = nullptr;          // required
    const AdmissionController* admission = nullptr;  // required
    const ServingStateManager* states = nullptr;     // required
    const RequestHandler* handler = nullptr;         // required
    absl::Time started;                              // for the uptime
  };
  // An HTTP answer: status and a JSON body.
  struct Reply {
    int status = 200;
    std::string body;
  };

  explicit DashboardApi(const Options& options) : options_(options) {}
  DashboardApi(const DashboardApi&) = delete;
  DashboardApi& operator=(const DashboardApi&) = delete;

  Reply Status() const;
  // Query parameters: user_id (required), recent (item ids, comma
  // separated), k (1..50, default 10). Validated as RecommendItems is;
  // a bad one is a 400 naming it.
  Reply Recommend(const std::map<std::string, std::string>& params) const;

 private:
  // "metrics" of each model's manifest.json in the bundle at `dir`, read
  // once per bundle version.
  nlohmann::json ValidationMetrics(const std::string& version, const std::string& dir) const;
  // The experiment arms of `state` (none: []), each with its share of
  // users, fusion weights and the latency buckets of its answers.
  nlohmann::json Experiments(const ServingState& state) const;
  // The shadow rollout as GetStatus reports it (ShadowStatus, its proto
  // field names; name "" = none running).
  nlohmann::json Shadow() const;

  const Options options_;
  mutable absl::Mutex mu_;
  mutable std::string cached_version_ ABSL_GUARDED_BY(mu_);
  mutable nlohmann::json cached_metrics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace recd

#endif  // RECD_SERVER_DASHBOARD_API_H_
