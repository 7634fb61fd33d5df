#include "retrieval/embedding_source.h"

#include <optional>
#include <stdexcept>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// What an embedding model's index is built over.
struct Embedding {
  Eigen::Map<const RowMatrixXf> items;
  std::span<const float> bias;
};

std::optional<Embedding> EmbeddingOf(const Scorer& scorer) {
  const std::optional<ItemEmbeddings> e = scorer.embeddings();
  if (!e) return std::nullopt;
  return Embedding{Eigen::Map<const RowMatrixXf>(e->items, e->rows, e->dim), e->bias};
}

// Queried by the model's own EmbeddingQuery of the user's state.
class AnnSource final : public CandidateSource {
 public:
  AnnSource(std::unique_ptr<AnnIndex> index, const Scorer& scorer) : index_(std::move(index)), scorer_(scorer) {}

  void Retrieve(const UserState& state, int n, int ef, std::vector<int32_t>& out) const override {
    auto found = index_->Search(scorer_.EmbeddingQuery(state), n, ef);
    // Only a broken state (non-finite values) gets here; the pipeline
    // reports the model as failed for this request.
    if (!found.ok()) throw std::runtime_error(std::string(found.status().message()));
    out.insert(out.end(), found->begin(), found->end());
  }

 private:
  std::unique_ptr<AnnIndex> index_;
  const Scorer& scorer_;
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
  return std::unique_ptr<CandidateSource>(std::make_unique<AnnSource>(*std::move(index), scorer));
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
