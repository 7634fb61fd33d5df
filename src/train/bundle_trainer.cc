#include "train/bundle_trainer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "models/mf_scorer.h"
#include "recd/bundle_versions.h"
#include "recd/content_hash.h"
#include "recd/model_bundle.h"
#include "recd/model_dir.h"
#include "retrieval/embedding_source.h"
#include "spdlog/spdlog.h"
#include "train/version_publisher.h"

namespace recd {

namespace fs = std::filesystem;

namespace {

// Builds a cheap model once per candidate setting and keeps the one with the
// best validation NDCG@10, so these choices come from the data at hand.
template <typename Options, typename Build>
absl::StatusOr<std::unique_ptr<Scorer>> BestOnValidation(const std::string& name, const std::vector<Options>& grid,
                                                         Build build, const LeaveOneOutSplit& split,
                                                         int64_t users) {
  std::unique_ptr<Scorer> best;
  double best_ndcg = -1;
  for (size_t i = 0; i < grid.size(); ++i) {
    auto scorer = build(grid[i]);
    if (!scorer.ok()) return scorer.status();
    const double ndcg = EvaluateScorer(**scorer, split, EvalTarget::kValidation, users).ndcg10;
    spdlog::info("{} setting {}/{}: validation NDCG@10 {:.4f}", name, i + 1, grid.size(), ndcg);
    if (ndcg > best_ndcg) {
      best_ndcg = ndcg;
      best = std::unique_ptr<Scorer>(*std::move(scorer));
    }
  }
  return best;
}

// Trains model `name`; the LSTM appends its per-epoch reports to *report.
absl::StatusOr<std::unique_ptr<Scorer>> TrainOne(const std::string& name, const Dataset& train_view,
                                                 const LeaveOneOutSplit& split, const BundleTrainOptions& o,
                                                 BundleTrainReport* report) {
  if (name == "pop") {
    // Counting only each user's latest events ("what is popular now") wins
    // where timestamps are mere positions; plain counts elsewhere.
    std::vector<PopBuilderOptions> grid(3, o.pop);
    grid[1].last_n_per_user = 1;
    grid[2].last_n_per_user = 5;
    return BestOnValidation("pop", grid, [&](const PopBuilderOptions& p) { return BuildPop(train_view, p); }, split,
                            o.validation_users);
  }
  if (name == "markov") return AsScorer(BuildMarkov(train_view, o.markov));
  if (name == "knn") return AsScorer(BuildKnn(train_view, o.knn));
  if (name == "content") {
    std::vector<ContentBuilderOptions> grid(2, o.content);
    grid[1].idf_power = 1.0f;  // plain TF-IDF, against the default's rare-token emphasis
    return BestOnValidation("content", grid,
                            [&](const ContentBuilderOptions& c) { return BuildContent(train_view, c); }, split,
                            o.validation_users);
  }

  if (name == "lstm") {
    LstmTrainOptions lstm = o.lstm;
    lstm.sampled_negatives = LstmNegatives(o, train_view.num_items());
    if (lstm.sampled_negatives > 0) {
      spdlog::info("lstm: sampled softmax with {} negatives over {} items", lstm.sampled_negatives,
                   train_view.num_items());
    }
    return AsScorer(TrainLstm(train_view, split, lstm,
                              [report](const LstmEpochReport& r) { report->lstm_epochs.push_back(r); }));
  }
  if (name == "mf") {
    AlsOptions als_options = o.als;
    // Its per-iteration validation ranks the whole catalog per user: on
    // 100k items x 50k users uncapped that is minutes per check.
    if (als_options.validation_max_users == 0) als_options.validation_max_users = o.validation_users;
    auto als = TrainAls(train_view, als_options, &split);
    if (!als.ok()) return als.status();
    return AsScorer(MfScorer::Create(std::move(als->item_factors), als->fold_in));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown model '", name, "' (known: pop, markov, knn, content, mf, lstm)"));
}

// The ANN index of an embedding model on a catalog the daemon retrieves
// from, so that loading the bundle does not build it.
absl::Status SaveIndex(const Scorer& scorer, const BundleTrainOptions& options, const fs::path& model_dir) {
  if (scorer.num_items() <= options.full_scan_max_items) return absl::OkStatus();
  const absl::Time start = absl::Now();
  auto saved = BuildAndSaveAnnIndex(scorer, options.ann, model_dir.string());
  if (!saved.ok()) {
    return absl::Status(saved.status().code(),
                        absl::StrCat(std::string(scorer.name()), ": ANN index: ", saved.status().message()));
  }
  if (*saved) {
    spdlog::info("{}: ANN index over {} items built and saved in {:.1f} s", scorer.name(), scorer.num_items(),
                 absl::ToDoubleSeconds(absl::Now() - start));
  }
  return absl::OkStatus();
}

absl::Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return absl::InternalError(absl::StrCat(path.string(), ": write failed"));
  return absl::OkStatus();
}

// Moves the finished bundle in `staging` to `out_dir`, replacing any old one.
absl::Status Publish(const fs::path& staging, const fs::path& out_dir) {
  std::error_code ec;
  const fs::path old = out_dir.string() + ".old." + std::to_string(getpid());
  if (fs::exists(out_dir)) {
    fs::rename(out_dir, old, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot move aside ", out_dir.string(), ": ", ec.message()));
  }
  fs::rename(staging, out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot publish ", out_dir.string(), ": ", ec.message()));
  fs::remove_all(old, ec);
  return absl::OkStatus();
}

// Trains every model and writes the whole bundle into `dir`, an empty
// directory no reader looks at yet.
absl::StatusOr<BundleTrainReport> WriteBundle(const Dataset& data, const LeaveOneOutSplit& split,
                                              const BundleTrainOptions& options, const fs::path& dir) {
  const absl::Time start = absl::Now();
  const Dataset train_view = TrainingView(data, split);
  // items.txt first: every manifest records its hash, so the daemon can tell
  // a model from one bundle copied beside another bundle's item list.
  const std::string items_path = (dir / "items.txt").string();
  if (auto s = data.items.Save(items_path); !s.ok()) return s;
  auto items_hash = HashFile(items_path);
  if (!items_hash.ok()) return items_hash.status();

  BundleTrainReport report;
  std::vector<std::unique_ptr<Scorer>> scorers;
  for (const std::string& name : options.models) {
    const absl::Time t0 = absl::Now();
    spdlog::info("training {} ...", name);
    auto scorer = TrainOne(name, train_view, split, options, &report);
    if (!scorer.ok()) return absl::Status(scorer.status().code(), absl::StrCat(name, ": ", scorer.status().message()));
    ModelTrainReport m;
    m.name = name;
    m.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    m.validation = EvaluateScorer(**scorer, split, EvalTarget::kValidation, options.validation_users);
    spdlog::info("{}: trained in {:.1f} s; validation {}", name, m.seconds, m.validation.ToString());

    ModelManifest manifest;
    manifest.data_hash = options.data_hash;
    manifest.params["items_hash"] = *items_hash;
    manifest.metrics = {{"valid_HR@10", m.validation.hr10},
                        {"valid_NDCG@10", m.validation.ndcg10},
                        {"valid_users", static_cast<double>(m.validation.users)},
                        {"train_seconds", m.seconds}};
    if (auto s = (*scorer)->Save((dir / name).string(), manifest); !s.ok()) return s;
    if (auto s = SaveIndex(**scorer, options, dir / name); !s.ok()) return s;
    report.models.push_back(m);
    scorers.push_back(*std::move(scorer));
  }

  auto bundle = ModelBundle::FromScorers(data.items, std::move(scorers), FusionConfig{});
  FusionTunerOptions fusion_options = options.fusion;
  if (fusion_options.version == "tuned") fusion_options.version = absl::StrCat("tuned-", options.data_hash.substr(0, 8));
  const bool from_candidates = bundle->num_items() > options.full_scan_max_items;
  // Served from candidates: tuned on the items the daemon ranks, on zscore
  // (the tuner tries no other scale there).
  if (from_candidates) fusion_options.nominate_depth = options.candidates_per_source;
  auto fusion = TuneFusion(*bundle, split, fusion_options);
  if (!fusion.ok()) return fusion.status();
  report.fusion = *fusion;
  if (auto s = WriteText(dir / "fusion.yaml", fusion->config.ToYaml()); !s.ok()) return s;
  if (options.second_profile && from_candidates && *options.second_profile != Normalization::kZScore) {
    spdlog::warn("--second-profile {}: not tuned, the daemon serves this catalog from candidates, where only zscore "
                 "keeps its scale",
                 NormalizationName(*options.second_profile));
  } else if (options.second_profile) {
    const std::string name = NormalizationName(*options.second_profile);
    fusion_options.normalizations = {*options.second_profile};
    fusion_options.version = absl::StrCat(fusion->config.version, "-", name);
    auto second = TuneFusion(*bundle, split, fusion_options);
    if (!second.ok()) return second.status();
    if (auto s = WriteText(dir / BundleFusionProfileFile(name), second->config.ToYaml()); !s.ok()) return s;
    report.second_fusion = *std::move(second);
  }
  report.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return report;
}

}  // namespace

int LstmNegatives(const BundleTrainOptions& options, int32_t num_items) {
  if (options.lstm_negatives >= 0) return options.lstm_negatives;
  return num_items > options.lstm_full_softmax_max_items ? options.lstm_auto_negatives : 0;
}

absl::StatusOr<BundleTrainReport> TrainBundle(const Dataset& data, const LeaveOneOutSplit& split,
                                              const BundleTrainOptions& options, const std::string& out_dir) {
  const fs::path staging = out_dir + ".tmp." + std::to_string(getpid());
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", staging.string(), ": ", ec.message()));
  auto report = WriteBundle(data, split, options, staging);
  if (!report.ok()) return report.status();
  if (auto s = Publish(staging, out_dir); !s.ok()) return s;
  spdlog::info("bundle written to {} in {:.1f} s", out_dir, report->seconds);
  return report;
}

absl::StatusOr<BundleTrainReport> TrainBundleVersion(const Dataset& data, const LeaveOneOutSplit& split,
                                                     const BundleTrainOptions& options, const std::string& root,
                                                     int keep_versions, const StagedBundleCheck& accept) {
  // Checked before hours of training, not after.
  if (keep_versions < 1) {
    return absl::InvalidArgumentError(absl::StrCat("keep_versions is ", keep_versions, ", expected >= 1"));
  }
  if (HoldsBundleDirectly(root)) {
    return absl::FailedPreconditionError(absl::StrCat(
        root, ": holds a bundle directly; a bundle root must hold numbered versions (move it to ", root, "/1)"));
  }
  auto staging = CreateStagingDir(root);
  if (!staging.ok()) return staging.status();
  auto report = WriteBundle(data, split, options, *staging);
  absl::Status accepted = report.ok() && accept ? accept(*staging) : report.status();
  if (!accepted.ok()) {
    std::error_code ec;
    fs::remove_all(*staging, ec);  // readers ignore it, but it would pile up
    return accepted;
  }
  auto version = PublishStagedVersion(root, *staging);
  if (!version.ok()) return version.status();
  report->version = *version;
  report->version_dir = (fs::path(root) / std::to_string(*version)).string();
  spdlog::info("bundle version {} published in {:.1f} s", report->version_dir, report->seconds);
  if (auto s = PruneVersions(root, keep_versions); !s.ok()) return s;
  return report;
}

}  // namespace recd
