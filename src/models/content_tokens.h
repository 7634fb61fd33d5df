#ifndef RECD_MODELS_CONTENT_TOKENS_H_
#define RECD_MODELS_CONTENT_TOKENS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "recd/dataset.h"

namespace recd {

// Which catalog fields become content tokens, and how prices are bucketed.
struct ContentTokenFields {
  bool attributes = true;  // "attr:<id>" per ItemInfo::attributes entry
  bool categories = true;  // "cat:<a>", "cat:<a>><b>", ... every path prefix
  bool brand = true;       // "brand:<lowercased brand>"
  bool price = true;       // "price:<floor(log_base(price))>"
  bool title = true;       // "title:<word>", lowercased alphanumeric runs of >= 2 chars
  // Price buckets are powers of this base (2: ..., [8, 16), [16, 32), ...).
  double price_bucket_base = 2.0;
};

// The content tokens of one catalog row (with repeats: a title word that
// occurs twice is listed twice). The content builder and the daemon's new
// items (ContentScorer::ViewNewItems) tokenise alike through this.
std::vector<std::string> CatalogTokens(const ItemInfo& info, const ContentTokenFields& fields);

// The inverse document frequency of a token on `df` of `n` items, raised to
// `power`: ln((1 + n) / (1 + df)) + 1.
double ContentIdf(int64_t n, int64_t df, double power);

}  // namespace recd

#endif  // RECD_MODELS_CONTENT_TOKENS_H_
