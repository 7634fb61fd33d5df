// recd-train: trains every model on an interaction log under the
// leave-one-out protocol, tunes the fusion weights on the validation targets
// and publishes the bundle as a new numbered version of the bundle root given
// by --out (ROOT/1, ROOT/2, ...; see recd/bundle_versions.h), which the daemon
// and recd-eval load. Older versions beyond --keep-versions are pruned.
//
//   recd-train --amazon ../shared/data/amazon-beauty/Beauty --out out/beauty
//   recd-train --events data/demo/events.csv --catalog data/demo/catalog.jsonl --out models/demo
//
// Reproducible runs: --epochs N trains the LSTM exactly N epochs (no early
// stopping, no time budget) and --threads T fixes every OpenMP thread count,
// so two runs with the same data, N and T write the same tensors (seeds are
// fixed in the options; see README, Reproducible training).

#include <omp.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "abuse/quarantine_list.h"
#include "abuse/shilling_detector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eval/bundle_gate.h"
#include "nlohmann/json.hpp"
#include "recd/bundle_versions.h"
#include "recd/model_bundle.h"
#include "recd/data_source.h"
#include "spdlog/spdlog.h"
#include "train/bundle_trainer.h"
#include "util/huge_page_malloc.h"
#include "util/progress_reporter.h"

namespace {

// --shilling-defence: empties the histories of the users DetectShilling
// quarantines, prints what it found, and returns it for the report (the
// ids capped at 100,000 so the report stays small).
nlohmann::json LeaveOutShilling(recd::Dataset* data) {
  const recd::ShillingReport quarantine = recd::DetectShilling(*data);
  const int64_t dropped = recd::DropUsersEvents(quarantine.users, data);
  nlohmann::json j = {{"users", quarantine.users.size()}, {"events", dropped},
                      {"burst_users", quarantine.burst_users}, {"hammer_users", quarantine.hammer_users},
                      {"swarm_users", quarantine.swarm_users}, {"swarm_items", nlohmann::json::array()},
                      {"user_ids", nlohmann::json::array()}};
  for (int32_t item : quarantine.targeted_items) j["swarm_items"].push_back(data->items.Name(item));
  for (size_t i = 0; i < quarantine.users.size() && i < 100000; ++i) {
    j["user_ids"].push_back(data->users.Name(quarantine.users[i]));
  }
  std::cout << "shilling defence: " << quarantine.users.size() << " users quarantined (burst "
            << quarantine.burst_users << ", hammer " << quarantine.hammer_users << ", swarm "
            << quarantine.swarm_users << "), " << dropped << " events left out; swarm items: "
            << j["swarm_items"].dump() << "\n";
  return j;
}

// --quarantined-users: empties the histories of the users listed in `path`
// (`recd-cli quarantine-list` output: the daemon's quarantine) and returns
// what was left out for the report, or why the list cannot be read.
absl::StatusOr<nlohmann::json> LeaveOutListed(const std::string& path, recd::Dataset* data) {
  absl::StatusOr<recd::QuarantineList> list = recd::ReadQuarantineList(path, data->users);
  if (!list.ok()) return list.status();
  const int64_t dropped = recd::DropUsersEvents(list->users, data);
  std::cout << "quarantined users (" << path << "): " << list->listed << " listed, " << list->users.size()
            << " in the data, " << list->unknown << " unknown; " << dropped << " events left out\n";
  return nlohmann::json{{"file", path}, {"listed", list->listed}, {"users", list->users.size()},
                        {"unknown", list->unknown}, {"events", dropped}};
}

// recd-train's exit code when --gate-tolerance kept the new bundle back.
constexpr int kRejectedByGate = 10;

// The retraining loop's gate: the staged bundle against the newest version
// already in `root` (the one a daemon serves), both evaluated on `data`'s
// held-out events (each user's last, which neither was trained on) of its
// first `max_users` users with one (0 = all), in their own item ids. OK when nothing is served yet or the new one's fused
// NDCG@10 is not below the served one's by more than `tolerance`.
recd::StagedBundleCheck QualityGate(const std::string& root, const recd::Dataset& data, double tolerance,
                                    int64_t max_users, bool* rejected) {
  return [&root, &data, tolerance, max_users, rejected](const std::string& staged) -> absl::Status {
    auto versions = recd::ListBundleVersions(root);
    if (!versions.ok() || versions->empty()) {
      std::cout << "gate: nothing served in " << root << " yet; publishing\n";
      return absl::OkStatus();
    }
    const std::string& served = versions->back().dir;
    std::string notes;
    recd::EvaluationOptions evaluation;
    evaluation.max_users = max_users;  // the same first users for both
    auto mine = recd::EvaluateBundleDir(staged, data, /*remap=*/true, {}, evaluation, &notes);
    if (!mine.ok()) return mine.status();
    auto theirs = recd::EvaluateBundleDir(served, data, /*remap=*/true, {}, evaluation, &notes);
    if (!theirs.ok()) return theirs.status();
    auto comparison = recd::CompareFusion(mine->report, theirs->report);
    if (!comparison.ok()) return comparison.status();
    std::cout << notes << "gate against " << served << ": " << comparison->ToText() << "\n";
    if (comparison->WorseBeyond(tolerance)) {
      *rejected = true;
      return absl::FailedPreconditionError(absl::StrCat("gate: the new bundle's fused NDCG@10 is ",
                                                        -comparison->ndcg10_delta(), " below ", served,
                                                        "'s (tolerance ", tolerance, "); not published"));
    }
    return absl::OkStatus();
  };
}

}  // namespace

