#include "retrieval/candidate_stage.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "retrieval/embedding_source.h"
#include "spdlog/spdlog.h"

namespace recd {

absl::StatusOr<std::shared_ptr<const CandidateStage>> CandidateStage::Build(
    std::shared_ptr<const ModelBundle> bundle, const CandidateOptions& options) {
  if (options.per_source < 1) {
    return absl::InvalidArgumentError(absl::StrCat("candidates.per_source: must be >= 1, got ", options.per_source));
  }
  if (options.ann_ef_search < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("candidates.ann_ef_search: must be >= 1, got ", options.ann_ef_search));
  }
  std::shared_ptr<CandidateStage> stage(new CandidateStage(std::move(bundle), options));
  if (stage->bundle_->num_items() <= options.full_scan_max_items) return stage;
  const absl::Time start = absl::Now();
  AnnIndexOptions ann;
  ann.ef_search = options.ann_ef_search;
  for (const auto& scorer : stage->bundle_->scorers()) {
    std::unique_ptr<CandidateSource> source;
    if (options.ann) {
      auto indexed = MakeAnnCandidateSource(*scorer, ann);
      if (!indexed.ok()) {
        return absl::Status(indexed.status().code(), absl::StrCat("ANN index of model '", std::string(scorer->name()),
                                                                  "': ", std::string(indexed.status().message())));
      }
      source = *std::move(indexed);
    }
    stage->sources_.push_back(source ? std::move(source) : MakeExactCandidateSource(*scorer));
  }
  spdlog::info("candidate stage on: {} items > full_scan_max_items {}, {} per model, ANN {} (built in {:.1f} s)",
               stage->bundle_->num_items(), options.full_scan_max_items, options.per_source,
               options.ann ? "on" : "off", absl::ToDoubleSeconds(absl::Now() - start));
  return stage;
}

}  // namespace recd
