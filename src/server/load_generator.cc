#include "server/load_generator.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "recd/v1/echo.grpc.pb.h"
#include "recd/v1/recommender.grpc.pb.h"
#include "server/bench_channels.h"
#include "server/request_sampler.h"
#include "util/quantile.h"

namespace recd {
namespace {

// Shared by all in-flight calls of one run.
class Recorder {
 public:
  Recorder(absl::Time measure_from, absl::Duration deadline) : measure_from_(measure_from), deadline_(deadline) {}
  void Record(absl::Time planned_start, absl::Time done, grpc::StatusCode code, AnswerKind kind, bool write) {
    if (planned_start < measure_from_) return;  // warm-up
    const absl::Duration latency = done - planned_start;
    const double ms = absl::ToDoubleMilliseconds(latency);
    absl::MutexLock lock(&mu_);
    latencies_ms_.push_back(ms);
    if (code == grpc::OK) {
      ok_ms_.push_back(ms);
      (write ? write_ok_ms_ : read_ok_ms_).push_back(ms);
      if (kind == AnswerKind::kDegraded) ++degraded_;
      if (kind == AnswerKind::kFallback) ++fallback_;
      // Goodput: complete answers the caller still waited for. Latency runs
      // from the planned start, so a lagging client does not flatter it.
      if (kind == AnswerKind::kFull && latency <= deadline_) ++good_;
    } else {
      // gRPC and absl number their status codes alike.
      ++errors_[absl::StatusCodeToString(static_cast<absl::StatusCode>(code))];
      if (code == grpc::RESOURCE_EXHAUSTED) refused_ms_.push_back(ms);
    }
  }
  LoadResult Finish(double seconds) {
    absl::MutexLock lock(&mu_);
    LoadResult r;
    r.calls = static_cast<int64_t>(latencies_ms_.size());
    r.errors = errors_;
    int64_t failed = 0;
    for (const auto& [code, n] : errors_) failed += n;
    r.ok = r.calls - failed;
    r.degraded = degraded_;
    r.fallback = fallback_;
    r.seconds = seconds;
    r.qps = seconds > 0 ? static_cast<double>(r.calls) / seconds : 0;
    r.goodput_qps = seconds > 0 ? static_cast<double>(good_) / seconds : 0;
    for (auto* v : {&latencies_ms_, &ok_ms_, &refused_ms_, &read_ok_ms_, &write_ok_ms_}) std::sort(v->begin(), v->end());
    r.p50_ms = Quantile(latencies_ms_, 0.5);
    r.p90_ms = Quantile(latencies_ms_, 0.9);
    r.p99_ms = Quantile(latencies_ms_, 0.99);
    r.p999_ms = Quantile(latencies_ms_, 0.999);
    r.max_ms = latencies_ms_.empty() ? 0 : latencies_ms_.back();
    r.ok_p50_ms = Quantile(ok_ms_, 0.5);
    r.ok_p99_ms = Quantile(ok_ms_, 0.99);
    r.read_p50_ms = Quantile(read_ok_ms_, 0.5);
    r.read_p99_ms = Quantile(read_ok_ms_, 0.99);
    r.write_p50_ms = Quantile(write_ok_ms_, 0.5);
    r.write_p99_ms = Quantile(write_ok_ms_, 0.99);
    r.refused_p50_ms = Quantile(refused_ms_, 0.5);
    r.refused_p99_ms = Quantile(refused_ms_, 0.99);
    return r;
  }

 private:
  const absl::Time measure_from_;
  const absl::Duration deadline_;
  absl::Mutex mu_;
  std::vector<double> latencies_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<double> ok_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<double> refused_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<double> read_ok_ms_ ABSL_GUARDED_BY(mu_);
  std::vector<double> write_ok_ms_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
  int64_t degraded_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t fallback_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t good_ ABSL_GUARDED_BY(mu_) = 0;
};

RequestSampler::Options SamplerOptions(const LoadGeneratorOptions& o) {
  return {.num_users = o.users.size(),
          .num_items = o.items.size(),
          .zipf_s = o.users_zipf,
          .session_items = o.session_items,
          .seed = o.seed};
}

// Issues one call of the configured mix and calls `done` with its status.
class CallMaker {
 public:
  // REQUIRES: ValidateLoadOptions(o) is OK.
  explicit CallMaker(const LoadGeneratorOptions& o) : options_(o), sampler_(*RequestSampler::Create(SamplerOptions(o))) {
    for (const auto& channel : OpenBenchChannels(o.target, o.channels, {o.tls_ca_pem, o.tls_cert_pem, o.tls_key_pem})) {
      recd_.push_back(v1::Recommender::NewStub(channel));
      echo_.push_back(v1::Echo::NewStub(channel));
    }
  }

