#include "ranking/ranking_pipeline.h"

#include <algorithm>
#include <numeric>

namespace recd {

RankingPipeline::RankingPipeline(std::shared_ptr<const ModelBundle> bundle, FusionConfig fusion)
    : bundle_(std::move(bundle)), fusion_(std::move(fusion)) {}

void RankingPipeline::FusedScores(const UserHistory& history, std::span<const int32_t> candidates,
                                  std::vector<float>& fused,
                                  std::vector<ModelScores>& per_model) const {
  const auto& weights = fusion_.WeightsFor(static_cast<int64_t>(history.events.size()));
  const size_t n = candidates.empty() ? static_cast<size_t>(bundle_->num_items()) : candidates.size();
  per_model.clear();
  for (const auto& scorer : bundle_->scorers()) {
    auto w = weights.find(std::string(scorer->name()));
    if (w == weights.end() || w->second <= 0) continue;  // unweighted models cost nothing
    ModelScores m;
    m.model = std::string(scorer->name());
    m.raw.resize(n);
    auto state = scorer->Encode(history);
    if (candidates.empty()) {
      scorer->ScoreAll(*state, m.raw);
    } else {
      scorer->ScoreCandidates(*state, candidates, m.raw);
    }
    per_model.push_back(std::move(m));
  }
  fused.assign(n, 0.0f);
  FusionLayer::Blend(fusion_, weights, per_model, fused);
}

RankingResult RankingPipeline::Rank(const RankRequest& request) const {
  std::vector<float> fused;
  std::vector<ModelScores> per_model;
  FusedScores(request.history, request.candidates, fused, per_model);
  return SelectTop(request, fused, per_model);
}

RankingResult RankingPipeline::SelectTop(const RankRequest& request, std::span<const float> fused,
                                         const std::vector<ModelScores>& per_model) const {
  // Map item ids to positions in `fused` to apply exclusions.
  const bool all = request.candidates.empty();
  std::vector<bool> banned(fused.size(), false);
  auto ban_item = [&](int32_t item) {
    if (item < 0 || item >= bundle_->num_items()) return;
    if (all) {
      banned[static_cast<size_t>(item)] = true;
    } else {
      for (size_t i = 0; i < request.candidates.size(); ++i) {
        if (request.candidates[i] == item) banned[i] = true;
      }
    }
  };
  if (request.exclude_history) {
    for (const Event& e : request.history.events) ban_item(e.item);
  }
  for (int32_t item : request.exclude) ban_item(item);

  RankingResult result;
  for (const ModelScores& m : per_model) {
    result.models.push_back(m.model);
    result.weights.push_back(m.weight);
  }
  for (int32_t pos : TopK(fused, request.k, banned)) {
    RankedItem r;
    r.item = all ? pos : request.candidates[static_cast<size_t>(pos)];
    r.score = fused[static_cast<size_t>(pos)];
    if (request.explain) {
      for (const ModelScores& m : per_model) {
        r.raw.push_back(m.raw[static_cast<size_t>(pos)]);
        r.normalized.push_back(m.normalized[static_cast<size_t>(pos)]);
      }
    }
    result.items.push_back(std::move(r));
  }
  return result;
}

std::vector<int32_t> TopK(std::span<const float> scores, int k, const std::vector<bool>& banned) {
  std::vector<int32_t> idx;
  idx.reserve(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!banned[i]) idx.push_back(static_cast<int32_t>(i));
  }
  const size_t kk = std::min(idx.size(), static_cast<size_t>(std::max(k, 0)));
  // Ties broken by item position so results are deterministic.
  auto better = [&](int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(), better);
  idx.resize(kk);
  return idx;
}

}  // namespace recd
