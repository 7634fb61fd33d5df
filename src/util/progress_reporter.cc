#include "util/progress_reporter.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace recd {
namespace {

constexpr int kBarWidth = 20;

std::string FormatRate(double per_second) {
  if (per_second >= 100) return absl::StrCat(GroupThousands(std::llround(per_second)), "/s");
  if (per_second >= 1) return absl::StrFormat("%.1f/s", per_second);
  return absl::StrFormat("%.3f/s", per_second);  // epochs: a fraction per second
}

std::string Bar(int64_t done, int64_t total) {
  const int filled = static_cast<int>(std::clamp<int64_t>(done * kBarWidth / total, 0, kBarWidth));
  return absl::StrCat("[", std::string(filled, '#'), std::string(kBarWidth - filled, '.'), "] ");
}

// Everything after the label: percent, count, rate and ETA (or total time).
std::string Body(int64_t done, int64_t total, absl::Duration elapsed, bool bar, bool final) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string out;
  if (total > 0) {
    if (bar) out = Bar(done, total);
    absl::StrAppend(&out, std::clamp<int64_t>(done * 100 / total, 0, 100), "% ",
                    GroupThousands(done), "/", GroupThousands(total));
  } else {
    out = GroupThousands(done);
  }
  absl::StrAppend(&out, " ", FormatRate(rate));
  if (final) {
    absl::StrAppend(&out, " in ", FormatClock(elapsed));
  } else if (total > 0 && rate > 0) {
    const double left = static_cast<double>(std::max<int64_t>(0, total - done)) / rate;
    absl::StrAppend(&out, " ETA ", FormatClock(absl::Seconds(left)));
  } else if (total > 0) {
    absl::StrAppend(&out, " ETA -");
  } else {
    absl::StrAppend(&out, " elapsed ", FormatClock(elapsed));
  }
  return out;
}

}  // namespace

std::string GroupThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string FormatClock(absl::Duration d) {
  const double seconds = absl::ToDoubleSeconds(d);
  if (!(seconds < 1e9)) return "-";  // an ETA at a near-zero rate; also infinity
  // Rounded: an ETA of 19.999 s reads 0:20.
  const int64_t s = std::max<int64_t>(0, std::llround(seconds));
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::unique_ptr<ProgressReporter> StartProgress(const ProgressFactory& factory, std::string label,
                                                int64_t total) {
  if (factory) return factory(std::move(label), total);
  ProgressReporter::Options silent;
  silent.label = std::move(label);
  silent.total = total;
  return std::make_unique<ProgressReporter>(std::move(silent));
}

ProgressFactory StderrProgress(bool enabled) {
  return [enabled](std::string label, int64_t total) {
    return std::make_unique<ProgressReporter>(
        ProgressReporter::ForStderr(std::move(label), total, enabled));
  };
}

ProgressReporter::Options ProgressReporter::ForStderr(std::string label, int64_t total,
                                                      bool enabled) {
  Options o;
  o.label = std::move(label);
  o.total = total;
  o.out = enabled ? &std::cerr : nullptr;
  o.tty = isatty(STDERR_FILENO) == 1;
  return o;
}

ProgressReporter::ProgressReporter(Options options)
    : options_(std::move(options)), start_(options_.now()), last_draw_(start_) {}

ProgressReporter::~ProgressReporter() {
  absl::MutexLock lock(&mu_);
  if (line_open_) *options_.out << "\n" << std::flush;
}

void ProgressReporter::Add(int64_t n) {
  const int64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  MaybeDraw(done);
}

void ProgressReporter::Set(int64_t done) {
  done_.store(done, std::memory_order_relaxed);
  MaybeDraw(done);
}

void ProgressReporter::MaybeDraw(int64_t done) {
  if (options_.out == nullptr) return;
  // Finished at the total, before whatever the step logs next (on stdout, to
  // the same terminal) would land on the bar's line.
  if (options_.total > 0 && done >= options_.total) return Finish();
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  const absl::Time now = options_.now();
  const absl::Duration interval = options_.tty ? options_.tty_interval : options_.plain_interval;
  if (now - last_draw_ < interval) return;
  last_draw_ = now;
  Draw(now, /*final=*/false);
}

void ProgressReporter::Finish() {
  if (options_.out == nullptr) return;
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  finished_ = true;
  Draw(options_.now(), /*final=*/true);
}

void ProgressReporter::Draw(absl::Time now, bool final) {
  const std::string body = Body(done(), options_.total, now - start_, options_.tty, final);
  std::ostream& out = *options_.out;
  if (options_.tty) {
    // "\033[K" clears what a longer previous line left behind.
    out << "\r" << options_.label << " " << body << "\033[K";
    line_open_ = !final;
    if (final) out << "\n";
  } else {
    out << options_.label << ": " << body << "\n";
  }
  out << std::flush;
}

}  // namespace recd
