#include "retrieval/candidate_stage.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "retrieval/embedding_source.h"
#include "spdlog/spdlog.h"
#include "util/parallel_indexed.h"
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

// The model's ANN source (its persisted index, or one built now) when it is
// an embedding model and options.ann, else the index-free one.
absl::StatusOr<std::unique_ptr<CandidateSource>> MakeSource(const Scorer& scorer, const std::string& bundle_dir,
                                                            const CandidateBuildOptions& options,
                                                            const AnnIndexOptions& ann) {
  if (options.ann) {
    // A bundle made in memory (ModelBundle::FromScorers) has no directory.
    const std::string index_dir =
        bundle_dir.empty() ? std::string() : (std::filesystem::path(bundle_dir) / std::string(scorer.name())).string();
    auto indexed = MakeAnnCandidateSource(scorer, ann, index_dir);
    if (!indexed.ok()) {
      return absl::Status(indexed.status().code(), absl::StrCat("ANN index of model '", std::string(scorer.name()),
                                                                "': ", std::string(indexed.status().message())));
    }
    if (*indexed != nullptr) return indexed;
  }
  return MakeExactCandidateSource(scorer);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CandidateStage>> CandidateStage::Build(
    std::shared_ptr<const ModelBundle> bundle, const CandidateBuildOptions& options, int load_threads) {
  if (absl::Status s = ValidateBuildOptions(options); !s.ok()) return s;
  std::shared_ptr<CandidateStage> stage(new CandidateStage(std::move(bundle), options));
  if (stage->bundle_->num_items() <= options.full_scan_max_items) return stage;
  const absl::Time start = absl::Now();
  AnnIndexOptions ann;
  ann.m = options.ann_m;
  ann.ef_construction = options.ann_ef_construction;
  ann.threads = CandidateBuildThreads(options);
  const auto& scorers = stage->bundle_->scorers();
  std::vector<absl::StatusOr<std::unique_ptr<CandidateSource>>> sources(scorers.size());
  ForEachIndexInParallel(scorers.size(), load_threads, [&](size_t i) {
    // An exception on a helper thread would end the process: it fails this
    // model's source instead.
    try {
      sources[i] = MakeSource(*scorers[i], stage->bundle_->dir(), options, ann);
    } catch (const std::exception& e) {
      sources[i] = absl::InternalError(
          absl::StrCat("candidate source of model '", std::string(scorers[i]->name()), "': ", e.what()));
    }
  });
  for (auto& source : sources) {
    if (!source.ok()) return source.status();
    stage->sources_.push_back(*std::move(source));
  }
  spdlog::info("candidate stage on: {} items > full_scan_max_items {}, ANN {} (ready in {:.1f} s)",
               stage->bundle_->num_items(), options.full_scan_max_items, options.ann ? "on" : "off",
               absl::ToDoubleSeconds(absl::Now() - start));
  return stage;
}

}  // namespace recd
