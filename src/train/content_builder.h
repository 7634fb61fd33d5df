#ifndef RECD_TRAIN_CONTENT_BUILDER_H_
#define RECD_TRAIN_CONTENT_BUILDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "models/content_scorer.h"
#include "recd/dataset.h"

namespace recd {

struct ContentBuilderOptions {
  // Multipliers of each field's TF-IDF weights, to balance fields against
  // each other (a title has many words, a brand one token). 0 drops a field.
  float attribute_weight = 1.0f;  // "attr:<id>" per ItemInfo::attributes entry
  float category_weight = 1.0f;   // "cat:<a>", "cat:<a>><b>", ... every path prefix
  float brand_weight = 1.0f;      // "brand:<lowercased brand>"
  float price_weight = 1.0f;      // "price:<floor(log_base(price))>"
  float title_weight = 1.0f;      // "title:<word>", lowercased alphanumeric runs of >= 2 chars
  // Price buckets are powers of this base (2: ..., [8, 16), [16, 32), ...).
  double price_bucket_base = 2.0;
  // weight = field_weight * tf * idf^idf_power. Above 1 lets rare tokens
  // (a specific product line) dominate shared ones (a broad category).
  float idf_power = 2.0f;
  ContentScoring scoring;
};

// The tokens of one item under `options` (with repeats: a title word that
// occurs twice is listed twice). Exposed for tests and explanations.
std::vector<std::string> ContentTokens(const ItemInfo& info, const ContentBuilderOptions& options);

// Builds TF-IDF vectors for every catalog item, whether or not it has
// interactions: weight = field_weight * tf * idf with tf = 1 + ln(count) and
// idf = ln((1 + N) / (1 + df)) + 1 (N = catalog size, df = items with the
// token), then each row L2-normalised. Token ids follow sorted token order.
// The training histories only feed the tie-breaking popularity prior.
absl::StatusOr<std::unique_ptr<ContentScorer>> BuildContent(const Dataset& train_view,
                                                           const ContentBuilderOptions& options);

}  // namespace recd

#endif  // RECD_TRAIN_CONTENT_BUILDER_H_
