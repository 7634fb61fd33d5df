#include "eval/bundle_evaluator.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "recd/ranking_metrics.h"

namespace recd {
namespace {

// Sorted feature-token ids per item: attributes, category path, brand.
std::vector<std::vector<int32_t>> ItemFeatureSets(const Dataset& data) {
  absl::flat_hash_map<std::string, int32_t> token_ids;
  auto id_of = [&](const std::string& t) {
    return token_ids.try_emplace(t, static_cast<int32_t>(token_ids.size())).first->second;
  };
  std::vector<std::vector<int32_t>> sets(static_cast<size_t>(data.num_items()));
  for (size_t i = 0; i < data.item_info.size() && i < sets.size(); ++i) {
    const ItemInfo& info = data.item_info[i];
    for (const auto& a : info.attributes) sets[i].push_back(id_of("a:" + a));
    std::string path;
    for (const auto& c : info.category_path) sets[i].push_back(id_of("c:" + (path += "/" + c)));
    if (!info.brand.empty()) sets[i].push_back(id_of("b:" + info.brand));
    std::sort(sets[i].begin(), sets[i].end());
    sets[i].erase(std::unique(sets[i].begin(), sets[i].end()), sets[i].end());
  }
  return sets;
}

double Jaccard(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  if (a.empty() && b.empty()) return 1.0;  // nothing tells them apart
  size_t common = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] == b[j]) {
      ++common, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

double IntraListDiversity(const std::vector<int32_t>& list,
                          const std::vector<std::vector<int32_t>>& features) {
  if (list.size() < 2) return 0;
  double sum = 0;
  int pairs = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    for (size_t j = i + 1; j < list.size(); ++j, ++pairs) {
      sum += 1.0 - Jaccard(features[static_cast<size_t>(list[i])], features[static_cast<size_t>(list[j])]);
    }
  }
  return sum / pairs;
}

// Per-ranker accumulator for one evaluated user.
struct UserOutcome {
  int64_t rank = 0;
  std::vector<int32_t> top;  // top list_k
};

// With a candidate stage the fused ranking is only as long as the answer:
// ranks past this cutoff count as misses, so MRR is MRR@100 there.
constexpr int kRetrievedRankCutoff = 100;

// 0-based place of `target` in the answer; `miss` when it is not there.
int64_t RankInList(const RankingResult& ranked, int32_t target, int64_t miss) {
  for (size_t i = 0; i < ranked.items.size(); ++i) {
    if (ranked.items[i].item == target) return static_cast<int64_t>(i);
  }
  return miss;
}

}  // namespace

