#include "server/replay_runner.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "recd/v1/recommender.grpc.pb.h"
#include "server/bench_channels.h"
#include "server/load_generator.h"
#include "util/quantile.h"

namespace recd {
namespace {

v1::EventType ToProto(EventType type) {
  switch (type) {
    case EventType::kView:
      return v1::VIEW;
    case EventType::kCart:
      return v1::CART;
    case EventType::kPurchase:
      return v1::PURCHASE;
  }
  return v1::VIEW;
}

std::string CodeName(grpc::StatusCode code) {
  // gRPC and absl number their status codes alike.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// The calls of one event: ask, then record. Stubs are shared by workers.
class ReplayClient {
 public:
  explicit ReplayClient(const ReplayOptions& o) : options_(o) {
    for (const auto& channel : OpenBenchChannels(o.target, o.channels, {o.tls_ca_pem, o.tls_cert_pem, o.tls_key_pem})) {
      stubs_.push_back(v1::Recommender::NewStub(channel));
    }
  }

  grpc::Status Ask(size_t n, const ReplayEvent& e, v1::RecommendResponse* answer) {
    grpc::ClientContext ctx;
    Prepare(e, &ctx);
    v1::RecommendRequest req;
    req.set_user_id(e.user);
    req.set_k(options_.k);
    return stubs_[n % stubs_.size()]->RecommendItems(&ctx, req, answer);
  }

  grpc::Status Record(size_t n, const ReplayEvent& e) {
    grpc::ClientContext ctx;
    Prepare(e, &ctx);
    v1::RecordEventsRequest req;
    v1::Event* event = req.add_events();
    event->set_user_id(e.user);
    event->set_item_id(e.item);
    event->set_type(ToProto(e.type));
    event->mutable_timestamp()->set_seconds(e.timestamp);
    // A retried replay of the same log then writes each event once.
    req.set_request_id(absl::StrCat("replay-", n));
    v1::RecordEventsResponse resp;
    return stubs_[n % stubs_.size()]->RecordEvents(&ctx, req, &resp);
  }

 private:
  void Prepare(const ReplayEvent& e, grpc::ClientContext* ctx) const {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
    if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
    ctx->AddMetadata(std::string(kUserRoutingHeader), e.user);
  }

  const ReplayOptions& options_;
  std::vector<std::unique_ptr<v1::Recommender::Stub>> stubs_;
};

// Collects what the workers measured.
class ReplayRecorder {
 public:
  explicit ReplayRecorder(size_t events) { result_.outcomes.resize(events); }

  void Answered(size_t n, const std::string& arm, std::optional<int> rank, double latency_ms,
                const v1::RecommendResponse& r) {
    const bool degraded = r.degraded_size() > 0;
    absl::MutexLock lock(&mu_);
    result_.outcomes[n] = {arm, true, rank};
    result_.arms[arm].Add(rank, latency_ms, degraded, r.fallback());
    result_.all.Add(rank, latency_ms, degraded, r.fallback());
  }
  void AskFailed(grpc::StatusCode code) {
    absl::MutexLock lock(&mu_);
    // The arm is unknown without an answer; the outcome stays unanswered.
    ++result_.ask_errors[CodeName(code)];
  }
  void Recorded(const grpc::Status& s) {
    absl::MutexLock lock(&mu_);
    if (s.ok()) {
      ++result_.recorded;
    } else {
      ++result_.record_errors[CodeName(s.error_code())];
    }
  }
  ReplayResult Finish(int64_t events, double seconds) {
    absl::MutexLock lock(&mu_);
    result_.events = events;
    result_.seconds = seconds;
    std::sort(result_.all.latencies_ms.begin(), result_.all.latencies_ms.end());
    for (auto& [arm, q] : result_.arms) std::sort(q.latencies_ms.begin(), q.latencies_ms.end());
    return std::move(result_);
  }

 private:
  absl::Mutex mu_;
  ReplayResult result_ ABSL_GUARDED_BY(mu_);
};

std::string ArmLabel(const std::string& arm) { return arm.empty() ? "(no experiments)" : arm; }

nlohmann::json QualityJson(const ReplayQuality& q, int k) {
  return {{"asked", q.asked},
          {"degraded", q.degraded},
          {"fallback", q.fallback},
          {"hits", q.hits},
          {absl::StrCat("hr_at_", k), q.hit_rate()},
          {absl::StrCat("hr_at_", k, "_se"), q.score().hit_rate_se()},
          {absl::StrCat("ndcg_at_", k), q.ndcg()},
          {absl::StrCat("ndcg_at_", k, "_se"), q.score().ndcg_se()},
          {"p50_ms", Quantile(q.latencies_ms, 0.5)},
          {"p99_ms", Quantile(q.latencies_ms, 0.99)}};
}

std::string QualityRow(const std::string& label, const ReplayQuality& q) {
  return absl::StrFormat("  %-18s %8d %8.4f %8.4f %9.3f %9.3f %8d %8d", label, q.asked, q.hit_rate(), q.ndcg(),
                         Quantile(q.latencies_ms, 0.5), Quantile(q.latencies_ms, 0.99), q.degraded, q.fallback);
}

}  // namespace

std::optional<int> RankOfItem(const v1::RecommendResponse& answer, const std::string& item) {
  for (int i = 0; i < answer.items_size(); ++i) {
    if (answer.items(i).item_id() == item) return i;
  }
  return std::nullopt;
}

void ReplayQuality::Add(std::optional<int> rank, double latency_ms, bool degraded_answer, bool fallback_answer) {
  ++asked;
  if (degraded_answer) ++degraded;
  if (fallback_answer) ++fallback;
  if (rank) {
    ++hits;
    const double gain = NdcgAtRank(*rank);
    ndcg_sum += gain;
    ndcg_sq_sum += gain * gain;
  }
  latencies_ms.push_back(latency_ms);
}

absl::Status ValidateReplayOptions(const ReplayOptions& options) {
  if (!(options.qps > 0)) return absl::InvalidArgumentError("--qps: must be > 0");
  if (options.k < 1) return absl::InvalidArgumentError("-k: must be >= 1");
  if (options.workers < 1) return absl::InvalidArgumentError("--replay-workers: must be >= 1");
  return absl::OkStatus();
}

absl::StatusOr<ReplayResult> RunReplay(const std::vector<ReplayEvent>& events, const ReplayOptions& options) {
  if (absl::Status s = ValidateReplayOptions(options); !s.ok()) return s;
  if (events.empty()) return absl::InvalidArgumentError("--replay: the log holds no events");
  ReplayClient client(options);
  ReplayRecorder recorder(events.size());
  const absl::Time start = absl::Now();
  const absl::Duration interval = absl::Seconds(1.0 / options.qps);

  // Each user's events go to one worker, which replays them in log order.
  std::vector<std::vector<size_t>> shares(static_cast<size_t>(options.workers));
  for (size_t n = 0; n < events.size(); ++n) {
    shares[std::hash<std::string>{}(events[n].user) % shares.size()].push_back(n);
  }
  auto replay_share = [&](const std::vector<size_t>& share) {
    for (const size_t n : share) {
      const ReplayEvent& e = events[n];
      const absl::Time planned = start + interval * static_cast<double>(n);
      if (const absl::Time now = absl::Now(); now < planned) absl::SleepFor(planned - now);
      v1::RecommendResponse answer;
      const grpc::Status asked = client.Ask(n, e, &answer);
      if (asked.ok()) {
        recorder.Answered(n, answer.experiment_arm(), RankOfItem(answer, e.item),
                          absl::ToDoubleMilliseconds(absl::Now() - planned), answer);
      } else {
        recorder.AskFailed(asked.error_code());
      }
      if (options.record_events) recorder.Recorded(client.Record(n, e));
    }
  };
  std::vector<std::thread> workers;
  for (const auto& share : shares) workers.emplace_back(replay_share, std::cref(share));
  for (auto& t : workers) t.join();
  return recorder.Finish(static_cast<int64_t>(events.size()), absl::ToDoubleSeconds(absl::Now() - start));
}

nlohmann::json ReplayResult::ToJson(int k) const {
  nlohmann::json arms_json = nlohmann::json::object();
  for (const auto& [arm, q] : arms) arms_json[arm] = QualityJson(q, k);
  return {{"events", events},
          {"seconds", seconds},
          {"k", k},
          {"all", QualityJson(all, k)},
          {"arms", arms_json},
          {"ask_errors", ask_errors},
          {"recorded", recorded},
          {"record_errors", record_errors}};
}

std::string ReplayResult::ToText(int k) const {
  std::string s = absl::StrFormat("replayed %d events in %.1f s (%.0f/s); %d answered, %d recorded\n", events,
                                  seconds, seconds > 0 ? static_cast<double>(events) / seconds : 0.0, all.asked,
                                  recorded);
  absl::StrAppend(&s, absl::StrFormat("  %-18s %8s %8s %8s %9s %9s %8s %8s\n", "arm", "asked",
                                      absl::StrCat("HR@", k), absl::StrCat("NDCG@", k), "p50 ms", "p99 ms",
                                      "degraded", "fallback"));
  for (const auto& [arm, q] : arms) absl::StrAppend(&s, QualityRow(ArmLabel(arm), q), "\n");
  if (arms.size() > 1) absl::StrAppend(&s, QualityRow("all", all), "\n");
  for (const auto& [code, n] : ask_errors) absl::StrAppend(&s, "  RecommendItems errors ", code, ": ", n, "\n");
  for (const auto& [code, n] : record_errors) absl::StrAppend(&s, "  RecordEvents errors ", code, ": ", n, "\n");
  return s;
}

}  // namespace recd
