#include "train/content_builder.h"

#include <cmath>
#include <map>

#include "models/content_tokens.h"
#include "train/train_inputs.h"

namespace recd {
namespace {

// Field of a token, from its prefix, for the per-field weight.
float FieldWeight(const std::string& token, const ContentBuilderOptions& o) {
  if (token.starts_with("attr:")) return o.attribute_weight;
  if (token.starts_with("cat:")) return o.category_weight;
  if (token.starts_with("brand:")) return o.brand_weight;
  if (token.starts_with("price:")) return o.price_weight;
  return o.title_weight;
}

}  // namespace

std::vector<std::string> ContentTokens(const ItemInfo& info,
                                       const ContentBuilderOptions& options) {
  ContentTokenFields fields;
  fields.attributes = options.attribute_weight > 0;
  fields.categories = options.category_weight > 0;
  fields.brand = options.brand_weight > 0;
  fields.price = options.price_weight > 0;
  fields.title = options.title_weight > 0;
  fields.price_bucket_base = options.price_bucket_base;
  return CatalogTokens(info, fields);
}

absl::StatusOr<std::unique_ptr<ContentScorer>> BuildContent(const Dataset& train_view,
                                                           const ContentBuilderOptions& options) {
  if (absl::Status s = CheckTrainingData(train_view); !s.ok()) return s;
  if (options.attribute_weight < 0 || options.category_weight < 0 || options.brand_weight < 0 ||
      options.price_weight < 0 || options.title_weight < 0) {
    return absl::InvalidArgumentError("content field weights must not be negative");
  }
  if (!(options.price_bucket_base > 1.0)) {
    return absl::InvalidArgumentError("content price_bucket_base must be > 1");
  }
  const int32_t n = train_view.num_items();
  // Per item: token -> count; the vocabulary in sorted order gives ids.
  std::vector<std::map<std::string, int32_t>> counts(static_cast<size_t>(n));
  std::map<std::string, int32_t> df;
  for (int32_t i = 0; i < n; ++i) {
    auto& c = counts[static_cast<size_t>(i)];
    for (std::string& t : ContentTokens(train_view.item_info[static_cast<size_t>(i)], options)) {
      ++c[std::move(t)];
    }
    for (const auto& [t, unused] : c) ++df[t];
  }
  std::vector<std::string> tokens;
  std::map<std::string, int32_t> token_id;
  std::vector<double> idf;
  for (const auto& [t, d] : df) {
    token_id[t] = static_cast<int32_t>(tokens.size());
    tokens.push_back(t);
    idf.push_back(ContentIdf(n, d, options.idf_power));
  }

  SparseRowMatrix vectors(n, static_cast<int32_t>(tokens.size()));
  int64_t nnz = 0;
  for (const auto& c : counts) nnz += static_cast<int64_t>(c.size());
  vectors.reserve(nnz);
  std::vector<std::pair<int32_t, double>> row;
  for (int32_t i = 0; i < n; ++i) {
    row.clear();
    double norm2 = 0.0;
    for (const auto& [t, count] : counts[static_cast<size_t>(i)]) {
      const int32_t id = token_id.at(t);
      const double w = FieldWeight(t, options) * (1.0 + std::log(static_cast<double>(count))) *
                       idf[static_cast<size_t>(id)];
      row.emplace_back(id, w);
      norm2 += w * w;
    }
    vectors.startVec(i);
    const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
    for (const auto& [id, w] : row) {  // map order = sorted token = ascending id
      if (w > 0) vectors.insertBack(i, id) = static_cast<float>(w * inv);
    }
  }
  vectors.finalize();
  vectors.makeCompressed();
  return std::make_unique<ContentScorer>(std::move(vectors), std::move(tokens),
                                         PopularityPrior(train_view), options.scoring);
}

}  // namespace recd
