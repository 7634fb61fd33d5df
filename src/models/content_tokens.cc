#include "models/content_tokens.h"

#include <cctype>
#include <cmath>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void AddTitleWords(const std::string& title, std::vector<std::string>* out) {
  std::string word;
  for (size_t i = 0; i <= title.size(); ++i) {
    const unsigned char c = i < title.size() ? static_cast<unsigned char>(title[i]) : ' ';
    if (std::isalnum(c)) {
      word.push_back(static_cast<char>(std::tolower(c)));
      continue;
    }
    if (word.size() >= 2) out->push_back(absl::StrCat("title:", word));
    word.clear();
  }
}

}  // namespace

std::vector<std::string> CatalogTokens(const ItemInfo& info, const ContentTokenFields& fields) {
  std::vector<std::string> tokens;
  if (fields.attributes) {
    for (const std::string& a : info.attributes) tokens.push_back(absl::StrCat("attr:", a));
  }
  if (fields.categories) {
    std::string prefix;
    for (const std::string& c : info.category_path) {
      prefix = prefix.empty() ? c : absl::StrCat(prefix, ">", c);
      tokens.push_back(absl::StrCat("cat:", prefix));
    }
  }
  if (fields.brand && !info.brand.empty()) tokens.push_back(absl::StrCat("brand:", Lower(info.brand)));
  if (fields.price && std::isfinite(info.price) && info.price > 0) {
    const double bucket =
        std::floor(std::log(static_cast<double>(info.price)) / std::log(fields.price_bucket_base));
    tokens.push_back(absl::StrCat("price:", static_cast<int64_t>(bucket)));
  }
  if (fields.title) AddTitleWords(info.title, &tokens);
  for (std::string& t : tokens) {
    for (char& c : t) {
      if (c == '\n') c = ' ';  // the vocabulary is saved one token per line
    }
  }
  return tokens;
}

double ContentIdf(int64_t n, int64_t df, double power) {
  return std::pow(std::log((1.0 + static_cast<double>(n)) / (1.0 + static_cast<double>(df))) + 1.0, power);
}

}  // namespace recd
