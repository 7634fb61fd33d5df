// recd-eval: measures a model bundle under the leave-one-out protocol with
// the very pipeline the daemon serves with: every model alone and the fusion,
// full-catalog ranking with the user's history excluded. On catalogs over
// --full-scan-max-items the fused line goes through the daemon's candidate
// stage, as served.
//
//   recd-eval --bundle out/beauty --amazon ../shared/data/amazon-beauty/Beauty
//             --json out/metrics.json --predictions out/predictions.tsv

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "eval/bundle_evaluator.h"
#include "recd/bundle_versions.h"
#include "recd/data_source.h"
#include "recd/model_bundle.h"
#include "util/progress_reporter.h"

namespace {

// Checks that the bundle was trained on this data's item ids.
absl::Status CheckItemsMatch(const recd::IdMap& bundle_items, const recd::IdMap& data_items) {
  if (bundle_items.names() == data_items.names()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the bundle's items.txt does not match the data's items: the bundle was trained on other data");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recd-eval: leave-one-out accuracy of a recd model bundle"};
  recd::DataSource source;
  std::string bundle_dir, json_path, predictions_path, target = "test";
  recd::EvaluationOptions options;
  recd::CandidateOptions candidates;
  app.add_option("--bundle", bundle_dir, "bundle root written by recd-train (its newest version is used) or one version dir")
      ->required();
  app.add_option("--amazon", source.amazon_prefix, "Amazon benchmark prefix");
  app.add_option("--events", source.events_path, "interaction log CSV");
  app.add_option("--catalog", source.catalog_path, "item catalog");
  app.add_option("--target", target, "test | valid")->check(CLI::IsMember({"test", "valid"}))->capture_default_str();
  app.add_option("--max-users", options.max_users, "evaluate the first N users only (0 = all)")->capture_default_str();
  app.add_option("--json", json_path, "write metrics JSON here");
  app.add_option("--predictions", predictions_path, "write fused top-20 per user here (TSV)");
  app.add_option("--full-scan-max-items", candidates.build.full_scan_max_items,
                 "larger catalogs are ranked from candidates, as in recd.yaml's candidates section")
      ->capture_default_str();
  app.add_option("--candidates-per-source", candidates.search.per_source, "items each model nominates")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no progress display on stderr (stdout is the same either way)");
  CLI11_PARSE(app, argc, argv);
  if (source.amazon_prefix.empty() == source.events_path.empty()) {
    std::cerr << "recd-eval: give exactly one of --amazon or --events\n";
    return 2;
  }
  options.progress = recd::StderrProgress(!no_progress);
  options.target = target == "test" ? recd::EvalTarget::kTest : recd::EvalTarget::kValidation;

  std::string summary;
  auto data = recd::LoadDataSource(source, &summary);
  if (!data.ok()) {
    std::cerr << "recd-eval: " << data.status().message() << "\n";
    return 1;
  }
  auto bundle = recd::LoadBundleOrNewestVersion(bundle_dir);
  if (!bundle.ok()) {
    std::cerr << "recd-eval: " << bundle.status().message() << "\n";
    return 1;
  }
  if (auto s = CheckItemsMatch((*bundle)->items(), data->items); !s.ok()) {
    std::cerr << "recd-eval: " << bundle_dir << ": " << s.message() << "\n";
    return 1;
  }
  const recd::LeaveOneOutSplit split = recd::SplitLeaveOneOut(*data);
  auto stage = recd::CandidateStage::Build(*bundle, candidates.build);
  if (!stage.ok()) {
    std::cerr << "recd-eval: " << stage.status().message() << "\n";
    return 1;
  }
  recd::RankingPipeline pipeline(*bundle, (*bundle)->fusion(), *stage, candidates.search);
  const recd::EvaluationReport report = recd::EvaluateBundle(pipeline, *data, split, options);
  std::cout << summary << report.ToTable();
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << report.ToJson().dump(2) << "\n";
    if (!out) {
      std::cerr << "recd-eval: cannot write " << json_path << "\n";
      return 1;
    }
  }
  if (!predictions_path.empty()) {
    std::ofstream out(predictions_path);
    for (size_t i = 0; i < report.users.size(); ++i) {
      out << data->users.Name(report.users[i]) << '\t';
      for (size_t j = 0; j < report.fused[i].size(); ++j) {
        out << (j ? "," : "") << data->items.Name(report.fused[i][j]);
      }
      out << '\n';
    }
    if (!out) {
      std::cerr << "recd-eval: cannot write " << predictions_path << "\n";
      return 1;
    }
  }
  return 0;
}
