#include "retrieval/candidate_stage.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "retrieval/embedding_source.h"
#include "spdlog/spdlog.h"
#include "util/usable_cores.h"

namespace recd {

absl::Status ValidateCandidateSearchOptions(const CandidateSearchOptions& options) {
  if (options.per_source < 1) {
    return absl::InvalidArgumentError(absl::StrCat("candidates.per_source: must be >= 1, got ", options.per_source));
  }
  if (options.ann_ef_search < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("candidates.ann_ef_search: must be >= 1, got ", options.ann_ef_search));
  }
  return absl::OkStatus();
}

int CandidateBuildThreads(const CandidateBuildOptions& options) {
  if (options.build_threads > 0) return options.build_threads;
  return std::max(1, UsableCores() / 2);
}

namespace {

absl::Status ValidateBuildOptions(const CandidateBuildOptions& options) {
  if (options.build_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("candidates.build_threads: must be >= 0, got ", options.build_threads));
  }
  if (options.ann_m < 2) {
    return absl::InvalidArgumentError(absl::StrCat("candidates.ann_m: must be >= 2, got ", options.ann_m));
  }
  if (options.ann_ef_construction < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("candidates.ann_ef_construction: must be >= 1, got ", options.ann_ef_construction));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CandidateStage>> CandidateStage::Build(
    std::shared_ptr<const ModelBundle> bundle, const CandidateBuildOptions& options) {
  if (absl::Status s = ValidateBuildOptions(options); !s.ok()) return s;
  std::shared_ptr<CandidateStage> stage(new CandidateStage(std::move(bundle), options));
  if (stage->bundle_->num_items() <= options.full_scan_max_items) return stage;
  const absl::Time start = absl::Now();
  AnnIndexOptions ann;
  ann.m = options.ann_m;
  ann.ef_construction = options.ann_ef_construction;
  ann.threads = CandidateBuildThreads(options);
  for (const auto& scorer : stage->bundle_->scorers()) {
    std::unique_ptr<CandidateSource> source;
    if (options.ann) {
      // A bundle made in memory (ModelBundle::FromScorers) has no directory.
      const std::string index_dir =
          stage->bundle_->dir().empty()
              ? std::string()
              : (std::filesystem::path(stage->bundle_->dir()) / std::string(scorer->name())).string();
      auto indexed = MakeAnnCandidateSource(*scorer, ann, index_dir);
      if (!indexed.ok()) {
        return absl::Status(indexed.status().code(), absl::StrCat("ANN index of model '", std::string(scorer->name()),
                                                                  "': ", std::string(indexed.status().message())));
      }
      source = *std::move(indexed);
    }
    if (source == nullptr) {
      auto exact = MakeExactCandidateSource(*scorer);
      if (!exact.ok()) return exact.status();
      source = *std::move(exact);
    }
    stage->sources_.push_back(std::move(source));
  }
  spdlog::info("candidate stage on: {} items > full_scan_max_items {}, ANN {} (ready in {:.1f} s)",
               stage->bundle_->num_items(), options.full_scan_max_items, options.ann ? "on" : "off",
               absl::ToDoubleSeconds(absl::Now() - start));
  return stage;
}

}  // namespace recd
