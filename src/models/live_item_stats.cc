#include "models/live_item_stats.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace recd {
namespace {

// Below this a count is gone (forgotten, or decayed to nothing).
constexpr double kNegligibleCount = 1e-9;
// Scaled weights grow by 2^(age / half_life); past this exponent they are
// folded back, long before a double could overflow.
constexpr double kMaxScaleExponent = 60;

template <typename Map, typename Key>
void AddClamped(Map& map, const Key& key, double delta) {
  if (delta > 0) {
    map[key] += delta;
    return;
  }
  auto it = map.find(key);
  if (it == map.end()) return;
  it->second += delta;
  if (it->second <= kNegligibleCount) map.erase(it);
}

template <typename Map>
int64_t MapBytes(const Map& map) {
  return static_cast<int64_t>(map.capacity() * (sizeof(typename Map::slot_type) + 1));
}

// Keeps the row's `max_neighbours` strongest entries, sorted by item.
void FinishRow(std::vector<ItemScore>& row, int max_neighbours) {
  const size_t keep = static_cast<size_t>(std::max(max_neighbours, 0));
  if (row.size() > keep) {
    std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(keep), row.end(),
                     [](const ItemScore& x, const ItemScore& y) { return x.score > y.score; });
    row.resize(keep);
    row.shrink_to_fit();
  }
  std::sort(row.begin(), row.end(), [](const ItemScore& x, const ItemScore& y) { return x.item < y.item; });
}

int64_t RowsBytes(const absl::flat_hash_map<int32_t, std::vector<ItemScore>>& rows) {
  int64_t bytes = MapBytes(rows);
  for (const auto& [item, row] : rows) bytes += static_cast<int64_t>(row.capacity() * sizeof(ItemScore));
  return bytes;
}

}  // namespace

std::span<const ItemScore> LiveSnapshot::Row(const absl::flat_hash_map<int32_t, std::vector<ItemScore>>& rows,
                                             int32_t item) {
  auto it = rows.find(item);
  if (it == rows.end()) return {};
  return it->second;
}

uint64_t LiveSnapshot::OldestFresh(absl::Time now, absl::Duration lag) const {
  // Generation g was the latest until g + 1 was published.
  for (const auto& [g, published] : recent_publishes) {
    if (published > now - lag) return g - 1;
  }
  return generation;
}

LiveItemStats::LiveItemStats(int32_t num_items, LiveStatsOptions options, absl::Time epoch)
    : num_items_(num_items), options_(std::move(options)), epoch_(epoch),
      snapshot_(std::make_shared<const LiveSnapshot>()) {}

double LiveItemStats::ScaleAt(absl::Time now) {
  double exponent = absl::FDivDuration(now - epoch_, options_.half_life);
  if (exponent > kMaxScaleExponent) {
    const double fold = std::exp2(-exponent);
    for (auto* map : {&counts_, &out_counts_}) {
      for (auto& [item, w] : *map) w *= fold;
    }
    for (auto* rows : {&cooccurrence_, &transitions_}) {
      for (auto& [item, row] : *rows) {
        for (auto& [other, w] : row) w *= fold;
      }
    }
    epoch_ = now;
    exponent = 0;
  }
  return std::exp2(exponent);
}

void LiveItemStats::AddPair(RowMap& rows, int32_t a, int32_t b, double delta) {
  if (delta > 0) {
    auto [it, added] = rows[a].try_emplace(b, 0.0);
    it->second += delta;
    pairs_ += added ? 1 : 0;
    return;
  }
  auto row = rows.find(a);
  if (row == rows.end()) return;
  auto it = row->second.find(b);
  if (it == row->second.end()) return;
  it->second += delta;
  if (it->second > kNegligibleCount) return;
  row->second.erase(it);
  --pairs_;
  if (row->second.empty()) rows.erase(row);
}

void LiveItemStats::Apply(std::span<const Event> history, size_t position, double scale, double sign) {
  const Event& e = history[position];
  if (e.item < 0 || e.item >= num_items_) return;
  const double w = sign * scale * options_.event_weights.Of(e.type);
  AddClamped(counts_, e.item, w);
  const size_t window = static_cast<size_t>(options_.pair_window);
  const size_t first = position > window ? position - window : 0;
  for (size_t q = first; q < position; ++q) {
    const int32_t other = history[q].item;
    if (other < 0 || other >= num_items_ || other == e.item) continue;
    AddPair(cooccurrence_, other, e.item, w);
    AddPair(cooccurrence_, e.item, other, w);
  }
  if (position > 0 && window > 0) {
    const int32_t previous = history[position - 1].item;
    if (previous >= 0 && previous < num_items_ && previous != e.item) {
      AddPair(transitions_, previous, e.item, w);
      AddClamped(out_counts_, previous, w);
    }
  }
}

void LiveItemStats::Record(std::span<const Event> history, size_t appended, absl::Time now) {
  appended = std::min(appended, history.size());
  if (appended == 0) return;
  absl::MutexLock lock(&mu_);
  const double scale = ScaleAt(now);
  for (size_t p = history.size() - appended; p < history.size(); ++p) Apply(history, p, scale, +1);
  events_ += static_cast<int64_t>(appended);
  dirty_ = true;
  Prune();
}

void LiveItemStats::Forget(std::span<const Event> history, absl::Time now) {
  if (history.empty()) return;
  absl::MutexLock lock(&mu_);
  const double scale = ScaleAt(now);
  for (size_t p = 0; p < history.size(); ++p) Apply(history, p, scale, -1);
  forgotten_ += static_cast<int64_t>(history.size());
  dirty_ = true;
}

