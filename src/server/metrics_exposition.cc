#include "server/metrics_exposition.h"

#include <map>
#include <vector>

#include "abuse/online_shilling_detector.h"
#include "server/admission_controller.h"
#include "server/connection_limiter.h"
#include "server/process_stats.h"
#include "server/prometheus_writer.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "server/shadow_ranker.h"

namespace recd {
namespace {

using Type = PrometheusWriter::Type;

void WriteHistogram(PrometheusWriter& w, const PrometheusWriter::Labels& labels, const LatencyHistogram& h) {
  const LatencyHistogram::Export e = h.Exported();
  w.Histogram(labels, e.upper_seconds, e.cumulative, e.count, e.sum_seconds);
}

// Counters of ServerMetrics::Counters() exposed one for one: the key, the
// metric and its help.
struct CounterName {
  const char* key;
  const char* metric;
  const char* help;
};
constexpr CounterName kCounters[] = {
    {"degraded_answers", "recd_degraded_answers_total", "Answers given with one or more models left out."},
    {"fallback_answers", "recd_fallback_answers_total", "Answers from the popularity fallback."},
    {"queue_timeouts", "recd_admission_queue_timeouts_total",
     "Admitted calls refused because they queued longer than server.admission.max_queue_ms."},
    {"refused_connection_share", "recd_admission_refused_connection_share_total",
     "Calls refused because their connection held its share of the places (also in recd_admission_refused_total)."},
    {"skipped_model_tasks", "recd_skipped_model_tasks_total",
     "Model tasks skipped because their request's deadline had passed."},
    {"reloads", "recd_reloads_total", "Config and bundle reloads that took effect."},
    {"rejected_reloads", "recd_reload_failures_total", "Reloads rejected (the running config and bundle stayed)."},
    {"states_warmed", "recd_states_warmed_total", "User states encoded by a new bundle before it took traffic."},
    {"states_refreshed", "recd_states_refreshed_total", "Cached user states re-encoded as their events arrived."},
    {"accepted_connections", "recd_accepted_connections_total", "Client connections accepted on the serving port."},
    {"evicted_connections", "recd_evicted_connections_total",
     "Idle client connections shut down at server.limits.max_connections."},
    {"events_rate_limited", "recd_events_rate_limited_total", "RecordEvents calls refused by server.rate_limits."},
    {"live_events", "recd_live_events_total", "Events the live item statistics learned from (config live)."},
    {"live_pruned_pairs", "recd_live_pruned_pairs_total",
     "Live co-occurrence and transition entries dropped, the weakest first, at live.max_pairs."},
};
// Values of Counters() exposed as gauges, one for one.
constexpr CounterName kGauges[] = {
    {"live_items", "recd_live_items", "Items with live counts in the live bundle's overlay."},
    {"live_pairs", "recd_live_pairs", "Live co-occurrence and transition entries kept."},
    {"live_max_pairs", "recd_live_max_pairs", "The bound on them (live.max_pairs; 0 without live)."},
    {"live_memory_bytes", "recd_live_memory_bytes", "Memory of the live item statistics and their snapshot."},
    {"catalog_new_items", "recd_catalog_new_items",
     "Catalog items added since the served bundle was trained, served before the next bundle."},
    {"catalog_max_new_items", "recd_catalog_max_new_items", "The bound on them (server.max_new_items)."},
};

void WriteServerMetrics(PrometheusWriter& w, const ServerMetrics& m) {
  w.Family("recd_requests_total", "gRPC calls finished, by method and status code.", Type::kCounter);
  m.ForEachFinished([&](std::string_view method, std::string_view code, const LatencyHistogram& h) {
    w.Sample({{"method", method}, {"code", code}}, static_cast<double>(h.Exported().count));
  });
  w.Family("recd_request_duration_seconds", "gRPC call latency from arrival to answer, by method and status code.",
           Type::kHistogram);
  m.ForEachFinished([&](std::string_view method, std::string_view code, const LatencyHistogram& h) {
    WriteHistogram(w, {{"method", method}, {"code", code}}, h);
  });

  w.Family("recd_experiment_requests_total", "RecommendItems answered, by experiment arm (config experiments).",
           Type::kCounter);
  m.ForEachArm([&](std::string_view arm, const LatencyHistogram& h) {
    w.Sample({{"arm", arm}}, static_cast<double>(h.Exported().count));
  });
  w.Family("recd_experiment_request_duration_seconds",
           "RecommendItems latency inside recd (validation to answer), by experiment arm.", Type::kHistogram);
  m.ForEachArm([&](std::string_view arm, const LatencyHistogram& h) { WriteHistogram(w, {{"arm", arm}}, h); });

  w.Family("recd_model_calls_total", "Model scoring calls, by model.", Type::kCounter);
  m.ForEachModel([&](std::string_view model, const ModelMetrics& mm) {
    w.Sample({{"model", model}}, static_cast<double>(mm.calls.load(std::memory_order_relaxed)));
  });
  w.Family("recd_model_failures_total", "Model scoring calls that failed, by model.", Type::kCounter);
  m.ForEachModel([&](std::string_view model, const ModelMetrics& mm) {
    w.Sample({{"model", model}}, static_cast<double>(mm.failures.load(std::memory_order_relaxed)));
  });
  w.Family("recd_model_timeouts_total", "Model scoring calls cut at their budget or deadline, by model.",
           Type::kCounter);
  m.ForEachModel([&](std::string_view model, const ModelMetrics& mm) {
    w.Sample({{"model", model}}, static_cast<double>(mm.timeouts.load(std::memory_order_relaxed)));
  });
  w.Family("recd_model_duration_seconds", "Model scoring latency, by model.", Type::kHistogram);
  m.ForEachModel([&](std::string_view model, const ModelMetrics& mm) { WriteHistogram(w, {{"model", model}}, mm.latency); });

  w.Family("recd_event_write_duration_seconds", "RecordEvents batches from submission to their durable group commit.",
           Type::kHistogram);
  WriteHistogram(w, {}, m.event_write_latency());

  const std::map<std::string, int64_t> counters = m.Counters();
  auto value = [&](const char* key) {
    auto it = counters.find(key);
    return it == counters.end() ? 0.0 : static_cast<double>(it->second);
  };
  w.Family("recd_cache_hits_total", "Requests that found their user in a cache: state (encoded models) or result (ranked list).",
           Type::kCounter);
  w.Sample({{"cache", "state"}}, value("state_cache_hits"));
  w.Sample({{"cache", "result"}}, value("result_cache_hits"));
  w.Family("recd_cache_misses_total", "Requests that did not find their user in a cache.", Type::kCounter);
  w.Sample({{"cache", "state"}}, value("state_cache_misses"));
  w.Sample({{"cache", "result"}}, value("result_cache_misses"));
  for (const CounterName& c : kCounters) {
    if (!counters.contains(c.key)) continue;
    w.Family(c.metric, c.help, Type::kCounter);
    w.Sample({}, value(c.key));
  }
  for (const CounterName& c : kGauges) {
    if (!counters.contains(c.key)) continue;
    w.Family(c.metric, c.help, Type::kGauge);
    w.Sample({}, value(c.key));
  }
  if (counters.contains("open_connections")) {
    w.Family("recd_open_connections", "Client connections open on the serving port.", Type::kGauge);
    w.Sample({}, value("open_connections"));
  }
}

void WriteAdmission(PrometheusWriter& w, const AdmissionController& a) {
  using Lane = AdmissionController::Lane;
  w.Family("recd_admission_refused_total", "Calls refused at once because their lane was full, by lane.",
           Type::kCounter);
  w.Sample({{"lane", "read"}}, static_cast<double>(a.refused(Lane::kRead)));
  w.Sample({{"lane", "write"}}, static_cast<double>(a.refused(Lane::kWrite)));
  w.Family("recd_admission_in_flight", "Calls admitted and not yet finished, by lane.", Type::kGauge);
  w.Sample({{"lane", "read"}}, a.in_flight(Lane::kRead));
  w.Sample({{"lane", "write"}}, a.in_flight(Lane::kWrite));
  w.Family("recd_admission_limit", "Places of each lane (server.admission).", Type::kGauge);
  w.Sample({{"lane", "read"}}, a.options().max_in_flight_reads);
  w.Sample({{"lane", "write"}}, a.options().max_in_flight_writes);
}

void WriteQuarantine(PrometheusWriter& w, const OnlineShillingDetector& q) {
  using Signal = OnlineShillingDetector::Signal;
  const OnlineShillingDetector::Summary s = q.Summarize(0);
  w.Family("recd_quarantine_users", "Users in the online quarantine (server.shilling) until released.", Type::kGauge);
  w.Sample({}, static_cast<double>(s.users));
  w.Family("recd_quarantine_signal_users",
           "Quarantined users found by each signal (one user may be found by several).", Type::kGauge);
  for (Signal signal : {Signal::kBurst, Signal::kHammer, Signal::kSwarm}) {
    w.Sample({{"signal", OnlineShillingDetector::SignalName(signal)}},
             static_cast<double>(s.by_signal[static_cast<size_t>(signal)]));
  }
  w.Family("recd_quarantine_targeted_items", "Items a swarm of new accounts was found on.", Type::kGauge);
  w.Sample({}, static_cast<double>(s.targeted_items));
  w.Family("recd_quarantine_unrecorded_users_total",
           "Finds of users not recorded because the quarantine list was full (100,000).", Type::kCounter);
  w.Sample({}, static_cast<double>(s.unrecorded_users));
}

void WriteShadow(PrometheusWriter& w, const ShadowRanker& shadow, const ServingState& state) {
  if (state.shadow != nullptr) {
    w.Family("recd_shadow_info", "The shadow running (config shadow; always 1): its name and bundle version.",
             Type::kGauge);
    w.Sample({{"shadow", state.shadow->name}, {"bundle_version", std::to_string(state.shadow->bundle_version)}}, 1);
  }
  const ShadowRanker::Stats s = shadow.Snapshot();
  if (s.name.empty()) return;  // nothing shadowed yet
  const std::string_view name = s.name;
  w.Family("recd_shadow_requests_total",
           "Live RecommendItems answers sampled for the shadow, and what became of them (skipped: queue full).",
           Type::kCounter);
  const std::pair<std::string_view, int64_t> outcomes[] = {{"sampled", s.sampled}, {"skipped", s.skipped},
                                                           {"ranked", s.ranked},   {"failed", s.failed},
                                                           {"degraded", s.degraded}};
  for (const auto& [outcome, n] : outcomes) w.Sample({{"shadow", name}, {"outcome", outcome}}, static_cast<double>(n));
  if (s.ranked > 0) {
    w.Family("recd_shadow_overlap_at_k",
             "Mean overlap@k of the shadow's lists with the live ones, over the ranked requests.", Type::kGauge);
    w.Sample({{"shadow", name}}, s.mean_overlap());
  }
  if (s.correlated > 0) {
    w.Family("recd_shadow_rank_correlation",
             "Mean Kendall's tau of the items shadow and live lists share (lists sharing two or more).",
             Type::kGauge);
    w.Sample({{"shadow", name}}, s.mean_correlation());
  }
  w.Family("recd_shadow_latency_seconds", "How long the shadow took to rank a sampled request (off the request path).",
           Type::kHistogram);
  WriteHistogram(w, {{"shadow", name}}, *s.latency);
}

void WriteVersions(PrometheusWriter& w, const ServingState& state) {
  w.Family("recd_bundle_info", "The model bundle serving (always 1; the version is the label).", Type::kGauge);
  w.Sample({{"version", state.bundle->version()}}, 1);
  w.Family("recd_config_info", "The config serving (always 1; version = content hash of the file).", Type::kGauge);
  w.Sample({{"version", state.config->version}}, 1);
}

void WriteProcess(PrometheusWriter& w) {
  if (auto stats = ProcessStats::ReadSelf(); stats.ok()) {
    w.Family("process_resident_memory_bytes", "Resident memory (VmRSS of /proc/self/status).", Type::kGauge);
    w.Sample({}, static_cast<double>(stats->resident_bytes));
    w.Family("process_threads", "Threads of the process (/proc/self/status).", Type::kGauge);
    w.Sample({}, static_cast<double>(stats->threads));
  }
  w.Family("process_open_fds", "Open file descriptors (/proc/self/fd).", Type::kGauge);
  w.Sample({}, CountOpenFds());
}

}  // namespace

absl::StatusOr<std::string> ExposeMetrics(const MetricsSources& sources) {
  PrometheusWriter w;
  if (sources.metrics != nullptr) WriteServerMetrics(w, *sources.metrics);
  if (sources.admission != nullptr) WriteAdmission(w, *sources.admission);
  if (sources.states != nullptr) WriteVersions(w, *sources.states->Current());
  if (sources.quarantine != nullptr) WriteQuarantine(w, *sources.quarantine);
  if (sources.shadow != nullptr && sources.states != nullptr) WriteShadow(w, *sources.shadow, *sources.states->Current());
  if (sources.process) WriteProcess(w);
  return std::move(w).Finish();
}

}  // namespace recd
