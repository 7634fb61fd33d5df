#include "models/live_overlay_scorer.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "models/catalog_moments.h"
#include "models/knn_scorer.h"
#include "models/markov_scorer.h"
#include "models/pop_scorer.h"

namespace recd {
namespace {

// The base model's state of the user and the rows the overlay sums.
struct LiveOverlayState final : UserState {
  std::unique_ptr<UserState> base;
  std::vector<ItemScore> recent;  // (item, weight), newest first; empty for popularity
};

const LiveOverlayState& OverlayStateOf(const UserState& state) {
  return static_cast<const LiveOverlayState&>(state);
}

bool ByItem(const ItemScore& x, const ItemScore& y) { return x.item < y.item; }
bool BestFirst(const ItemScore& x, const ItemScore& y) {
  return x.score != y.score ? x.score > y.score : x.item < y.item;
}

// The value at `item` of a vector sorted by item, 0 when absent.
float ValueAt(std::span<const ItemScore> sorted, int32_t item) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), ItemScore{item, 0}, ByItem);
  return it != sorted.end() && it->item == item ? it->score : 0.0f;
}

// Scores every item 0 and nominates nothing: the base of the live model,
// whose scores are its overlay alone.
class NoScores final : public Scorer {
 public:
  NoScores(int32_t num_items, RecentItemsWeighting weighting) : num_items_(num_items), weighting_(weighting) {}
  std::string_view name() const override { return kLiveModelName; }
  int32_t num_items() const override { return num_items_; }
  std::unique_ptr<UserState> Encode(const UserHistory&) const override { return std::make_unique<UserState>(); }
  void ScoreAll(const UserState&, std::span<float> out) const override { std::fill(out.begin(), out.end(), 0.0f); }
  void ScoreCandidates(const UserState&, std::span<const int32_t>, std::span<float> out) const override {
    std::fill(out.begin(), out.end(), 0.0f);
  }
  bool nominates_directly() const override { return true; }
  void Nominate(const UserState&, int, std::vector<int32_t>&) const override {}
  std::optional<ScoreMoments> CatalogMoments(const UserState&) const override { return ScoreMoments{}; }
  std::optional<RecentItemsWeighting> recent_items_weighting() const override { return weighting_; }

 private:
  int32_t num_items_;
  RecentItemsWeighting weighting_;
};

// How the live model weighs recent items in a bundle without knn.
RecentItemsWeighting DefaultLiveWeighting() {
  RecentItemsWeighting w;
  w.history_items = 20;
  w.recency_decay = 0.8f;
  return w;
}

}  // namespace

std::shared_ptr<const Scorer> MakeLiveModel(int32_t num_items, RecentItemsWeighting weighting,
                                            std::shared_ptr<const LiveItemStats> live) {
  return std::make_shared<LiveOverlayScorer>(std::make_shared<NoScores>(num_items, weighting),
                                             LiveOverlayKind::kCooccurrence, weighting, 1.0f, std::move(live));
}

LiveOverlayScorer::LiveOverlayScorer(std::shared_ptr<const Scorer> base, LiveOverlayKind kind,
                                     RecentItemsWeighting weighting, float weight,
                                     std::shared_ptr<const LiveItemStats> live)
    : base_(std::move(base)), kind_(kind), weighting_(std::move(weighting)), weight_(weight), live_(std::move(live)) {}

std::unique_ptr<UserState> LiveOverlayScorer::Encode(const UserHistory& history) const {
  auto state = std::make_unique<LiveOverlayState>();
  state->base = base_->Encode(history);
  if (kind_ != LiveOverlayKind::kPopularity) state->recent = RecentItemRows(history, weighting_);
  return state;
}

std::unique_ptr<UserState> LiveOverlayScorer::Extend(const UserState& previous, const UserHistory& full_history,
                                                     size_t appended) const {
  auto state = std::make_unique<LiveOverlayState>();
  state->base = base_->Extend(*OverlayStateOf(previous).base, full_history, appended);
  if (kind_ != LiveOverlayKind::kPopularity) state->recent = RecentItemRows(full_history, weighting_);
  return state;
}

