#include "server/prometheus_writer.h"

#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace recd {
namespace {

// Debian's abseil has its own string_view.
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels take no colon.
bool ValidName(std::string_view name, bool colon) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || (colon && c == ':'))) return false;
  }
  return true;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(PrometheusWriter::Type type) {
  switch (type) {
    case PrometheusWriter::Type::kCounter:
      return "counter";
    case PrometheusWriter::Type::kHistogram:
      return "histogram";
    default:
      return "gauge";
  }
}

}  // namespace

std::string PrometheusWriter::FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return absl::StrFormat("%.0f", value);
  // The shortest text that reads back as the same double: 2.8561e-05, not
  // 2.8561000000000001e-05.
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : absl::StrFormat("%.17g", value);
}

std::string PrometheusWriter::EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void PrometheusWriter::Fail(absl::Status status) {
  if (error_.ok()) error_ = std::move(status);
}

void PrometheusWriter::Family(std::string_view name, std::string_view help, Type type) {
  if (!error_.ok()) return;
  open_ = false;
  if (!ValidName(name, /*colon=*/true)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("metric name '", A(name), "' is not [a-zA-Z_:][a-zA-Z0-9_:]*")));
  }
  if (type == Type::kCounter && !name.ends_with("_total")) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("counter '", A(name), "' must end in _total")));
  }
  if (!families_.insert(std::string(name)).second) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("metric family '", A(name), "' written twice")));
  }
  family_ = std::string(name);
  type_ = type;
  open_ = true;
  absl::StrAppend(&out_, "# HELP ", A(name), " ", EscapeHelp(help), "\n# TYPE ", A(name), " ", TypeName(type), "\n");
}

bool PrometheusWriter::CheckLabels(const Labels& labels, std::string_view reserved) {
  if (!open_) {
    Fail(absl::FailedPreconditionError("sample written outside a metric family"));
    return false;
  }
  std::set<std::string_view> seen;
  for (const auto& [name, value] : labels) {
    if (!ValidName(name, /*colon=*/false) || name.starts_with("__") || name == reserved || !seen.insert(name).second) {
      Fail(absl::InvalidArgumentError(absl::StrCat("metric '", family_, "': bad or repeated label name '", A(name), "'")));
      return false;
    }
  }
  return true;
}

void PrometheusWriter::WriteSample(std::string_view suffix, const Labels& labels, std::string_view extra_name,
                                   std::string_view extra_value, double value) {
  absl::StrAppend(&out_, family_, A(suffix));
  if (!labels.empty() || !extra_name.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [name, v] : labels) {
      absl::StrAppend(&out_, first ? "" : ",", A(name), "=\"", EscapeLabelValue(v), "\"");
      first = false;
    }
    if (!extra_name.empty()) absl::StrAppend(&out_, first ? "" : ",", A(extra_name), "=\"", A(extra_value), "\"");
    out_ += '}';
  }
  absl::StrAppend(&out_, " ", FormatValue(value), "\n");
}

void PrometheusWriter::Sample(const Labels& labels, double value) {
  if (!error_.ok() || !CheckLabels(labels, "")) return;
  if (type_ == Type::kHistogram) {
    return Fail(absl::FailedPreconditionError(absl::StrCat("histogram '", family_, "' takes Histogram(), not Sample()")));
  }
  WriteSample("", labels, "", "", value);
}

void PrometheusWriter::Histogram(const Labels& labels, const std::vector<double>& upper_bounds,
                                 const std::vector<int64_t>& cumulative, int64_t count, double sum) {
  if (!error_.ok() || !CheckLabels(labels, "le")) return;
  if (type_ != Type::kHistogram) {
    return Fail(absl::FailedPreconditionError(absl::StrCat("'", family_, "' is not a histogram")));
  }
  if (upper_bounds.size() != cumulative.size()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("histogram '", family_, "': bounds and counts differ in size")));
  }
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    const bool ascending = i == 0 || upper_bounds[i] > upper_bounds[i - 1];
    const bool cumulating = cumulative[i] >= (i == 0 ? 0 : cumulative[i - 1]) && cumulative[i] <= count;
    if (!ascending || !std::isfinite(upper_bounds[i]) || !cumulating) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("histogram '", family_, "': bucket ", i, " is not ascending and cumulative")));
    }
  }
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    WriteSample("_bucket", labels, "le", FormatValue(upper_bounds[i]), static_cast<double>(cumulative[i]));
  }
  WriteSample("_bucket", labels, "le", "+Inf", static_cast<double>(count));
  WriteSample("_sum", labels, "", "", sum);
  WriteSample("_count", labels, "", "", static_cast<double>(count));
}

absl::StatusOr<std::string> PrometheusWriter::Finish() && {
  if (!error_.ok()) return error_;
  return std::move(out_);
}

}  // namespace recd
