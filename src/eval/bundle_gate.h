#ifndef RECD_EVAL_BUNDLE_GATE_H_
#define RECD_EVAL_BUNDLE_GATE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "eval/bundle_evaluator.h"
#include "retrieval/candidate_stage.h"
#include "recd/dataset.h"

namespace recd {

// One bundle evaluated, with the data in its own item ids.
struct EvaluatedBundle {
  EvaluationReport report;
  Dataset data;
  FusionConfig fusion;  // what the fused line blended with
  // With EvaluationOptions::versus_full_scan: the same users ranked over
  // the whole catalog, not from candidates.
  std::optional<EvaluationReport> full_scan;
};

// Evaluates the bundle at `bundle_dir` (a root: its newest version; or one
// version) on `data` under the leave-one-out protocol. A bundle trained on
// other items is refused unless `remap`, which re-expresses the data in the
// bundle's item ids (RemapToItems; what it left out is noted in `summary`).
absl::StatusOr<EvaluatedBundle> EvaluateBundleDir(const std::string& bundle_dir, const Dataset& data, bool remap,
                                                  const CandidateOptions& candidates,
                                                  const EvaluationOptions& options, std::string* summary);

// A candidate bundle's fused line against a baseline's, on the same users.
struct FusionComparison {
  double ndcg10 = 0, baseline_ndcg10 = 0;
  double hr10 = 0, baseline_hr10 = 0;
  size_t users = 0, baseline_users = 0;

  double ndcg10_delta() const { return ndcg10 - baseline_ndcg10; }
  // The gate of a retraining loop: the candidate's NDCG@10 is below the
  // baseline's by more than `tolerance`.
  bool WorseBeyond(double tolerance) const { return ndcg10_delta() < -tolerance; }
  std::string ToText() const;
};
// FailedPrecondition when either report has no "fusion" line.
absl::StatusOr<FusionComparison> CompareFusion(const EvaluationReport& candidate, const EvaluationReport& baseline);

}  // namespace recd

#endif  // RECD_EVAL_BUNDLE_GATE_H_