EvaluationReport EvaluateBundle(const RankingPipeline& pipeline, const Dataset& data,
                                const LeaveOneOutSplit& split, const EvaluationOptions& options) {
  const ModelBundle& bundle = pipeline.bundle();
  const auto& targets = options.target == EvalTarget::kTest ? split.test : split.valid;
  EvaluationReport report;
  report.users = UsersWithTarget(split, options.target, options.max_users);
  if (options.from_last_item) {
    // An item's neighbours need an item, and never include it: a target that
    // repeats the last item (a view, then its purchase) is not asked.
    std::erase_if(report.users, [&](int32_t u) {
      const std::vector<Event> history = EvalHistory(split, u, options.target);
      return history.empty() || history.back().item == targets[static_cast<size_t>(u)].item;
    });
  }
  const FusionConfig& fusion = pipeline.fusion();
  const std::string similar_profile =
      options.from_last_item && fusion.Profile(fusion.similar_profile) != nullptr ? fusion.similar_profile : "";
  const size_t n_users = report.users.size();
  const size_t n_rankers = bundle.scorers().size() + 1;  // + fusion
  std::vector<std::vector<UserOutcome>> outcomes(n_rankers, std::vector<UserOutcome>(n_users));
  report.fused.resize(n_users);
  const int list_k = options.list_k;
  const std::unique_ptr<ProgressReporter> bar =
      StartProgress(options.progress, "evaluated users", static_cast<int64_t>(n_users));

#pragma omp parallel
  {
    std::vector<float> scores(static_cast<size_t>(bundle.num_items()));
    std::vector<float> fused;
    std::vector<ModelScores> per_model;
#pragma omp for schedule(dynamic, 16)
    for (size_t i = 0; i < n_users; ++i) {
      const int32_t u = report.users[i];
      std::vector<Event> history = EvalHistory(split, u, options.target);
      if (options.from_last_item) history = {Event{history.back().item, EventType::kView, history.back().timestamp}};
      const int32_t target = targets[static_cast<size_t>(u)].item;
      std::vector<int32_t> history_items;
      for (const Event& e : history) history_items.push_back(e.item);
      std::vector<bool> banned(scores.size(), false);
      for (int32_t item : history_items) banned[static_cast<size_t>(item)] = true;
      const UserHistory user_history{history, options.from_last_item ? -1 : u};

      for (size_t m = 0; m < bundle.scorers().size(); ++m) {
        const Scorer& scorer = *bundle.scorers()[m];
        scorer.ScoreAll(*scorer.Encode(user_history), scores);
        outcomes[m][i].rank = RankOfTarget(scores, target, history_items);
        outcomes[m][i].top = TopK(scores, list_k, banned);
      }
      // The fused ranking comes from the serving pipeline itself.
      RankRequest request;
      request.history = user_history;
      request.k = std::max(options.top_k, list_k);
      UserOutcome& f = outcomes[n_rankers - 1][i];
      RankingResult ranked;
      if (options.from_last_item) {
        // As the daemon's SimilarItems ranks (RecommendSimilar), with its
        // profile; the whole catalog deep when it is scored whole.
        request.profile = similar_profile;
        request.k = pipeline.retrieves() ? std::max(request.k, kRetrievedRankCutoff) : bundle.num_items();
        ranked = pipeline.Rank(request);
        f.rank = RankInList(ranked, target, bundle.num_items());
      } else if (pipeline.retrieves()) {
        // What the daemon answers on a large catalog: candidates, then
        // ranking. The target's rank is its place in that answer.
        request.k = std::max(request.k, kRetrievedRankCutoff);
        request.exclude_history = false;  // a repeated target stays rankable
        for (int32_t item : history_items) {
          if (item != target) request.exclude.push_back(item);
        }
        ranked = pipeline.Rank(request);
        f.rank = RankInList(ranked, target, bundle.num_items());
      } else {
        pipeline.FusedScores(user_history, {}, fused, per_model);
        ranked = pipeline.SelectTop(request, fused, per_model);
        f.rank = RankOfTarget(fused, target, history_items);
      }
      for (const RankedItem& r : ranked.items) {
        if (static_cast<int>(report.fused[i].size()) < options.top_k) report.fused[i].push_back(r.item);
        if (static_cast<int>(f.top.size()) < list_k) f.top.push_back(r.item);
      }
      bar->Add();
    }
  }
  bar->Finish();

  // Popularity share of each item among training users, for novelty.
  std::vector<double> popularity(static_cast<size_t>(bundle.num_items()), 0.0);
  for (const auto& h : split.train) {
    for (const Event& e : h) popularity[static_cast<size_t>(e.item)] += 1;
  }
  double total = 0;
  for (double p : popularity) total += p;
  const auto features = ItemFeatureSets(data);

  for (size_t r = 0; r < n_rankers; ++r) {
    ModelReport mr;
    mr.name = r + 1 == n_rankers ? "fusion" : std::string(bundle.scorers()[r]->name());
    std::vector<bool> covered(static_cast<size_t>(bundle.num_items()), false);
    double diversity = 0, novelty = 0;
    int64_t novelty_n = 0;
    for (const UserOutcome& o : outcomes[r]) {
      mr.ranking.Add(o.rank);
      diversity += IntraListDiversity(o.top, features);
      for (int32_t item : o.top) {
        covered[static_cast<size_t>(item)] = true;
        novelty += -std::log2((popularity[static_cast<size_t>(item)] + 1) / (total + 1));
        ++novelty_n;
      }
    }
    mr.ranking.Finish();
    mr.coverage = static_cast<double>(std::count(covered.begin(), covered.end(), true)) /
                  std::max<double>(1, static_cast<double>(covered.size()));
    mr.diversity = n_users ? diversity / static_cast<double>(n_users) : 0;
    mr.novelty = novelty_n ? novelty / static_cast<double>(novelty_n) : 0;
    report.models.push_back(std::move(mr));
  }
  return report;
}

