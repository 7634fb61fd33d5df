#include "ranking/list_agreement.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace recd {
namespace {

std::span<const std::string> Top(std::span<const std::string> list, int k) {
  return list.first(std::min(list.size(), static_cast<size_t>(k)));
}

}  // namespace

double OverlapAtK(std::span<const std::string> a, std::span<const std::string> b, int k) {
  a = Top(a, k);
  b = Top(b, k);
  const size_t longest = std::max(a.size(), b.size());
  if (longest == 0) return 1.0;
  size_t shared = 0;
  for (const std::string& item : a) shared += std::find(b.begin(), b.end(), item) != b.end();
  // Both lists hold at most k: the longer one is k unless rules cut both.
  return static_cast<double>(shared) / static_cast<double>(longest);
}

std::optional<double> SharedRankCorrelation(std::span<const std::string> a, std::span<const std::string> b, int k) {
  a = Top(a, k);
  b = Top(b, k);
  absl::flat_hash_map<std::string_view, size_t> rank_in_b;
  for (size_t i = 0; i < b.size(); ++i) rank_in_b[b[i]] = i;
  // The shared items' ranks in b, in a's order: tau counts the pairs in order.
  std::vector<size_t> ranks;
  for (const std::string& item : a) {
    if (auto it = rank_in_b.find(item); it != rank_in_b.end()) ranks.push_back(it->second);
  }
  if (ranks.size() < 2) return std::nullopt;
  long concordant = 0, discordant = 0;
  for (size_t i = 0; i < ranks.size(); ++i) {
    for (size_t j = i + 1; j < ranks.size(); ++j) (ranks[i] < ranks[j] ? concordant : discordant) += 1;
  }
  return static_cast<double>(concordant - discordant) / static_cast<double>(concordant + discordant);
}

}  // namespace recd
