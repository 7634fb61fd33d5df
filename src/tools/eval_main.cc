// recd-eval: measures a model bundle under the leave-one-out protocol with
// the very pipeline the daemon serves with: every model alone and the fusion,
// full-catalog ranking with the user's history excluded. On catalogs over
// --full-scan-max-items the fused line goes through the daemon's candidate
// stage, as served.
//
//   recd-eval --bundle out/beauty --amazon ../shared/data/amazon-beauty/Beauty
//             --json out/metrics.json --predictions out/predictions.tsv
//   recd-eval --from-store data/store --bundle /tmp/candidate --baseline models/demo --gate-tolerance 0.005
//
// With --replay it is instead the offline twin of recd-bench --replay: the
// held-out log is replayed through the daemon's own ranking code, as the
// daemon of --config would serve it, per experiment arm:
//
//   recd-eval --replay tail.csv --config recd.yaml --events head.csv --catalog catalog.jsonl

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/str_format.h"
#include "eval/bundle_gate.h"
#include "recd/data_source.h"
#include "server/offline_replay.h"
#include "util/huge_page_malloc.h"
#include "util/progress_reporter.h"

namespace {

// recd-eval's exit code when --gate-tolerance finds the bundle worse than
// the baseline.
constexpr int kWorseThanBaseline = 10;

// recd-eval --replay: replays `log_path` offline and prints HR and NDCG at
// k per arm with their standard errors.
int Replay(const std::string& log_path, const recd::OfflineReplayOptions& options, const std::string& json_path,
           const std::string& outcomes_path) {
  auto log = recd::ReadReplayLog(log_path);
  if (!log.ok()) {
    std::cerr << "recd-eval: --replay: " << log.status().message() << "\n";
    return 1;
  }
  auto evaluation = recd::ReplayOffline(*log, options);
  if (!evaluation.ok()) {
    std::cerr << "recd-eval: " << evaluation.status().message() << "\n";
    return 1;
  }
  std::cout << "offline replay of " << log_path << " (" << log->size() << " events) as served by "
            << options.config_path << "\n"
            << evaluation->ToText(options.k);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    nlohmann::json j = evaluation->ToJson(options.k);
    j["log"] = log_path;
    j["config"] = options.config_path;
    out << j.dump(2) << "\n";
    if (!out) {
      std::cerr << "recd-eval: cannot write " << json_path << "\n";
      return 1;
    }
  }
  if (!outcomes_path.empty()) {
    if (auto s = recd::WriteReplayOutcomes(outcomes_path, *log, evaluation->outcomes); !s.ok()) {
      std::cerr << "recd-eval: --replay-outcomes: " << s.message() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  recd::ReexecWithHugePageMalloc(argv);
  CLI::App app{"recd-eval: leave-one-out accuracy of a recd model bundle, or an offline replay of a held-out log"};
  recd::DataSource source;
  std::string bundle_dir, json_path, predictions_path, target = "test";
  recd::EvaluationOptions options;
  recd::CandidateOptions candidates;
  CLI::Option* bundle_option = app.add_option(
      "--bundle", bundle_dir,
      "bundle root written by recd-train (its newest version is used) or one version dir (required but with --replay)");
  app.add_option("--amazon", source.amazon_prefix, "Amazon benchmark prefix");
  app.add_option("--events", source.events_path, "interaction log CSV");
  CLI::Option* catalog_option = app.add_option("--catalog", source.catalog_path, "item catalog");
  app.add_option("--from-store", source.store_path,
                 "a RocksDB store directory (recd's store.path; read while recd runs): its catalog and histories")
      ->excludes(catalog_option);
  std::string baseline_dir;
  std::optional<double> gate_tolerance;
  CLI::Option* baseline_option = app.add_option("--baseline", baseline_dir,
                 "also evaluate this bundle on the same data and users, and print the difference");
  app.add_option("--gate-tolerance", gate_tolerance,
                 "with --baseline: exit 10 if the fused NDCG@10 is below the baseline's by more than this")
      ->needs("--baseline")
      ->check(CLI::NonNegativeNumber);
  CLI::Option* target_option = app.add_option("--target", target, "test | valid")->check(CLI::IsMember({"test", "valid"}))->capture_default_str();
  CLI::Option* max_users_option = app.add_option("--max-users", options.max_users, "evaluate the first N users only (0 = all)")->capture_default_str();
  app.add_option("--json", json_path, "write metrics JSON here");
  CLI::Option* predictions_option = app.add_option("--predictions", predictions_path, "write fused top-20 per user here (TSV)");
  CLI::Option* full_scan_option = app.add_option("--full-scan-max-items", candidates.build.full_scan_max_items,
                 "larger catalogs are ranked from candidates, as in recd.yaml's candidates section")
      ->capture_default_str();
  CLI::Option* per_source_option = app.add_option("--candidates-per-source", candidates.search.per_source, "items each model nominates")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI::Option* similar_option = app.add_flag(
      "--similar", options.from_last_item,
      "rank each target from the user's last item alone, as SimilarItems ranks that item's neighbours (the fusion "
      "line with fusion.similar_profile when it names one)");
  std::string fusion_path;
  CLI::Option* fusion_option = app.add_option(
      "--fusion", fusion_path,
      "blend the --bundle's models with the fusion: section of this file (a recd.yaml, or a bundle's fusion.yaml) "
      "instead of the bundle's own");
  CLI::Option* versus_option = app.add_flag(
      "--versus-full-scan", options.versus_full_scan,
      "also rank the same users over the whole catalog and print the share of each whole-catalog fused top 10 "
      "that the candidate stage returned (its recall), with both fused lines");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no progress display on stderr (stdout is the same either way)");
  std::string replay_log, outcomes_path;
  recd::OfflineReplayOptions replay;
  CLI::Option* replay_option = app.add_option(
      "--replay", replay_log,
      "instead of leave-one-out: replay this held-out events CSV in time order as recd-bench --replay does "
      "(rank for the event's user, score against its item, then record it), offline, through the ranking code "
      "and config of the daemon of --config; --events/--catalog: the history before it");
  // The replay ranks as the config says (its candidates section too) and
  // has no leave-one-out targets: these would be silently ignored.
  for (CLI::Option* loo : {bundle_option, baseline_option, target_option, max_users_option, predictions_option,
                           full_scan_option, per_source_option, similar_option, fusion_option, versus_option}) {
    replay_option->excludes(loo);
  }
  app.add_option("--config", replay.config_path,
                 "with --replay (required): the daemon's recd.yaml: its models.path, fusion, experiments, rules, "
                 "candidates and store.history_length; its store.seed_events/seed_catalog unless --events/--catalog")
      ->needs(replay_option);
  app.add_option("-k", replay.k, "with --replay: items asked for before each event")
      ->needs(replay_option)
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--replay-outcomes", outcomes_path,
                 "with --replay: write user, item, arm and rank (-1: a miss) of every event here (TSV, log order)")
      ->needs(replay_option);
  CLI11_PARSE(app, argc, argv);
  if (!replay_log.empty()) {
    if (replay.config_path.empty() || !source.amazon_prefix.empty() || !source.store_path.empty()) {
      std::cerr << "recd-eval: --replay needs --config, and takes the history from --events/--catalog or the "
                   "config's seed files (not --amazon or --from-store)\n";
      return 2;
    }
    replay.events_path = source.events_path;
    replay.catalog_path = source.catalog_path;
    return Replay(replay_log, replay, json_path, outcomes_path);
  }
  if (bundle_dir.empty()) {
    std::cerr << "recd-eval: --bundle is required\n";
    return 2;
  }
  if (source.amazon_prefix.empty() + source.events_path.empty() + source.store_path.empty() != 2) {
    std::cerr << "recd-eval: give exactly one of --amazon, --events or --from-store\n";
    return 2;
  }
  options.progress = recd::StderrProgress(!no_progress);
  if (!fusion_path.empty()) {
    auto fusion = recd::FusionConfig::LoadFile(fusion_path);
    if (!fusion.ok()) {
      std::cerr << "recd-eval: --fusion: " << fusion.status().message() << "\n";
      return 2;
    }
    options.fusion = *std::move(fusion);
  }
  options.target = target == "test" ? recd::EvalTarget::kTest : recd::EvalTarget::kValidation;

  std::string summary;
  auto data = recd::LoadDataSource(source, &summary);
  if (!data.ok()) {
    std::cerr << "recd-eval: " << data.status().message() << "\n";
    return 1;
  }
  // A store's item ids follow its own order, not the bundle's: remap.
  const bool remap = !source.store_path.empty();
  auto evaluated = recd::EvaluateBundleDir(bundle_dir, *data, remap, candidates, options, &summary);
  if (!evaluated.ok()) {
    std::cerr << "recd-eval: " << evaluated.status().message() << "\n";
    return 1;
  }
  const recd::EvaluationReport& report = evaluated->report;
  std::optional<recd::EvaluatedBundle> baseline;
  if (!baseline_dir.empty()) {
    recd::EvaluationOptions baseline_options = options;
    baseline_options.fusion.reset();  // --fusion is for --bundle
    baseline_options.versus_full_scan = false;
    auto b = recd::EvaluateBundleDir(baseline_dir, *data, remap, candidates, baseline_options, &summary);
    if (!b.ok()) {
      std::cerr << "recd-eval: --baseline: " << b.status().message() << "\n";
      return 1;
    }
    baseline = *std::move(b);
  }
  if (options.fusion) summary += "fusion " + options.fusion->version + " of " + fusion_path + "\n";
  if (options.from_last_item) {
    const recd::FusionConfig& fusion = evaluated->fusion;
    summary += "each target ranked from the user's last item alone, as SimilarItems ranks (fusion: " +
               (fusion.Profile(fusion.similar_profile) ? "profile " + fusion.similar_profile
                                                       : std::string("the weights for one event")) +
               ")\n";
  }
  std::cout << summary << report.ToTable();
  const std::optional<recd::EvaluationReport>& full_scan = evaluated->full_scan;
  std::optional<double> stage_agreement;
  if (full_scan) {
    auto agreement = recd::MeanTopKAgreement(report, *full_scan, 10);
    auto comparison = recd::CompareFusion(report, *full_scan);
    if (!agreement.ok() || !comparison.ok()) {
      std::cerr << "recd-eval: --versus-full-scan: "
                << (agreement.ok() ? comparison.status() : agreement.status()).message() << "\n";
      return 1;
    }
    stage_agreement = *agreement;
    std::cout << "whole catalog:\n"
              << full_scan->ToTable()
              << absl::StrFormat(
                     "candidate stage vs whole catalog, %d users: top-10 agreement %.4f; fused HR@10 %.4f vs %.4f, "
                     "NDCG@10 %.4f vs %.4f\n",
                     report.users.size(), *agreement, comparison->hr10, comparison->baseline_hr10,
                     comparison->ndcg10, comparison->baseline_ndcg10);
  }
  int exit_code = 0;
  if (baseline) {
    std::cout << "baseline " << baseline_dir << ":\n" << baseline->report.ToTable();
    auto comparison = recd::CompareFusion(report, baseline->report);
    if (!comparison.ok()) {
      std::cerr << "recd-eval: " << comparison.status().message() << "\n";
      return 1;
    }
    std::cout << comparison->ToText() << "\n";
    if (gate_tolerance && comparison->WorseBeyond(*gate_tolerance)) {
      std::cout << "gate: worse than the baseline by more than " << *gate_tolerance << "\n";
      exit_code = kWorseThanBaseline;
    } else if (gate_tolerance) {
      std::cout << "gate: not worse than the baseline beyond " << *gate_tolerance << "\n";
    }
  }
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    nlohmann::json j = report.ToJson();
    if (baseline) j["baseline"] = baseline->report.ToJson();
    if (full_scan) {
      j["full_scan"] = full_scan->ToJson();
      j["stage_top10_agreement"] = *stage_agreement;
    }
    out << j.dump(2) << "\n";
    if (!out) {
      std::cerr << "recd-eval: cannot write " << json_path << "\n";
      return 1;
    }
  }
  if (!predictions_path.empty()) {
    std::ofstream out(predictions_path);
    for (size_t i = 0; i < report.users.size(); ++i) {
      out << evaluated->data.users.Name(report.users[i]) << '\t';
      for (size_t j = 0; j < report.fused[i].size(); ++j) {
        out << (j ? "," : "") << evaluated->data.items.Name(report.fused[i][j]);
      }
      out << '\n';
    }
    if (!out) {
      std::cerr << "recd-eval: cannot write " << predictions_path << "\n";
      return 1;
    }
  }
  return exit_code;
}
