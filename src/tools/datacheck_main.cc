// recd-datacheck: loads a catalog and/or an interaction log the way the
// trainers will and prints what was loaded and skipped, with timings.

#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "recd/data_loaders.h"

namespace {

void PrintReport(const char* what, const recd::LoadReport& report, double seconds) {
  std::printf("%s: %s (%.2fs)\n", what, report.Summary().c_str(), seconds);
  for (const auto& example : report.examples) std::printf("  %s\n", example.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string catalog, events;
  recd::LoadOptions options;
  CLI::App app{"Load a catalog (.csv/.jsonl) and/or an event log (.csv) and report"};
  app.add_option("--catalog", catalog, "catalog file, loaded first so ids follow it");
  app.add_option("--events", events, "interaction log");
  app.add_flag("--strict", options.strict, "fail on the first bad line");
  CLI11_PARSE(app, argc, argv);
  if (catalog.empty() && events.empty()) {
    std::fprintf(stderr, "give --catalog and/or --events\n");
    return 2;
  }
  recd::Dataset data;
  using Clock = std::chrono::steady_clock;
  const auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  if (!catalog.empty()) {
    recd::LoadReport report;
    const auto t0 = Clock::now();
    if (auto s = recd::LoadCatalog(catalog, &data, &report, options); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    PrintReport("catalog", report, secs(Clock::now() - t0));
  }
  if (!events.empty()) {
    recd::LoadReport report;
    const auto t0 = Clock::now();
    if (auto s = recd::LoadInteractions(events, options, &data, &report); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    PrintReport("events", report, secs(Clock::now() - t0));
  }
  int64_t counts[3] = {0, 0, 0};
  for (const auto& h : data.histories) {
    for (const auto& e : h) ++counts[static_cast<int>(e.type)];
  }
  int64_t catalogued = 0;
  for (const auto& info : data.item_info) catalogued += !info.title.empty() || !info.category_path.empty();
  std::printf("%d users, %d items (%lld with catalog info), %lld events: %lld views, %lld carts, "
              "%lld purchases\n",
              data.num_users(), data.num_items(), static_cast<long long>(catalogued),
              static_cast<long long>(data.num_events()), static_cast<long long>(counts[0]),
              static_cast<long long>(counts[1]), static_cast<long long>(counts[2]));
  return 0;
}
