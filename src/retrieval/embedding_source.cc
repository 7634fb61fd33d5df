#include "retrieval/embedding_source.h"

#include <optional>
#include <stdexcept>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "models/lstm_scorer.h"
#include "models/mf_scorer.h"
#include "spdlog/spdlog.h"

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

// What an embedding model's index is built over, and how it is queried.
struct Embedding {
  Eigen::Ref<const RowMatrixXf> items;
  std::span<const float> bias;
  QueryOf query;
};

std::optional<Embedding> EmbeddingOf(const Scorer& scorer) {
  if (const auto* mf = dynamic_cast<const MfScorer*>(&scorer)) {
    return Embedding{mf->item_factors(), {}, &MfQuery};
  }
  if (const auto* lstm = dynamic_cast<const LstmScorer*>(&scorer)) {
    return Embedding{lstm->output_weight(), lstm->output_bias(), &LstmQuery};
  }
  return std::nullopt;
}

class AnnSource final : public CandidateSource {
 public:
  AnnSource(std::unique_ptr<AnnIndex> index, QueryOf query)
      : index_(std::move(index)), query_(query) {}

  void Retrieve(const UserState& state, int n, int ef, std::vector<int32_t>& out) const override {
    auto found = index_->Search(query_(state), n, ef);
    // Only a broken state (non-finite values) gets here; the pipeline
    // reports the model as failed for this request.
    if (!found.ok()) throw std::runtime_error(std::string(found.status().message()));
    out.insert(out.end(), found->begin(), found->end());
  }

 private:
  std::unique_ptr<AnnIndex> index_;
  QueryOf query_;
};

// The persisted index when it fits, else a new one (see the header).
absl::StatusOr<std::unique_ptr<AnnIndex>> LoadOrBuild(const Scorer& scorer, const Embedding& e,
                                                      const AnnIndexOptions& options,
                                                      const std::string& index_dir) {
  const std::string name(scorer.name());
  const absl::Time start = absl::Now();
  if (!index_dir.empty()) {
    auto loaded = AnnIndex::Load(index_dir, e.items, e.bias, options);
    if (loaded.ok()) {
      spdlog::info("ANN index of model '{}': loaded from {} in {:.2f} s", name, index_dir,
                   absl::ToDoubleSeconds(absl::Now() - start));
      return loaded;
    }
    if (absl::IsNotFound(loaded.status())) {
      spdlog::info("ANN index of model '{}': none persisted in {}, building", name, index_dir);
    } else {
      spdlog::warn("ANN index of model '{}': ignoring the persisted index, building: {}", name,
                   std::string(loaded.status().message()));
    }
  }
  auto built = AnnIndex::Build(e.items, e.bias, options);
  if (built.ok()) {
    spdlog::info("ANN index of model '{}': built over {} items with {} threads in {:.1f} s", name,
                 e.items.rows(), options.threads, absl::ToDoubleSeconds(absl::Now() - start));
  }
  return built;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CandidateSource>> MakeAnnCandidateSource(
    const Scorer& scorer, const AnnIndexOptions& options, const std::string& index_dir) {
  const std::optional<Embedding> e = EmbeddingOf(scorer);
  if (!e) return nullptr;
  auto index = LoadOrBuild(scorer, *e, options, index_dir);
  if (!index.ok()) return index.status();
  return std::unique_ptr<CandidateSource>(std::make_unique<AnnSource>(*std::move(index), e->query));
}

absl::StatusOr<bool> BuildAndSaveAnnIndex(const Scorer& scorer, const AnnIndexOptions& options,
                                          const std::string& model_dir) {
  const std::optional<Embedding> e = EmbeddingOf(scorer);
  if (!e) return false;
  auto index = AnnIndex::Build(e->items, e->bias, options);
  if (!index.ok()) return index.status();
  if (absl::Status s = (*index)->Save(model_dir); !s.ok()) return s;
  return true;
}

}  // namespace recd
