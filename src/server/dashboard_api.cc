#include "server/dashboard_api.h"

#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/admission_controller.h"
#include "server/process_stats.h"
#include "server/request_handler.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"

namespace recd {
namespace {

using Json = nlohmann::json;

Json Buckets(const LatencyHistogram& h) {
  const LatencyHistogram::Export e = h.Exported();
  return Json{{"bounds", e.upper_seconds}, {"cumulative", e.cumulative}, {"count", e.count}, {"sum", e.sum_seconds}};
}

int HttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

// Ids and messages may hold any bytes: invalid UTF-8 is replaced rather
// than let nlohmann throw.
std::string Dump(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

DashboardApi::Reply Error(int status, absl::string_view message) {
  return {status, Dump(Json{{"error", std::string(message)}})};
}

}  // namespace

Json DashboardApi::ValidationMetrics(const std::string& version, const std::string& dir) const {
  absl::MutexLock lock(&mu_);
  if (version == cached_version_) return cached_metrics_;
  Json out = Json::object();
  // Read from the bundle's directory, which may have changed or gone since
  // it loaded: what cannot be read is left out, and no exception leaves.
  std::error_code error;
  std::filesystem::directory_iterator it(dir, error), end;
  for (; !error && it != end; it.increment(error)) {
    std::ifstream in(it->path() / "manifest.json");
    if (!in) continue;
    Json parsed = Json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.contains("metrics") && parsed["metrics"].is_object()) {
      out[it->path().filename().string()] = parsed["metrics"];
    }
  }
  cached_version_ = version;
  cached_metrics_ = out;
  return out;
}

Json DashboardApi::Experiments(const ServingState& state) const {
  Json arms = Json::array();
  if (state.experiments == nullptr) return arms;
  std::map<std::string, Json, std::less<>> latency;
  options_.metrics->ForEachArm(
      [&](std::string_view arm, const LatencyHistogram& h) { latency.emplace(std::string(arm), Buckets(h)); });
  int begin = 0;
  for (const ExperimentArms::Arm& arm : state.experiments->arms()) {
    Json a{{"name", arm.name},
           {"share", static_cast<double>(arm.end_bucket - begin) / ExperimentConfig::kBuckets},
           {"weights", arm.pipeline->fusion().weights},
           {"bundle_version", (arm.state ? *arm.state : state).bundle->version()}};
    // An arm's answers since start: the histogram outlives reloads.
    if (auto it = latency.find(arm.name); it != latency.end()) a["latency"] = it->second;
    arms.push_back(std::move(a));
    begin = arm.end_bucket;
  }
  return arms;
}

DashboardApi::Reply DashboardApi::Status() const {
  const auto state = options_.states->Current();
  const ServerMetrics& metrics = *options_.metrics;
  Json status;
  status["time"] = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  status["uptime_seconds"] = absl::ToDoubleSeconds(absl::Now() - options_.started);
  status["bundle_version"] = state->bundle->version();
  status["config_version"] = state->config->version;
  const Json validation = ValidationMetrics(state->bundle->version(), state->bundle->dir());
  const auto& weights = state->pipeline->fusion().weights;
  Json models = Json::array();
  for (const auto& scorer : state->bundle->scorers()) {
    const std::string name(scorer->name());
    Json m{{"name", name}, {"weight", 0.0}, {"calls", 0}, {"failures", 0}, {"timeouts", 0}};
    if (auto w = weights.find(name); w != weights.end()) m["weight"] = w->second;
    if (validation.contains(name)) m["validation"] = validation[name];
    models.push_back(std::move(m));
  }
  metrics.ForEachModel([&](std::string_view name, const ModelMetrics& mm) {
    for (Json& m : models) {
      if (m["name"].get<std::string>() != name) continue;
      m["calls"] = mm.calls.load(std::memory_order_relaxed);
      m["failures"] = mm.failures.load(std::memory_order_relaxed);
      m["timeouts"] = mm.timeouts.load(std::memory_order_relaxed);
      m["latency"] = Buckets(mm.latency);
    }
  });
  status["models"] = std::move(models);
  Json calls = Json::array();
  metrics.ForEachFinished([&](std::string_view method, std::string_view code, const LatencyHistogram& h) {
    calls.push_back(Json{{"method", std::string(method)}, {"code", std::string(code)}, {"latency", Buckets(h)}});
  });
  status["calls"] = std::move(calls);
  status["counters"] = metrics.Counters();
  using Lane = AdmissionController::Lane;
  status["admission"] = Json{{"in_flight_reads", options_.admission->in_flight(Lane::kRead)},
                             {"in_flight_writes", options_.admission->in_flight(Lane::kWrite)},
                             {"max_in_flight_reads", options_.admission->options().max_in_flight_reads},
                             {"max_in_flight_writes", options_.admission->options().max_in_flight_writes}};
  if (auto process = ProcessStats::ReadSelf(); process.ok()) {
    status["process"] = Json{{"resident_bytes", process->resident_bytes}, {"threads", process->threads}};
  }
  status["experiments"] = Experiments(*state);
  status["shadow"] = Shadow();
  return {200, Dump(status)};
}

Json DashboardApi::Shadow() const {
  v1::ShadowStatus shadow;
  options_.handler->FillShadowStatus(&shadow);
  std::string text;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(shadow, &text, print).ok()) return Json::object();
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

DashboardApi::Reply DashboardApi::Recommend(const std::map<std::string, std::string>& params) const {
  v1::RecommendRequest request;
  request.set_explain(true);
  request.set_k(10);
  if (auto it = params.find("user_id"); it != params.end()) request.set_user_id(it->second);
  if (auto it = params.find("k"); it != params.end()) {
    int k = 0;
    if (!absl::SimpleAtoi(it->second, &k) || k < 1 || k > 50) return Error(400, "k: must be an integer in 1..50");
    request.set_k(k);
  }
  if (auto it = params.find("recent"); it != params.end()) {
    for (absl::string_view id : absl::StrSplit(it->second, ',', absl::SkipWhitespace())) {
      request.add_recent_item_ids(std::string(absl::StripAsciiWhitespace(id)));
    }
  }
  v1::RecommendResponse response;
  const absl::Status s = options_.handler->Recommend(request, absl::InfiniteFuture(), &response);
  if (!s.ok()) return Error(HttpStatus(s.code()), s.message());
  Json items = Json::array();
  for (const v1::ScoredItem& item : response.items()) {
    Json contributions = Json::array();
    for (const v1::ModelContribution& c : item.explanation().contributions()) {
      contributions.push_back(Json{{"model", c.model()},
                                   {"weight", c.weight()},
                                   {"normalized_score", c.normalized_score()},
                                   {"contribution", c.contribution()}});
    }
    items.push_back(Json{{"item_id", item.item_id()},
                         {"score", item.score()},
                         {"reason", item.explanation().reason()},
                         {"contributions", std::move(contributions)}});
  }
  Json answer{{"user_id", request.user_id()},
              {"request_id", response.request_id()},
              {"config_version", response.config_version()},
              {"experiment_arm", response.experiment_arm()},
              {"fallback", response.fallback()},
              {"degraded", std::vector<std::string>(response.degraded().begin(), response.degraded().end())},
              {"ignored_item_ids",
               std::vector<std::string>(response.ignored_item_ids().begin(), response.ignored_item_ids().end())},
              {"items", std::move(items)}};
  return {200, Dump(answer)};
}

}  // namespace recd