std::vector<ItemScore> LiveOverlayScorer::Overlay(const UserState& state, const LiveSnapshot& snapshot) const {
  std::vector<ItemScore> out;
  // The statistics may hold new catalog items a newer bundle view added
  // (the views share them); this one scores only its own items.
  const int32_t n = num_items();
  if (kind_ == LiveOverlayKind::kPopularity) {
    out.reserve(snapshot.popularity.size());
    for (const ItemScore& s : snapshot.popularity) {
      if (s.item < n) out.push_back({s.item, weight_ * s.score});
    }
    return out;
  }
  const auto& rows = kind_ == LiveOverlayKind::kCooccurrence ? snapshot.cooccurrence : snapshot.transitions;
  for (const ItemScore& h : OverlayStateOf(state).recent) {
    for (const ItemScore& s : LiveSnapshot::Row(rows, h.item)) {
      if (s.item < n) out.push_back({s.item, weight_ * h.score * s.score});
    }
  }
  std::sort(out.begin(), out.end(), ByItem);
  // Sum the entries of each item into its first.
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (kept > 0 && out[kept - 1].item == out[i].item) {
      out[kept - 1].score += out[i].score;
    } else {
      out[kept++] = out[i];
    }
  }
  out.resize(kept);
  return out;
}

void LiveOverlayScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  base_->ScoreAll(*OverlayStateOf(state).base, out);
  const std::shared_ptr<const LiveSnapshot> snapshot = live_->Snapshot();
  const float w = kind_ == LiveOverlayKind::kPopularity ? weight_ : 1.0f;
  const std::vector<ItemScore> summed =
      kind_ == LiveOverlayKind::kPopularity ? std::vector<ItemScore>{} : Overlay(state, *snapshot);
  for (const ItemScore& o : kind_ == LiveOverlayKind::kPopularity ? snapshot->popularity : summed) {
    if (o.item >= 0 && static_cast<size_t>(o.item) < out.size()) out[static_cast<size_t>(o.item)] += w * o.score;
  }
}

void LiveOverlayScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                        std::span<float> out) const {
  base_->ScoreCandidates(*OverlayStateOf(state).base, candidates, out);
  const std::shared_ptr<const LiveSnapshot> snapshot = live_->Snapshot();
  if (kind_ == LiveOverlayKind::kPopularity) {
    // Read in place: popularity's overlay may cover much of the catalog.
    if (snapshot->popularity.empty()) return;
    for (size_t i = 0; i < candidates.size(); ++i) out[i] += weight_ * ValueAt(snapshot->popularity, candidates[i]);
    return;
  }
  const std::vector<ItemScore> overlay = Overlay(state, *snapshot);
  if (overlay.empty()) return;
  for (size_t i = 0; i < candidates.size(); ++i) out[i] += ValueAt(overlay, candidates[i]);
}

void LiveOverlayScorer::Nominate(const UserState& state, int n, std::vector<int32_t>& out) const {
  const LiveOverlayState& s = OverlayStateOf(state);
  std::vector<int32_t> pool;
  base_->Nominate(*s.base, n, pool);
  const size_t wanted = static_cast<size_t>(std::max(n, 0));
  const std::shared_ptr<const LiveSnapshot> snapshot = live_->Snapshot();
  if (kind_ == LiveOverlayKind::kPopularity) {
    const size_t top = std::min(snapshot->popular.size(), wanted);
    pool.insert(pool.end(), snapshot->popular.begin(), snapshot->popular.begin() + static_cast<std::ptrdiff_t>(top));
  } else {
    std::vector<ItemScore> overlay = Overlay(state, *snapshot);
    const size_t top = std::min(overlay.size(), wanted);
    std::partial_sort(overlay.begin(), overlay.begin() + static_cast<std::ptrdiff_t>(top), overlay.end(), BestFirst);
    for (size_t i = 0; i < top; ++i) pool.push_back(overlay[i].item);
  }
  // The best n of both lists by the merged score.
  absl::flat_hash_set<int32_t> seen;
  std::vector<int32_t> unique;
  for (int32_t item : pool) {
    if (item < num_items() && seen.insert(item).second) unique.push_back(item);
  }
  std::vector<float> scores(unique.size());
  ScoreCandidates(state, unique, scores);
  std::vector<ItemScore> ranked;
  ranked.reserve(unique.size());
  for (size_t i = 0; i < unique.size(); ++i) ranked.push_back({unique[i], scores[i]});
  const size_t keep = std::min(ranked.size(), static_cast<size_t>(std::max(n, 0)));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(), BestFirst);
  for (size_t i = 0; i < keep; ++i) out.push_back(ranked[i].item);
}

std::span<const float> LiveOverlayScorer::EmbeddingQuery(const UserState& state) const {
  return base_->EmbeddingQuery(*OverlayStateOf(state).base);
}