int main(int argc, char** argv) {
  recd::ReexecWithHugePageMalloc(argv);
  CLI::App app{"recd-train: train, validate and tune a recd model bundle"};
  recd::DataSource source;
  recd::BundleTrainOptions options;
  std::string out, models = "pop,markov,knn,content,mf,lstm", report_path;
  int threads = 0;
  double lstm_budget = 0;
  int lstm_epochs = options.lstm.epochs, als_iterations = options.als.iterations;
  int fixed_epochs = 0;
  app.add_option("--amazon", source.amazon_prefix, "Amazon benchmark prefix: <prefix>.txt + <prefix>_item2attributes.json");
  app.add_option("--events", source.events_path, "interaction log CSV (user_id,item_id,event,timestamp)");
  CLI::Option* catalog_option = app.add_option("--catalog", source.catalog_path, "item catalog .csv or .jsonl");
  app.add_option("--from-store", source.store_path,
                 "train on a RocksDB store (recd's store.path; read while recd runs): its catalog and histories")
      ->excludes(catalog_option);
  app.add_flag("--strict", source.strict, "fail on the first malformed line instead of skipping and counting");
  int keep_versions = 3;
  app.add_option("--out", out, "bundle root: the bundle is published as its next numbered version")->required();
  std::string second_profile;
  app.add_option("--second-profile", second_profile,
                 "also tune a fusion profile with this normalisation only, written as fusion.<name>.yaml for an "
                 "experiment arm (bundle_fusion: <name>)")
      ->check(CLI::IsMember({"zscore", "minmax", "rank"}));
  std::optional<double> gate_tolerance;
  app.add_option("--gate-tolerance", gate_tolerance,
                 "publish only if the new bundle's fused NDCG@10 on the data's held-out events is not below the "
                 "newest version's in --out by more than this (else exit 10, nothing published)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--keep-versions", keep_versions, "versions to keep in the root after publishing (>= 1; the newest is never pruned)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--models", models, "comma-separated models")->capture_default_str();
  app.add_option("--threads", threads,
                 "training threads (0 = all cores); the LSTM splits each batch into one shard per "
                 "thread, so its result depends on this count")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  auto* epochs_option =
      app.add_option("--epochs", fixed_epochs,
                     "train the LSTM exactly N epochs and keep the last: no early stopping, no time "
                     "budget, so the run depends only on the data, the seeds and --threads")
          ->check(CLI::Range(1, 1000000));
  auto* lstm_epochs_option =
      app.add_option("--lstm-epochs", lstm_epochs,
                     "LSTM epoch limit; early stopping on validation NDCG@10 or the time budget may "
                     "end sooner and the best epoch is kept (see --epochs for a fixed count)")
          ->capture_default_str();
  auto* budget_option = app.add_option(
      "--lstm-time-budget", lstm_budget,
      "stop LSTM training after this many seconds (default: the trainer's " +
          std::to_string(static_cast<int>(options.lstm.time_budget_seconds)) + " s)");
  epochs_option->excludes(lstm_epochs_option)->excludes(budget_option);
  app.add_option("--lstm-negatives", options.lstm_negatives,
                 "LSTM sampled-softmax negatives per batch: 0 = full softmax, -1 = auto (full "
                 "softmax up to " + std::to_string(options.lstm_full_softmax_max_items) +
                     " items, else " + std::to_string(options.lstm_auto_negatives) + ")")
      ->capture_default_str();
  app.add_option("--lstm-sampling-power", options.lstm.sampling_power,
                 "sampled softmax draws negatives ~ (target count + 1)^power; 0 = uniform")
      ->capture_default_str();
  app.add_option("--als-iterations", als_iterations, "ALS sweeps")->capture_default_str();
  bool no_stacking = false;
  app.add_flag("--no-stacking", no_stacking,
               "tune the weighted sum only: do not fit the stacked fusion (a pairwise logistic regression over the "
               "model scores per history length), which is otherwise kept when it beats the weighted sum cross-fitted "
               "on the validation users");
  app.add_flag("--similar-profile", options.fusion.similar_profile,
               "also tune the weights SimilarItems ranks with on the validation targets ranked from each user's last "
               "item, and write them as fusion.similar_profile when they beat the next-item weights (README, The "
               "similar-items profile)");
  app.add_option("--validation-users", options.fusion.max_users, "validation users for model selection, early stopping and fusion tuning (0 = all)")
      ->capture_default_str();
  app.add_option("--full-scan-max-items", options.full_scan_max_items,
                 "larger catalogs get ANN indexes for mf and lstm persisted in the bundle; match "
                 "recd.yaml's candidates.full_scan_max_items")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--candidates-per-source", options.candidates_per_source,
                 "on those catalogs fusion is tuned on the items the models nominate, this many each; match "
                 "recd.yaml's candidates.per_source")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--report", report_path, "write a JSON training report here");
  bool shilling_defence = false;
  app.add_flag("--shilling-defence", shilling_defence,
               "leave out the events of users whose behaviour looks injected (bursts, one item hammered, "
               "swarms of new accounts on one item; README, Injected events)");
  std::string quarantined_users;
  app.add_option("--quarantined-users", quarantined_users,
                 "leave out the events of the users listed in this file, one id a line (`#` comments): the "
                 "daemon's quarantine as `recd-cli quarantine-list` prints it; ids not in the data are counted");
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no progress display on stderr (stdout is the same either way)");
  CLI11_PARSE(app, argc, argv);

  if (source.amazon_prefix.empty() + source.events_path.empty() + source.store_path.empty() != 2) {
    std::cerr << "recd-train: give exactly one of --amazon, --events or --from-store\n";
    return 2;
  }
  options.models = absl::StrSplit(models, ',', absl::SkipEmpty());
  if (!second_profile.empty()) {
    options.second_profile = second_profile == "zscore"   ? recd::Normalization::kZScore
                             : second_profile == "minmax" ? recd::Normalization::kMinMax
                                                          : recd::Normalization::kRank;
  }
  // One validation sample size for every step that ranks the catalog per
  // user: model selection, LSTM early stopping, ALS checks, fusion tuning.
  options.validation_users = options.fusion.max_users;
  options.fusion.stacking = !no_stacking;
  options.lstm.validation_users = options.fusion.max_users;
  options.lstm.epochs = lstm_epochs;
  options.lstm.threads = threads;
  if (lstm_budget > 0) options.lstm.time_budget_seconds = lstm_budget;
  if (fixed_epochs > 0) {
    options.lstm.epochs = fixed_epochs;
    options.lstm.fixed_epochs = true;
    options.lstm.time_budget_seconds = 0;
  }
  // One thread count for everything (Eigen's products, evaluation, fusion
  // tuning), not only the trainers that take it as an option.
  if (threads > 0) omp_set_num_threads(threads);
  options.als.iterations = als_iterations;
  options.als.threads = threads;
  options.ann.threads = threads;
  // ALS and the quick builders log each step themselves; an LSTM epoch can
  // take minutes without a line.
  options.lstm.progress = recd::StderrProgress(!no_progress);

  std::string summary;
  auto data = recd::LoadDataSource(source, &summary);
  if (!data.ok()) {
    std::cerr << "recd-train: " << data.status().message() << "\n";
    return 1;
  }
  std::cout << summary;
  // A store changes while recd serves: hash what was read from it.
  auto hash = source.store_path.empty() ? recd::DataSourceHash(source)
                                        : absl::StatusOr<std::string>(recd::DatasetHash(*data));
  if (!hash.ok()) {
    std::cerr << "recd-train: " << hash.status().message() << "\n";
    return 1;
  }
  options.data_hash = *hash;
  nlohmann::json j;
  if (!quarantined_users.empty()) {
    absl::StatusOr<nlohmann::json> listed = LeaveOutListed(quarantined_users, &*data);
    if (!listed.ok()) {
      std::cerr << "recd-train: --quarantined-users: " << listed.status().message() << "\n";
      return 1;
    }
    j["quarantined_users"] = *std::move(listed);
  }
  if (shilling_defence) j["quarantine"] = LeaveOutShilling(&*data);
  std::cout << data->num_users() << " users, " << data->num_items() << " items, " << data->num_events()
            << " events (data " << *hash << ")\n";
  const recd::LeaveOneOutSplit split = recd::SplitLeaveOneOut(*data);
  bool rejected = false;
  const recd::StagedBundleCheck gate =
      gate_tolerance ? QualityGate(out, *data, *gate_tolerance, options.fusion.max_users, &rejected)
                     : recd::StagedBundleCheck();
  auto report = recd::TrainBundleVersion(*data, split, options, out, keep_versions, gate);
  if (!report.ok()) {
    std::cerr << "recd-train: " << report.status().message() << "\n";
    return rejected ? kRejectedByGate : 1;
  }
  for (const auto& m : report->models) {
    std::cout << m.name << ": " << m.seconds << " s, validation " << m.validation.ToString() << "\n";
    j["models"][m.name] = {{"seconds", m.seconds}, {"valid_HR@10", m.validation.hr10}, {"valid_NDCG@10", m.validation.ndcg10}};
  }
  std::cout << "fusion (" << recd::NormalizationName(report->fusion.config.normalization) << "): validation NDCG@10 "
            << report->fusion.valid_ndcg10 << " HR@10 " << report->fusion.valid_hr10 << "\n"
            << report->fusion.config.ToYaml();
  if (const auto& stacking = report->fusion.stacking) {
    std::cout << "stacked fusion: cross-fitted validation NDCG@10 " << stacking->cross_fitted_ndcg10 << " HR@10 "
              << stacking->cross_fitted_hr10 << " (l2 " << stacking->l2 << ") against the weighted sum's "
              << stacking->weighted_cross_fitted_ndcg10 << " / " << stacking->weighted_cross_fitted_hr10 << ": "
              << (stacking->kept ? "kept" : "weighted sum kept") << "\n";
  }
  if (const auto& similar = report->fusion.similar) {
    std::cout << "similar items profile: validation targets ranked from the last item (" << similar->users
              << " users): NDCG@10 " << similar->ndcg10 << " HR@10 " << similar->hr10 << ", next-item weights "
              << similar->next_item_ndcg10 << " / " << similar->next_item_hr10 << ": "
              << (similar->kept ? "kept as fusion.similar_profile" : "next-item weights kept") << "\n";
  }
  if (report->second_fusion) {
    std::cout << "second profile (" << second_profile << ", " << recd::BundleFusionProfileFile(second_profile)
              << "): validation NDCG@10 " << report->second_fusion->valid_ndcg10 << " HR@10 "
              << report->second_fusion->valid_hr10 << "\n"
              << report->second_fusion->config.ToYaml();
    j["second_profile"] = {{"normalization", second_profile},
                           {"valid_NDCG@10", report->second_fusion->valid_ndcg10},
                           {"valid_HR@10", report->second_fusion->valid_hr10}};
  }
  std::cout << "total " << report->seconds << " s\n"
            << "published " << report->version_dir << "\n";
  if (!report->lstm_epochs.empty()) {
    const recd::LstmEpochReport& last = report->lstm_epochs.back();
    std::cout << "lstm: " << report->lstm_epochs.size() << " epochs ("
              << (options.lstm.fixed_epochs ? "fixed" : "early stopping / time budget")
              << "), last epoch validation NDCG@10 " << last.validation.ndcg10 << "\n";
    nlohmann::json curve = nlohmann::json::array();
    for (const recd::LstmEpochReport& e : report->lstm_epochs) {
      curve.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"valid_HR@10", e.validation.hr10},
                       {"valid_NDCG@10", e.validation.ndcg10}, {"seconds", e.seconds}});
    }
    j["lstm"] = {{"fixed_epochs", options.lstm.fixed_epochs}, {"threads", threads}, {"epochs", curve}};
  }
  if (!report_path.empty()) {
    j["fusion"] = {{"valid_HR@10", report->fusion.valid_hr10}, {"valid_NDCG@10", report->fusion.valid_ndcg10},
                   {"weights", report->fusion.config.weights},
                   {"normalization", recd::NormalizationName(report->fusion.config.normalization)},
                   {"weighted_sum_valid_NDCG@10", report->fusion.weighted_ndcg10}};
    if (const auto& stacking = report->fusion.stacking) {
      j["fusion"]["stacking"] = {{"kept", stacking->kept},
                                 {"l2", stacking->l2},
                                 {"cross_fitted_valid_NDCG@10", stacking->cross_fitted_ndcg10},
                                 {"cross_fitted_valid_HR@10", stacking->cross_fitted_hr10},
                                 {"weighted_sum_cross_fitted_valid_NDCG@10", stacking->weighted_cross_fitted_ndcg10},
                                 {"weighted_sum_cross_fitted_valid_HR@10", stacking->weighted_cross_fitted_hr10}};
    }
    if (const auto& similar = report->fusion.similar) {
      j["fusion"]["similar_profile"] = {{"users", similar->users},
                                        {"kept", similar->kept},
                                        {"weights", similar->weights},
                                        {"valid_NDCG@10", similar->ndcg10},
                                        {"valid_HR@10", similar->hr10},
                                        {"next_item_weights_valid_NDCG@10", similar->next_item_ndcg10},
                                        {"next_item_weights_valid_HR@10", similar->next_item_hr10}};
    }
    j["seconds"] = report->seconds;
    j["data_hash"] = options.data_hash;
    j["version"] = report->version;
    j["version_dir"] = report->version_dir;
    std::ofstream(report_path) << j.dump(2) << "\n";
  }
  return 0;
}
