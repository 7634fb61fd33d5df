#ifndef RECD_SERVER_PROMETHEUS_WRITER_H_
#define RECD_SERVER_PROMETHEUS_WRITER_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace recd {

// Writes metrics in Prometheus' text exposition format 0.0.4 (what
// /metrics serves; no C++ client library is packaged in Debian). A family
// is opened with its # HELP and # TYPE lines and its samples follow it, so
// that every family is written once and contiguously, as the format wants.
// Names are checked against the format's grammar and label values escaped;
// the first misuse (a bad or repeated name, a counter without `_total`,
// buckets not cumulative) is kept and returned by Finish(), and nothing
// after it is written. Not thread-safe: one writer per scrape.
class PrometheusWriter {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

  // Content-Type of what Finish() returns.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Starts the family `name`. A counter's name must end in `_total` (the
  // samples carry it, as in 0.0.4); a histogram's is the base name of its
  // _bucket, _sum and _count samples.
  void Family(std::string_view name, std::string_view help, Type type);
  // A sample of the current counter or gauge family.
  void Sample(const Labels& labels, double value);
  // A sample of the current histogram family: `upper_bounds` ascending (in
  // seconds for latencies), `cumulative` the count of observations <= each
  // bound (non-decreasing, at most `count`); the +Inf bucket is `count`.
  void Histogram(const Labels& labels, const std::vector<double>& upper_bounds,
                 const std::vector<int64_t>& cumulative, int64_t count, double sum);

  // The text, or the first misuse.
  absl::StatusOr<std::string> Finish() &&;

  // The exposition format's spelling of a value (integers without a
  // fraction, +Inf, -Inf, NaN).
  static std::string FormatValue(double value);
  // A label value with backslash, double quote and newline escaped.
  static std::string EscapeLabelValue(std::string_view value);

 private:
  void Fail(absl::Status status);
  bool CheckLabels(const Labels& labels, std::string_view reserved);
  void WriteSample(std::string_view suffix, const Labels& labels, std::string_view extra_name,
                   std::string_view extra_value, double value);

  std::string out_;
  absl::Status error_;
  std::string family_;
  Type type_ = Type::kGauge;
  bool open_ = false;
  std::set<std::string, std::less<>> families_;
};

}  // namespace recd

#endif  // RECD_SERVER_PROMETHEUS_WRITER_H_