void LiveItemStats::Prune() {
  const size_t limit = static_cast<size_t>(options_.max_pairs);
  if (static_cast<size_t>(pairs_) <= limit) return;
  // Down to 90%, so pruning runs once per tenth of the bound, not per event.
  const size_t keep = limit - limit / 10;
  std::vector<double> weights;
  weights.reserve(static_cast<size_t>(pairs_));
  for (const auto* rows : {&cooccurrence_, &transitions_}) {
    for (const auto& [item, row] : *rows) {
      for (const auto& [other, w] : row) weights.push_back(w);
    }
  }
  size_t drop = weights.size() - keep;
  std::nth_element(weights.begin(), weights.begin() + static_cast<std::ptrdiff_t>(drop - 1), weights.end());
  const double threshold = weights[drop - 1];
  const size_t wanted = drop;
  for (auto* rows : {&cooccurrence_, &transitions_}) {
    for (auto& [item, row] : *rows) {
      absl::erase_if(row, [&](const auto& entry) {
        if (drop == 0 || entry.second > threshold) return false;
        --drop;
        return true;
      });
    }
    absl::erase_if(*rows, [](const auto& entry) { return entry.second.empty(); });
  }
  pairs_ -= static_cast<int64_t>(wanted - drop);
  pruned_ += static_cast<int64_t>(wanted - drop);
}

bool LiveItemStats::dirty() const {
  absl::MutexLock lock(&mu_);
  return dirty_;
}

bool LiveItemStats::Publish(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (!dirty_) return false;
  const double age = std::exp2(-absl::FDivDuration(now - epoch_, options_.half_life));
  auto snapshot = std::make_shared<LiveSnapshot>();
  const std::shared_ptr<const LiveSnapshot> previous = snapshot_.load(std::memory_order_relaxed);
  snapshot->generation = previous->generation + 1;
  const size_t kept = std::min(previous->recent_publishes.size(), LiveSnapshot::kRememberedPublishes - 1);
  snapshot->recent_publishes.assign(previous->recent_publishes.end() - static_cast<std::ptrdiff_t>(kept),
                                    previous->recent_publishes.end());
  snapshot->recent_publishes.emplace_back(snapshot->generation, now);
  // Dense: every pair reads two counts.
  std::vector<double> counts(static_cast<size_t>(num_items_), 0.0);
  snapshot->popularity.reserve(counts_.size());
  for (const auto& [item, w] : counts_) {
    counts[static_cast<size_t>(item)] = w * age;
    snapshot->popularity.push_back({item, static_cast<float>(w * age)});
  }
  std::sort(snapshot->popularity.begin(), snapshot->popularity.end(),
            [](const ItemScore& x, const ItemScore& y) { return x.item < y.item; });
  std::vector<ItemScore> best = snapshot->popularity;
  const size_t top = std::min(best.size(), LiveSnapshot::kMaxPopular);
  std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(top), best.end(),
                    [](const ItemScore& x, const ItemScore& y) {
                      return x.score != y.score ? x.score > y.score : x.item < y.item;
                    });
  for (size_t i = 0; i < top; ++i) snapshot->popular.push_back(best[i].item);
  snapshot->cooccurrence.reserve(cooccurrence_.size());
  for (const auto& [a, row] : cooccurrence_) {
    std::vector<ItemScore> out;
    out.reserve(row.size());
    const double n_a = counts[static_cast<size_t>(a)];
    for (const auto& [b, w] : row) {
      const double cosine = w * age / (std::sqrt(n_a * counts[static_cast<size_t>(b)]) + options_.shrink);
      out.push_back({b, static_cast<float>(cosine)});
    }
    FinishRow(out, options_.max_neighbours);
    snapshot->cooccurrence.emplace(a, std::move(out));
  }
  snapshot->transitions.reserve(transitions_.size());
  for (const auto& [a, row] : transitions_) {
    auto total_it = out_counts_.find(a);
    const double total = total_it == out_counts_.end() ? 0.0 : total_it->second * age;
    std::vector<ItemScore> out;
    out.reserve(row.size());
    for (const auto& [b, w] : row) out.push_back({b, static_cast<float>(w * age / (total + options_.shrink))});
    FinishRow(out, options_.max_neighbours);
    snapshot->transitions.emplace(a, std::move(out));
  }
  snapshot_bytes_ = static_cast<int64_t>(snapshot->popularity.capacity() * sizeof(ItemScore) +
                                         snapshot->popular.capacity() * sizeof(int32_t)) +
                    RowsBytes(snapshot->cooccurrence) + RowsBytes(snapshot->transitions);
  snapshot_.store(std::move(snapshot), std::memory_order_release);
  dirty_ = false;
  return true;
}

LiveItemStats::Stats LiveItemStats::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s;
  s.events = events_;
  s.forgotten = forgotten_;
  s.items = static_cast<int64_t>(counts_.size());
  s.pairs = pairs_;
  s.pruned = pruned_;
  s.memory_bytes = MapBytes(counts_) + MapBytes(out_counts_) + snapshot_bytes_;
  for (const auto* rows : {&cooccurrence_, &transitions_}) {
    s.memory_bytes += MapBytes(*rows);
    for (const auto& [item, row] : *rows) s.memory_bytes += MapBytes(row);
  }
  s.generation = snapshot_.load(std::memory_order_acquire)->generation;
  return s;
}

}  // namespace recd
