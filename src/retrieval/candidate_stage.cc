#include "retrieval/candidate_stage.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace recd {

absl::StatusOr<std::shared_ptr<const CandidateStage>> CandidateStage::Build(
    std::shared_ptr<const ModelBundle> bundle, const CandidateOptions& options) {
  if (options.per_source < 1) {
    return absl::InvalidArgumentError(absl::StrCat("candidates.per_source: must be >= 1, got ", options.per_source));
  }
  std::shared_ptr<CandidateStage> stage(new CandidateStage(std::move(bundle), options));
  if (stage->bundle_->num_items() <= options.full_scan_max_items) return stage;
  for (const auto& scorer : stage->bundle_->scorers()) {
    stage->sources_.push_back(MakeExactCandidateSource(*scorer));
  }
  spdlog::info("candidate stage on: {} items > full_scan_max_items {}, {} per model",
               stage->bundle_->num_items(), options.full_scan_max_items, options.per_source);
  return stage;
}

}  // namespace recd