absl::StatusOr<double> MeanTopKAgreement(const EvaluationReport& ranked, const EvaluationReport& reference, int k) {
  if (ranked.users != reference.users || ranked.fused.size() != reference.fused.size()) {
    return absl::InvalidArgumentError("the two evaluations ranked different users");
  }
  double sum = 0;
  size_t lists = 0;
  for (size_t i = 0; i < reference.fused.size(); ++i) {
    const auto top = [k](const std::vector<int32_t>& list) {
      return std::span<const int32_t>(list).first(std::min<size_t>(list.size(), static_cast<size_t>(k)));
    };
    const std::span<const int32_t> want = top(reference.fused[i]);
    if (want.empty()) continue;
    const std::span<const int32_t> got = top(ranked.fused[i]);
    const auto found = std::count_if(want.begin(), want.end(), [&](int32_t item) {
      return std::find(got.begin(), got.end(), item) != got.end();
    });
    sum += static_cast<double>(found) / static_cast<double>(want.size());
    ++lists;
  }
  return lists ? sum / static_cast<double>(lists) : 0.0;
}

nlohmann::json EvaluationReport::ToJson() const {
  nlohmann::json models_json = nlohmann::json::object();
  for (const ModelReport& m : models) {
    const RankingMetrics& r = m.ranking;
    models_json[m.name] = {{"HR@5", r.hr5},
                           {"HR@10", r.hr10},
                           {"HR@20", r.hr20},
                           {"NDCG@5", r.ndcg5},
                           {"NDCG@10", r.ndcg10},
                           {"NDCG@20", r.ndcg20},
                           {"precision@5", r.precision5},
                           {"precision@10", r.precision10},
                           {"precision@20", r.precision20},
                           {"recall@5", r.recall5},
                           {"recall@10", r.recall10},
                           {"recall@20", r.recall20},
                           {"F1@5", r.f1_5},
                           {"F1@10", r.f1_10},
                           {"F1@20", r.f1_20},
                           {"MRR", r.mrr},
                           {"coverage@10", m.coverage},
                           {"diversity@10", m.diversity},
                           {"novelty@10", m.novelty},
                           {"users", r.users}};
  }
  return {{"models", models_json}};
}

// Precision, recall and F1 at 10 only: at 5 and 20 they are in the JSON
// (under leave-one-out they follow from HR@k anyway; see RankingMetrics).
std::string EvaluationReport::ToTable() const {
  std::string out = absl::StrFormat("%-10s %7s %7s %7s %8s %8s %8s %7s %7s %7s %7s %8s %8s %8s\n", "model",
                                    "HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20", "P@10", "R@10",
                                    "F1@10", "MRR", "cov@10", "div@10", "nov@10");
  for (const ModelReport& m : models) {
    const RankingMetrics& r = m.ranking;
    out += absl::StrFormat("%-10s %7.4f %7.4f %7.4f %8.4f %8.4f %8.4f %7.4f %7.4f %7.4f %7.4f %8.4f %8.4f %8.2f\n",
                           m.name, r.hr5, r.hr10, r.hr20, r.ndcg5, r.ndcg10, r.ndcg20, r.precision10,
                           r.recall10, r.f1_10, r.mrr, m.coverage, m.diversity, m.novelty);
  }
  return out;
}

}  // namespace recd
