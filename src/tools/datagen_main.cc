// recd-datagen: writes a seeded synthetic e-commerce data set
// (DIR/catalog.jsonl and DIR/events.csv) for training and evaluation runs.

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "data/synthetic_generator.h"
#include "data/timestamp.h"
#include "util/progress_reporter.h"

int main(int argc, char** argv) {
  recd::SyntheticOptions options;
  std::string out = "data/synthetic";
  std::string start;
  CLI::App app{"Generate a synthetic e-commerce catalog and event log (deterministic per seed)"};
  app.add_option("--items", options.num_items, "catalog size")->capture_default_str();
  app.add_option("--users", options.num_users, "number of users")->capture_default_str();
  app.add_option("--events", options.num_events, "approximate number of events")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  app.add_option("--out", out, "output directory")->capture_default_str();
  app.add_option("--top-categories", options.top_categories, "top-level categories")
      ->capture_default_str();
  app.add_option("--subcategories", options.subcategories_per_top, "subcategories per top")
      ->capture_default_str();
  app.add_option("--brands", options.brands_per_top, "brands per top category")
      ->capture_default_str();
  app.add_option("--days", options.days, "days covered by the log")->capture_default_str();
  app.add_option("--start", start, "first day, epoch seconds or ISO-8601 (default 2024-01-01)");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no progress display on stderr (stdout is the same either way)");
  CLI11_PARSE(app, argc, argv);

  if (!start.empty()) {
    const auto ts = recd::ParseTimestamp(start);
    if (!ts) {
      std::fprintf(stderr, "--start: not a timestamp: %s\n", start.c_str());
      return 2;
    }
    options.start_time = *ts;
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "%s: cannot create directory: %s\n", out.c_str(), ec.message().c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto generator = recd::SyntheticGenerator::Create(options);
  if (!generator.ok()) {
    std::fprintf(stderr, "%s\n", std::string(generator.status().message()).c_str());
    return 2;
  }
  const std::string catalog = (std::filesystem::path(out) / "catalog.jsonl").string();
  const std::string events = (std::filesystem::path(out) / "events.csv").string();
  if (auto s = (*generator)->WriteCatalog(catalog); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  auto summary = (*generator)->WriteEvents(events, recd::StderrProgress(!no_progress));
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", std::string(summary.status().message()).c_str());
    return 1;
  }
  const auto t2 = std::chrono::steady_clock::now();
  const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  const auto pct = [&](int64_t n) { return 100.0 * n / std::max<int64_t>(1, summary->events); };
  std::printf("seed %llu: %d items in %d subcategories (%lld main->accessory links), %d users\n",
              static_cast<unsigned long long>(options.seed), (*generator)->num_items(),
              (*generator)->num_subcategories(),
              static_cast<long long>((*generator)->num_complement_links()),
              (*generator)->num_users());
  std::printf("%lld events: %lld views (%.1f%%), %lld carts (%.1f%%), %lld purchases (%.1f%%)\n",
              static_cast<long long>(summary->events), static_cast<long long>(summary->views),
              pct(summary->views), static_cast<long long>(summary->carts), pct(summary->carts),
              static_cast<long long>(summary->purchases), pct(summary->purchases));
  std::printf("time span %s .. %s\n", recd::FormatIso8601Utc(summary->first_timestamp).c_str(),
              recd::FormatIso8601Utc(summary->last_timestamp).c_str());
  std::printf("wrote %s (%.2fs) and %s (%.2fs)\n", catalog.c_str(), secs(t1 - t0),
              events.c_str(), secs(t2 - t1));
  return 0;
}
