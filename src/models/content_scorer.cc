#include "models/content_scorer.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace recd {
namespace {

// The user's profile: a unit-length sparse vector over tokens (empty for a
// history with no known, tokenised items: then only the prior scores).
class ContentProfile : public UserState {
 public:
  std::vector<int32_t> tokens;  // strictly increasing
  std::vector<float> weights;
};

float Dot(const ContentProfile& p, const SparseRowMatrix& items, int32_t item) {
  float s = 0.0f;
  size_t k = 0;
  for (SparseRowMatrix::InnerIterator it(items, item); it && k < p.tokens.size(); ++it) {
    while (k < p.tokens.size() && p.tokens[k] < it.col()) ++k;
    if (k < p.tokens.size() && p.tokens[k] == it.col()) s += p.weights[k] * it.value();
  }
  return s;
}

}  // namespace

ContentScorer::ContentScorer(SparseRowMatrix item_vectors, std::vector<std::string> tokens,
                             std::vector<float> prior, ContentScoring scoring)
    : item_vectors_(std::move(item_vectors)),
      tokens_(std::move(tokens)),
      prior_(std::move(prior)),
      scoring_(scoring) {
  token_items_ = item_vectors_.transpose();
  token_items_.makeCompressed();
}

int32_t ContentScorer::TokenId(std::string_view token) const {
  const auto it = std::find(tokens_.begin(), tokens_.end(), token);
  return it == tokens_.end() ? -1 : static_cast<int32_t>(it - tokens_.begin());
}

std::unique_ptr<UserState> ContentScorer::Encode(const UserHistory& history) const {
  const size_t n = history.events.size();
  const size_t take = scoring_.history_items > 0
                          ? std::min(n, static_cast<size_t>(scoring_.history_items))
                          : n;
  std::vector<ItemScore> entries;  // (token, weight) pairs before merging
  float w = 1.0f;
  for (size_t a = 0; a < take; ++a, w *= scoring_.recency_decay) {
    const Event& e = history.events[n - 1 - a];
    if (e.item < 0 || e.item >= item_vectors_.rows()) continue;
    const float weight = w * scoring_.event_weights.Of(e.type);
    for (SparseRowMatrix::InnerIterator it(item_vectors_, e.item); it; ++it) {
      entries.push_back({static_cast<int32_t>(it.col()), weight * it.value()});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const ItemScore& a, const ItemScore& b) { return a.item < b.item; });
  auto profile = std::make_unique<ContentProfile>();
  for (const ItemScore& e : entries) {
    if (!profile->tokens.empty() && profile->tokens.back() == e.item) {
      profile->weights.back() += e.score;
    } else {
      profile->tokens.push_back(e.item);
      profile->weights.push_back(e.score);
    }
  }
  // Unit length, so that profile . item (item rows are unit length) is the
  // cosine; the mean's 1 / total weight cancels in the normalisation.
  double norm2 = 0.0;
  for (float v : profile->weights) norm2 += static_cast<double>(v) * v;
  if (norm2 > 0.0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (float& v : profile->weights) v *= inv;
  }
  return profile;
}

void ContentScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  const auto& p = static_cast<const ContentProfile&>(state);
  const float pw = scoring_.prior_weight;
  for (size_t i = 0; i < out.size(); ++i) out[i] = pw == 0.0f ? 0.0f : pw * prior_[i];
  for (size_t k = 0; k < p.tokens.size(); ++k) {
    const float wk = p.weights[k];
    for (SparseRowMatrix::InnerIterator it(token_items_, p.tokens[k]); it; ++it) {
      out[static_cast<size_t>(it.col())] += wk * it.value();
    }
  }
}

void ContentScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                    std::span<float> out) const {
  const auto& p = static_cast<const ContentProfile&>(state);
  const float pw = scoring_.prior_weight;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int32_t c = candidates[i];
    out[i] = (pw == 0.0f ? 0.0f : pw * prior_[static_cast<size_t>(c)]) +
             Dot(p, item_vectors_, c);
  }
}

std::unique_ptr<ContentScorer> ContentScorer::WithScoring(const ContentScoring& scoring) const {
  return std::make_unique<ContentScorer>(item_vectors_, tokens_, prior_, scoring);
}

}  // namespace recd