  template <typename Done>
  void Start(uint64_t n, Done done) {
    const size_t c = n % recd_.size();
    auto* ctx = new grpc::ClientContext();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
    if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
    if (options_.service == "echo") {
      auto* req = new v1::EchoMessage();
      auto* resp = new v1::EchoMessage();
      req->set_payload("ping");
      echo_[c]->async()->Echo(ctx, req, resp, [ctx, req, resp, done](grpc::Status s) {
        done(s.error_code(), AnswerKind::kFull, /*write=*/false);
        delete ctx, delete req, delete resp;
      });
      return;
    }
    // Seeded per call, so the user of call n does not depend on which
    // thread starts it. Seeding costs a few microseconds, so echo calls,
    // which need no draw, skip it.
    std::mt19937_64 rng(options_.seed * 0x9E3779B97F4A7C15ULL + n);
    const size_t user_index = sampler_->DrawUser(rng);
    const std::string& user = options_.users[user_index];
    // An edge with user affinity (deploy/haproxy/replicas.cfg) routes by it.
    ctx->AddMetadata(std::string(kUserRoutingHeader), user);
    const bool event = options_.event_fraction > 0 && !options_.items.empty() &&
                       std::uniform_real_distribution<double>(0, 1)(rng) < options_.event_fraction;
    if (event) {
      auto* req = new v1::RecordEventsRequest();
      auto* resp = new v1::RecordEventsResponse();
      v1::Event* e = req->add_events();
      e->set_user_id(user);
      e->set_item_id(options_.items[rng() % options_.items.size()]);
      e->set_type(v1::VIEW);
      // As a careful client does, so the store's retry check is measured too.
      req->set_request_id(absl::StrCat("bench-", options_.seed, "-", n));
      recd_[c]->async()->RecordEvents(ctx, req, resp, [ctx, req, resp, done](grpc::Status s) {
        done(s.error_code(), AnswerKind::kFull, /*write=*/true);
        delete ctx, delete req, delete resp;
      });
      return;
    }
    auto* req = new v1::RecommendRequest();
    auto* resp = new v1::RecommendResponse();
    req->set_user_id(user);
    req->set_k(options_.k);
    if (options_.session_items > 0) {
      const uint64_t step = sampler_->NextStep(user_index);
      for (int i = 0; i < options_.session_items; ++i) {
        req->add_recent_item_ids(options_.items[sampler_->SessionItem(user_index, step + i)]);
      }
    }
    recd_[c]->async()->RecommendItems(ctx, req, resp, [ctx, req, resp, done](grpc::Status s) {
      done(s.error_code(), resp->fallback()            ? AnswerKind::kFallback
                           : resp->degraded_size() > 0 ? AnswerKind::kDegraded
                                                       : AnswerKind::kFull,
           /*write=*/false);
      delete ctx, delete req, delete resp;
    });
  }

