#include "retrieval/candidate_source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "models/sparse_matrix.h"

namespace recd {
namespace {

// A model that nominates its own best items from the user's state.
class NominatingSource final : public CandidateSource {
 public:
  explicit NominatingSource(const Scorer& scorer) : scorer_(scorer) {}
  void Retrieve(const UserState& state, int n, int, std::vector<int32_t>& out) const override {
    scorer_.Nominate(state, n, out);
  }

 private:
  const Scorer& scorer_;
};

// An embedding model without an index (candidates.ann off): score the whole
// catalog and keep the top. Linear in the catalog, as configured.
class ExactTopSource final : public CandidateSource {
 public:
  explicit ExactTopSource(const Scorer& scorer) : scorer_(scorer) {}
  void Retrieve(const UserState& state, int n, int, std::vector<int32_t>& out) const override {
    std::vector<float> scores(static_cast<size_t>(scorer_.num_items()));
    scorer_.ScoreAll(state, scores);
    for (const ItemScore& s : TopOfVector(scores, n)) out.push_back(s.item);
  }

 private:
  const Scorer& scorer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CandidateSource>> MakeExactCandidateSource(const Scorer& scorer) {
  if (scorer.nominates_directly()) return std::unique_ptr<CandidateSource>(std::make_unique<NominatingSource>(scorer));
  if (scorer.embeddings()) return std::unique_ptr<CandidateSource>(std::make_unique<ExactTopSource>(scorer));
  return absl::FailedPreconditionError(
      absl::StrCat("model '", std::string(scorer.name()),
                   "' cannot nominate candidates: it neither nominates directly nor has item embeddings "
                   "(see Scorer::nominates_directly and Scorer::embeddings)"));
}

}  // namespace recd
