#include "eval/bundle_gate.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eval/item_remap.h"
#include "recd/bundle_versions.h"
#include "recd/leave_one_out.h"
#include "recd/model_bundle.h"

namespace recd {
namespace {

const ModelReport* FusionLine(const EvaluationReport& report) {
  for (const ModelReport& m : report.models) {
    if (m.name == "fusion") return &m;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<EvaluatedBundle> EvaluateBundleDir(const std::string& bundle_dir, const Dataset& data, bool remap,
                                                  const CandidateOptions& candidates,
                                                  const EvaluationOptions& options, std::string* summary) {
  auto bundle = LoadBundleOrNewestVersion(bundle_dir);
  if (!bundle.ok()) return bundle.status();
  EvaluatedBundle out;
  if ((*bundle)->items().names() == data.items.names()) {
    out.data = data;
  } else if (remap) {
    RemappedDataset remapped = RemapToItems(data, (*bundle)->items());
    absl::StrAppend(summary, bundle_dir, ": data re-expressed in the bundle's ", (*bundle)->items().size(),
                    " item ids; ", remapped.dropped_events, " events on items it does not know left out\n");
    out.data = std::move(remapped.data);
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        bundle_dir, ": the bundle's items.txt does not match the data's items: the bundle was trained on other data"));
  }
  const LeaveOneOutSplit split = SplitLeaveOneOut(out.data);
  auto stage = CandidateStage::Build(*bundle, candidates.build);
  if (!stage.ok()) return stage.status();
  out.fusion = options.fusion ? *options.fusion : (*bundle)->fusion();
  RankingPipeline pipeline(*bundle, out.fusion, *stage, candidates.search);
  out.report = EvaluateBundle(pipeline, out.data, split, options);
  if (options.versus_full_scan) {
    RankingPipeline whole_catalog(*bundle, out.fusion);
    out.full_scan = EvaluateBundle(whole_catalog, out.data, split, options);
  }
  return out;
}

absl::StatusOr<FusionComparison> CompareFusion(const EvaluationReport& candidate, const EvaluationReport& baseline) {
  const ModelReport* mine = FusionLine(candidate);
  const ModelReport* theirs = FusionLine(baseline);
  if (mine == nullptr || theirs == nullptr) return absl::FailedPreconditionError("no fused line to compare");
  FusionComparison c;
  c.ndcg10 = mine->ranking.ndcg10;
  c.baseline_ndcg10 = theirs->ranking.ndcg10;
  c.hr10 = mine->ranking.hr10;
  c.baseline_hr10 = theirs->ranking.hr10;
  c.users = candidate.users.size();
  c.baseline_users = baseline.users.size();
  return c;
}

std::string FusionComparison::ToText() const {
  return absl::StrFormat("fusion NDCG@10 %.4f vs baseline %.4f (%+.4f), HR@10 %.4f vs %.4f; users %d vs %d", ndcg10,
                         baseline_ndcg10, ndcg10_delta(), hr10, baseline_hr10, users, baseline_users);
}

}  // namespace recd