 private:
  const LoadGeneratorOptions& options_;
  const std::unique_ptr<RequestSampler> sampler_;
  std::vector<std::unique_ptr<v1::Recommender::Stub>> recd_;
  std::vector<std::unique_ptr<v1::Echo::Stub>> echo_;
};

}  // namespace

absl::Status ValidateLoadOptions(const LoadGeneratorOptions& options) {
  if (options.service != "recd" && options.service != "echo") {
    return absl::InvalidArgumentError(absl::StrCat("--service: unknown service '", options.service, "'"));
  }
  if (options.service == "recd" && options.users.empty()) {
    return absl::InvalidArgumentError("--users: no users to send requests for");
  }
  if (options.open_loop ? options.qps <= 0 : options.concurrency <= 0) {
    return absl::InvalidArgumentError(options.open_loop ? "--qps: must be > 0" : "--concurrency: must be > 0");
  }
  if (options.event_fraction > 0 && options.items.empty()) {
    return absl::InvalidArgumentError("--event-fraction: needs item ids (--items-file or --recd-config)");
  }
  return RequestSampler::Validate(SamplerOptions(options));
}

std::string DescribeDraws(const LoadGeneratorOptions& options) {
  auto sampler = RequestSampler::Create(SamplerOptions(options));
  return sampler.ok() ? (*sampler)->Describe() : std::string(sampler.status().message());
}

absl::StatusOr<LoadResult> RunLoad(const LoadGeneratorOptions& options) {
  if (absl::Status s = ValidateLoadOptions(options); !s.ok()) return s;
  CallMaker maker(options);
  const absl::Time start = absl::Now();
  const absl::Time measure_from = start + options.warmup;
  const absl::Time end = measure_from + options.duration;
  Recorder recorder(measure_from, options.call_timeout);
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> next{0};

  // Closed loop: each completion starts the next call until `end`. Declared
  // at function scope: completions call it until the drain below.
  std::function<void()> launch = [&] {
      const uint64_t n = next.fetch_add(1);
      const absl::Time planned = absl::Now();
      ++in_flight;
      maker.Start(n, [&, planned](grpc::StatusCode code, AnswerKind kind, bool write) {
        const absl::Time now = absl::Now();
        recorder.Record(planned, now, code, kind, write);
        if (now < end) launch();
        --in_flight;
      });
  };
  if (!options.open_loop) {
    for (int i = 0; i < options.concurrency; ++i) launch();
  } else {
    const absl::Duration interval = absl::Seconds(1.0 / options.qps);
    absl::Time planned = start;
    while (planned < end) {
      const absl::Time now = absl::Now();
      if (now < planned) absl::SleepFor(std::min(planned - now, absl::Milliseconds(1)));
      while (planned <= absl::Now() && planned < end) {
        ++in_flight;
        maker.Start(next.fetch_add(1), [&, planned](grpc::StatusCode code, AnswerKind kind, bool write) {
          recorder.Record(planned, absl::Now(), code, kind, write);
          --in_flight;
        });
        planned += interval;
      }
    }
  }
  while (absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - measure_from);
  // Let in-flight calls drain (they hold references to this frame).
  while (in_flight.load() > 0) absl::SleepFor(absl::Milliseconds(5));
  return recorder.Finish(seconds);
}

nlohmann::json LoadResult::ToJson() const {
  return {{"calls", calls},
          {"ok", ok},
          {"degraded", degraded},
          {"fallback", fallback},
          {"errors", errors},
          {"seconds", seconds},
          {"qps", qps},
          {"goodput_qps", goodput_qps},
          {"p50_ms", p50_ms},
          {"p90_ms", p90_ms},
          {"p99_ms", p99_ms},
          {"p999_ms", p999_ms},
          {"max_ms", max_ms},
          {"ok_p50_ms", ok_p50_ms},
          {"ok_p99_ms", ok_p99_ms},
          {"read_p50_ms", read_p50_ms},
          {"read_p99_ms", read_p99_ms},
          {"write_p50_ms", write_p50_ms},
          {"write_p99_ms", write_p99_ms},
          {"refused_p50_ms", refused_p50_ms},
          {"refused_p99_ms", refused_p99_ms}};
}

std::string LoadResult::ToText() const {
  std::string s = absl::StrFormat(
      "calls %d ok %d in %.1f s: %.0f QPS; latency ms p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f", calls, ok,
      seconds, qps, p50_ms, p90_ms, p99_ms, p999_ms, max_ms);
  absl::StrAppend(&s, absl::StrFormat("\n  answers: %d full, %d degraded, %d fallback; goodput %.0f/s (full "
                                      "answers within the deadline); answered p50 %.3f p99 %.3f ms",
                                      ok - degraded - fallback, degraded, fallback, goodput_qps, ok_p50_ms,
                                      ok_p99_ms));
  for (const auto& [code, n] : errors) absl::StrAppend(&s, "\n  errors ", code, ": ", n);
  if (write_p99_ms > 0) {
    absl::StrAppend(&s, absl::StrFormat("\n  answered reads p50 %.3f p99 %.3f ms, writes p50 %.3f p99 %.3f ms",
                                        read_p50_ms, read_p99_ms, write_p50_ms, write_p99_ms));
  }
  if (errors.count("RESOURCE_EXHAUSTED")) {
    absl::StrAppend(&s, absl::StrFormat("\n  refused in p50 %.3f p99 %.3f ms", refused_p50_ms, refused_p99_ms));
  }
  return s;
}

}  // namespace recd
