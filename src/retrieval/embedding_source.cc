#include "retrieval/embedding_source.h"

#include <stdexcept>
#include <string>

#include "models/lstm_scorer.h"
#include "models/mf_scorer.h"

namespace recd {
namespace {

// How a model's user state becomes the ANN query.
using QueryOf = std::span<const float> (*)(const UserState& state);

std::span<const float> MfQuery(const UserState& state) {
  const Eigen::VectorXf& f = static_cast<const MfScorer::State&>(state).factor;
  return {f.data(), static_cast<size_t>(f.size())};
}

std::span<const float> LstmQuery(const UserState& state) {
  const Eigen::VectorXf& h = static_cast<const LstmState&>(state).h;
  return {h.data(), static_cast<size_t>(h.size())};
}

class AnnSource final : public CandidateSource {
 public:
  AnnSource(std::unique_ptr<AnnIndex> index, QueryOf query) : index_(std::move(index)), query_(query) {}

  void Retrieve(const UserState& state, int n, std::vector<int32_t>& out) const override {
    auto found = index_->Search(query_(state), n);
    // Only a broken state (non-finite values) gets here; the pipeline
    // reports the model as failed for this request.
    if (!found.ok()) throw std::runtime_error(std::string(found.status().message()));
    out.insert(out.end(), found->begin(), found->end());
  }

 private:
  std::unique_ptr<AnnIndex> index_;
  QueryOf query_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CandidateSource>> MakeAnnCandidateSource(const Scorer& scorer,
                                                                        const AnnIndexOptions& options) {
  std::unique_ptr<AnnIndex> index;
  QueryOf query = nullptr;
  if (const auto* mf = dynamic_cast<const MfScorer*>(&scorer)) {
    auto built = AnnIndex::Build(mf->item_factors(), {}, options);
    if (!built.ok()) return built.status();
    index = *std::move(built);
    query = &MfQuery;
  } else if (const auto* lstm = dynamic_cast<const LstmScorer*>(&scorer)) {
    auto built = AnnIndex::Build(lstm->output_weight(), lstm->output_bias(), options);
    if (!built.ok()) return built.status();
    index = *std::move(built);
    query = &LstmQuery;
  } else {
    return nullptr;
  }
  return std::unique_ptr<CandidateSource>(std::make_unique<AnnSource>(std::move(index), query));
}

}  // namespace recd
