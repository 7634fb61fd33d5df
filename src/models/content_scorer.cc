#include "models/content_scorer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "models/content_tokens.h"
#include "models/csr_tensors.h"
#include "models/manifest_params.h"
#include "models/sparse_scores.h"

namespace recd {
namespace {

// The user's profile: a unit-length sparse vector over tokens (empty for a
// history with no known, tokenised items: then only the prior scores).
class ContentProfile : public UserState {
 public:
  std::vector<int32_t> tokens;  // strictly increasing
  std::vector<float> weights;
  // Its catalog moments, computed on first use and then kept with it.
  mutable absl::once_flag moments_once;
  mutable ScoreMoments moments;
};

// Adds to the sparse vector (tokens, weights) the rows of `new_rows` that
// `rows` weighs (items from `first_new` on, row item - first_new).
void AddNewItemRows(const SparseRowMatrix& new_rows, int32_t first_new, std::span<const ItemScore> rows,
                    std::vector<int32_t>& tokens, std::vector<float>& weights) {
  std::vector<ItemScore> shifted;
  for (const ItemScore& r : rows) {
    if (r.item >= first_new) shifted.push_back({r.item - first_new, r.score});
  }
  if (shifted.empty()) return;
  std::vector<int32_t> new_tokens;
  std::vector<float> new_weights;
  SumWeightedRows(new_rows, shifted, new_tokens, new_weights);
  // Merge two vectors sorted by token.
  std::vector<int32_t> merged_tokens;
  std::vector<float> merged_weights;
  size_t a = 0, b = 0;
  while (a < tokens.size() || b < new_tokens.size()) {
    if (b == new_tokens.size() || (a < tokens.size() && tokens[a] < new_tokens[b])) {
      merged_tokens.push_back(tokens[a]);
      merged_weights.push_back(weights[a++]);
    } else if (a == tokens.size() || new_tokens[b] < tokens[a]) {
      merged_tokens.push_back(new_tokens[b]);
      merged_weights.push_back(new_weights[b++]);
    } else {
      merged_tokens.push_back(tokens[a]);
      merged_weights.push_back(weights[a++] + new_weights[b++]);
    }
  }
  tokens = std::move(merged_tokens);
  weights = std::move(merged_weights);
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
  prior_sums_ = DenseSums::Of(prior_);
  // Tokens x tokens: at most the pairs that share an item.
  token_gram_ = (token_items_ * item_vectors_).pruned();
  token_gram_.makeCompressed();
  token_sums_.assign(static_cast<size_t>(token_items_.rows()), 0.0);
  token_prior_dots_.assign(static_cast<size_t>(token_items_.rows()), 0.0);
  for (Eigen::Index t = 0; t < token_items_.outerSize(); ++t) {
    for (SparseRowMatrix::InnerIterator it(token_items_, t); it; ++it) {
      token_sums_[static_cast<size_t>(t)] += it.value();
      token_prior_dots_[static_cast<size_t>(t)] += static_cast<double>(it.value()) * prior_[static_cast<size_t>(it.col())];
    }
  }
}

std::optional<ScoreMoments> ContentScorer::CatalogMoments(const UserState& state) const {
  const auto& p = static_cast<const ContentProfile&>(state);
  absl::call_once(p.moments_once, [&] {
    // score_i = w p_i + d_i with d = item_vectors . profile: the sums of d
    // and of w p_i d_i come from the per-token sums, and the sum of d_i^2 is
    // profile' (X'X) profile, from the token Gram matrix: O(profile x the
    // tokens each co-occurs with), never the postings.
    const double w = scoring_.prior_weight;
    double sum = w * prior_sums_.sum;
    double sum_sq = w * w * prior_sums_.sum_sq;
    thread_local std::vector<float> weight_of;
    weight_of.resize(static_cast<size_t>(token_gram_.cols()), 0.0f);
    for (size_t k = 0; k < p.tokens.size(); ++k) weight_of[static_cast<size_t>(p.tokens[k])] = p.weights[k];
    for (size_t k = 0; k < p.tokens.size(); ++k) {
      const auto t = static_cast<size_t>(p.tokens[k]);
      sum += p.weights[k] * token_sums_[t];
      sum_sq += 2.0 * w * p.weights[k] * token_prior_dots_[t];
      double row = 0.0;
      for (SparseRowMatrix::InnerIterator it(token_gram_, p.tokens[k]); it; ++it) {
        row += static_cast<double>(it.value()) * weight_of[static_cast<size_t>(it.col())];
      }
      sum_sq += p.weights[k] * row;
    }
    for (int32_t t : p.tokens) weight_of[static_cast<size_t>(t)] = 0.0f;
    p.moments = MomentsFromSums(num_items(), sum, sum_sq);
  });
  return p.moments;
}

int32_t ContentScorer::TokenId(std::string_view token) const {
  const auto it = std::find(tokens_.begin(), tokens_.end(), token);
  return it == tokens_.end() ? -1 : static_cast<int32_t>(it - tokens_.begin());
}

void ContentScorer::Nominate(const UserState& state, int n, std::vector<int32_t>& out) const {
  const std::vector<int32_t> top =
      TopItemsBySelectiveTokens(state, n, std::max<int32_t>(1000, num_items() / 50));
  out.insert(out.end(), top.begin(), top.end());
}

std::unique_ptr<UserState> ContentScorer::EncodeWith(const UserHistory& history,
                                                     const SparseRowMatrix* new_rows) const {
  const size_t n = history.events.size();
  const size_t take = scoring_.history_items > 0
                          ? std::min(n, static_cast<size_t>(scoring_.history_items))
                          : n;
  std::vector<ItemScore> rows;  // (item, weight) of the events read
  float w = 1.0f;
  for (size_t a = 0; a < take && w >= kNegligibleRecencyWeight; ++a, w *= scoring_.recency_decay) {
    const Event& e = history.events[n - 1 - a];
    rows.push_back({e.item, w * scoring_.event_weights.Of(e.type)});
  }
  auto profile = std::make_unique<ContentProfile>();
  SumWeightedRows(item_vectors_, rows, profile->tokens, profile->weights);  // skips new items
  if (new_rows != nullptr) AddNewItemRows(*new_rows, num_items(), rows, profile->tokens, profile->weights);
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
  // The profile spread over a per-thread token table (all zero between
  // calls), so a candidate costs its own row, not a merge with the profile.
  thread_local std::vector<float> weight_of;
  weight_of.resize(static_cast<size_t>(item_vectors_.cols()), 0.0f);
  for (size_t k = 0; k < p.tokens.size(); ++k) weight_of[static_cast<size_t>(p.tokens[k])] = p.weights[k];
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int32_t c = candidates[i];
    float s = 0.0f;
    for (SparseRowMatrix::InnerIterator it(item_vectors_, c); it; ++it) {
      s += weight_of[static_cast<size_t>(it.col())] * it.value();
    }
    out[i] = (pw == 0.0f ? 0.0f : pw * prior_[static_cast<size_t>(c)]) + s;
  }
  for (int32_t t : p.tokens) weight_of[static_cast<size_t>(t)] = 0.0f;
}

std::vector<int32_t> ContentScorer::TopItemsBySelectiveTokens(const UserState& state, int n,
                                                              int32_t max_postings) const {
  const auto& p = static_cast<const ContentProfile&>(state);
  // Per-thread accumulator over the catalog, all zero between calls: only
  // the touched entries are read and reset.
  thread_local std::vector<float> acc;
  acc.resize(static_cast<size_t>(num_items()), 0.0f);
  std::vector<int32_t> touched;
  for (size_t k = 0; k < p.tokens.size(); ++k) {
    const int32_t token = p.tokens[k];
    const auto postings = token_items_.outerIndexPtr()[token + 1] - token_items_.outerIndexPtr()[token];
    if (postings > max_postings) continue;
    for (SparseRowMatrix::InnerIterator it(token_items_, token); it; ++it) {
      float& a = acc[static_cast<size_t>(it.col())];
      if (a == 0.0f) touched.push_back(static_cast<int32_t>(it.col()));
      a += p.weights[k] * it.value();
      if (a == 0.0f) a = 1e-30f;  // stays marked as touched
    }
  }
  std::vector<ItemScore> scored(touched.size());
  for (size_t i = 0; i < touched.size(); ++i) {
    scored[i] = {touched[i], acc[static_cast<size_t>(touched[i])]};
    acc[static_cast<size_t>(touched[i])] = 0.0f;
  }
  // The broad tokens the sums left out still move the order near the top:
  // take a few times n by the partial sums, then keep the n best by the
  // full score (prior and every token), so the ones sent are the model's.
  std::vector<ItemScore> shortlist = TopItemScores(std::move(scored), 4 * n);
  std::vector<int32_t> items(shortlist.size());
  for (size_t i = 0; i < shortlist.size(); ++i) items[i] = shortlist[i].item;
  std::vector<float> full(items.size());
  ScoreCandidates(state, items, full);
  for (size_t i = 0; i < shortlist.size(); ++i) shortlist[i].score = full[i];
  std::vector<int32_t> top;
  for (const ItemScore& s : TopItemScores(std::move(shortlist), n)) top.push_back(s.item);
  return top;
}

namespace {

// How many trained items a new item's nearest are taken from (for the
// daemon's estimate of its other models' vectors).
constexpr size_t kSimilarTrained = 20;
// The content builder's default idf power (ContentBuilderOptions).
constexpr double kDefaultIdfPower = 2.0;

}  // namespace

std::optional<NewItemsView> ContentScorer::ViewNewItems(std::span<const ItemInfo> items) const {
  absl::flat_hash_map<std::string, int32_t> token_id;
  for (size_t t = 0; t < tokens_.size(); ++t) token_id.emplace(tokens_[t], static_cast<int32_t>(t));
  const int64_t trained = num_items();
  SparseRowMatrix rows(static_cast<Eigen::Index>(items.size()), static_cast<Eigen::Index>(tokens_.size()));
  for (size_t k = 0; k < items.size(); ++k) {
    std::map<int32_t, int32_t> counts;  // ordered: rows are inserted by ascending column
    for (const std::string& t : CatalogTokens(items[k], ContentTokenFields{})) {
      const auto it = token_id.find(t);
      if (it != token_id.end()) ++counts[it->second];
    }
    std::vector<std::pair<int32_t, double>> row;
    double norm2 = 0.0;
    for (const auto& [t, count] : counts) {
      const int64_t df = token_items_.outerIndexPtr()[t + 1] - token_items_.outerIndexPtr()[t];
      const double w = (1.0 + std::log(static_cast<double>(count))) * ContentIdf(trained, df, kDefaultIdfPower);
      row.emplace_back(t, w);
      norm2 += w * w;
    }
    rows.startVec(static_cast<Eigen::Index>(k));
    const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
    for (const auto& [t, w] : row) rows.insertBack(static_cast<Eigen::Index>(k), t) = static_cast<float>(w * inv);
  }
  rows.finalize();
  rows.makeCompressed();

  NewItemsView view;
  // Cosine with every trained item through the postings of the row's tokens.
  std::vector<float> cosine(static_cast<size_t>(trained), 0.0f);
  std::vector<int32_t> touched;
  for (Eigen::Index k = 0; k < rows.outerSize(); ++k) {
    touched.clear();
    for (SparseRowMatrix::InnerIterator t(rows, k); t; ++t) {
      for (SparseRowMatrix::InnerIterator it(token_items_, t.col()); it; ++it) {
        float& c = cosine[static_cast<size_t>(it.col())];
        if (c == 0.0f) touched.push_back(static_cast<int32_t>(it.col()));
        c += t.value() * it.value();
      }
    }
    const size_t keep = std::min(touched.size(), kSimilarTrained);
    std::partial_sort(touched.begin(), touched.begin() + static_cast<std::ptrdiff_t>(keep), touched.end(),
                      [&cosine](int32_t a, int32_t b) {
                        const float ca = cosine[static_cast<size_t>(a)], cb = cosine[static_cast<size_t>(b)];
                        return ca != cb ? ca > cb : a < b;
                      });
    view.similar_trained.emplace_back(touched.begin(), touched.begin() + static_cast<std::ptrdiff_t>(keep));
    for (int32_t i : touched) cosine[static_cast<size_t>(i)] = 0.0f;
  }
  // No prior: a new item has no training interactions.
  std::vector<float> prior(items.size(), 0.0f);
  auto new_rows = std::make_shared<const SparseRowMatrix>(rows);
  view.scorer = std::make_unique<ContentScorer>(std::move(rows), tokens_, std::move(prior), scoring_);
  view.encode = [this, new_rows](const UserHistory& history) { return EncodeWith(history, new_rows.get()); };
  return view;
}

std::unique_ptr<ContentScorer> ContentScorer::WithScoring(const ContentScoring& scoring) const {
  return std::make_unique<ContentScorer>(item_vectors_, tokens_, prior_, scoring);
}

absl::Status ContentScorer::Save(const std::string& dir, ModelManifest base) const {
  base.model_type = std::string(kName);
  base.num_items = num_items();
  base.dims["num_tokens"] = static_cast<int64_t>(tokens_.size());
  base.dims["history_items"] = scoring_.history_items;
  SetFloatParam("recency_decay", scoring_.recency_decay, &base);
  SetFloatParam("prior_weight", scoring_.prior_weight, &base);
  SetEventWeightParams(scoring_.event_weights, &base);
  SafetensorsWriter tensors;
  AddCsrTensors("item_vectors", item_vectors_, &tensors);
  tensors.AddF32("prior", {num_items()}, prior_);
  // The vocabulary is only for explanations and debugging; scoring needs
  // just the ids. Tokens never contain a newline (the builder replaces them).
  tensors.SetMetadata("tokens", absl::StrJoin(tokens_, "\n"));
  return ModelDir::Write(dir, std::move(base), tensors);
}

absl::StatusOr<std::unique_ptr<ContentScorer>> ContentScorer::Load(const std::string& model_dir) {
  auto model = ModelDir::Open(model_dir, std::string(kName));
  if (!model.ok()) return model.status();
  const int64_t n = (*model)->manifest().num_items;
  auto num_tokens = GetDim(**model, "num_tokens");
  if (!num_tokens.ok()) return num_tokens.status();
  auto vectors = ReadCsrTensors((*model)->tensors(), "item_vectors", n, *num_tokens);
  if (!vectors.ok()) return vectors.status();
  auto prior = ReadF32Vector((*model)->tensors(), "prior", n);
  if (!prior.ok()) return prior.status();
  std::vector<std::string> tokens;
  const auto& metadata = (*model)->tensors().metadata();
  if (const auto it = metadata.find("tokens"); it != metadata.end() && *num_tokens > 0) {
    tokens = absl::StrSplit(it->second, '\n');
  }
  if (static_cast<int64_t>(tokens.size()) != *num_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(model_dir, ": metadata 'tokens' has ",
                                                   tokens.size(), " tokens, manifest says ",
                                                   *num_tokens));
  }
  ContentScoring scoring;
  auto history_items = GetDim(**model, "history_items");
  if (!history_items.ok()) return history_items.status();
  scoring.history_items = static_cast<int32_t>(*history_items);
  auto recency_decay = GetFloatParam(**model, "recency_decay");
  if (!recency_decay.ok()) return recency_decay.status();
  scoring.recency_decay = *recency_decay;
  auto prior_weight = GetFloatParam(**model, "prior_weight");
  if (!prior_weight.ok()) return prior_weight.status();
  scoring.prior_weight = *prior_weight;
  auto event_weights = GetEventWeightParams(**model);
  if (!event_weights.ok()) return event_weights.status();
  scoring.event_weights = *event_weights;
  return std::make_unique<ContentScorer>(*std::move(vectors), std::move(tokens),
                                         *std::move(prior), scoring);
}

}  // namespace recd
