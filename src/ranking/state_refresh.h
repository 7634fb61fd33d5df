#ifndef RECD_RANKING_STATE_REFRESH_H_
#define RECD_RANKING_STATE_REFRESH_H_

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/ranking_pipeline.h"
#include "recd/scorer.h"

namespace recd {

// How a cached user's model states follow new events: what the daemon runs
// after a batch of recorded events is durable, so the user's next request
// starts from fresh states without encoding them itself. Free functions over
// an immutable pipeline; thread-safe.

// By bundle scorer position: whether the pipeline's fusion config gives the
// scorer a positive weight in its default weights or in ANY segment. A user
// may cross into another segment with the very events that trigger the
// refresh, so a model weighted anywhere is kept fresh; one weighted nowhere
// never runs and is not worth encoding.
std::vector<bool> WeightedScorers(const RankingPipeline& pipeline);

// The states of `history` by bundle scorer position, given `previous`: the
// states of the same history without its last `appended` events (empty, or
// null entries, where there are none). A weighted scorer extends its
// previous state (Scorer::Extend) or, without one, encodes the history; an
// unweighted scorer's entry is null, which RankingPipeline treats as "encode
// yourself if you need it". A scorer that throws becomes InternalError
// naming the model: nothing throws past this function.
absl::StatusOr<std::vector<std::shared_ptr<const UserState>>> RefreshStates(
    const RankingPipeline& pipeline, const UserHistory& history, size_t appended,
    std::span<const std::shared_ptr<const UserState>> previous);

}  // namespace recd

#endif  // RECD_RANKING_STATE_REFRESH_H_