std::optional<ScoreMoments> LiveOverlayScorer::CatalogMoments(const UserState& state) const {
  const std::shared_ptr<const LiveSnapshot> snapshot = live_->Snapshot();
  if (kind_ != LiveOverlayKind::kPopularity) return MomentsWith(state, *snapshot);
  // The same for every user: computed once per snapshot.
  std::shared_ptr<const SnapshotMoments> cached = popularity_moments_.load(std::memory_order_acquire);
  if (cached == nullptr || cached->generation != snapshot->generation) {
    auto fresh = std::make_shared<SnapshotMoments>();
    fresh->generation = snapshot->generation;
    fresh->moments = MomentsWith(state, *snapshot);
    popularity_moments_.store(fresh, std::memory_order_release);
    cached = std::move(fresh);
  }
  return cached->moments;
}

std::optional<ScoreMoments> LiveOverlayScorer::MomentsWith(const UserState& state,
                                                           const LiveSnapshot& snapshot) const {
  const LiveOverlayState& s = OverlayStateOf(state);
  std::optional<ScoreMoments> base = base_->CatalogMoments(*s.base);
  if (!base) return std::nullopt;
  const std::vector<ItemScore> overlay = Overlay(state, snapshot);
  if (overlay.empty()) return base;
  std::vector<int32_t> items;
  items.reserve(overlay.size());
  for (const ItemScore& o : overlay) items.push_back(o.item);
  std::vector<float> scores(items.size());
  base_->ScoreCandidates(*s.base, items, scores);
  const int64_t n = num_items();
  const double count = static_cast<double>(n);
  double sum = base->mean * count;
  double sum_sq = (base->sd * base->sd + base->mean * base->mean) * count;
  // Only the overlaid items' scores differ from the base's.
  for (size_t i = 0; i < overlay.size(); ++i) {
    const double b = scores[i], o = overlay[i].score;
    sum += o;
    sum_sq += 2 * b * o + o * o;
  }
  return MomentsFromSums(n, sum, sum_sq);
}

float LiveOverlayScorer::ItemSimilarity(int32_t a, int32_t b) const {
  const float base = base_->ItemSimilarity(a, b);
  if (kind_ == LiveOverlayKind::kPopularity) return base;
  const std::shared_ptr<const LiveSnapshot> snapshot = live_->Snapshot();
  const auto& rows = kind_ == LiveOverlayKind::kCooccurrence ? snapshot->cooccurrence : snapshot->transitions;
  return base + weight_ * ValueAt(LiveSnapshot::Row(rows, a), b);
}

std::shared_ptr<const ModelBundle> WithLiveOverlay(const ModelBundle& bundle,
                                                  std::shared_ptr<const LiveItemStats> live,
                                                  const LiveOverlayWeights& weights) {
  std::vector<std::shared_ptr<const Scorer>> overlaid(bundle.scorers().size());
  RecentItemsWeighting live_weighting = DefaultLiveWeighting();
  for (size_t i = 0; i < overlaid.size(); ++i) {
    const std::shared_ptr<const Scorer>& model = bundle.scorers()[i];
    const std::optional<RecentItemsWeighting> weighting = model->recent_items_weighting();
    if (model->name() == PopScorer::kName) {
      overlaid[i] = std::make_shared<LiveOverlayScorer>(model, LiveOverlayKind::kPopularity, RecentItemsWeighting{},
                                                        weights.pop, live);
    } else if (model->name() == KnnScorer::kName && weighting) {
      live_weighting = *weighting;
      overlaid[i] = std::make_shared<LiveOverlayScorer>(model, LiveOverlayKind::kCooccurrence, *weighting,
                                                        weights.knn, live);
    } else if (model->name() == MarkovScorer::kName && weighting) {
      overlaid[i] = std::make_shared<LiveOverlayScorer>(model, LiveOverlayKind::kTransitions, *weighting,
                                                        weights.markov, live);
    }
  }
  std::vector<std::shared_ptr<const Scorer>> scorers;
  for (size_t i = 0; i < overlaid.size(); ++i) scorers.push_back(overlaid[i] ? overlaid[i] : bundle.scorers()[i]);
  scorers.push_back(MakeLiveModel(bundle.num_items(), live_weighting, std::move(live)));
  return ModelBundle::Derive(bundle, bundle.items(), std::move(scorers));
}

}  // namespace recd
