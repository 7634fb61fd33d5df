#include "absl/strings/str_cat.h"
#include "recd/data_loaders.h"

namespace recd {

namespace {
constexpr size_t kMaxExamples = 10;
}

int64_t LoadReport::total_skipped() const {
  int64_t n = 0;
  for (const auto& [reason, count] : skipped) n += count;
  return n;
}

void LoadReport::Skip(const std::string& file, int64_t line, const std::string& reason) {
  ++skipped[reason];
  if (examples.size() < kMaxExamples) examples.push_back(absl::StrCat(file, ":", line, ": ", reason));
}

std::string LoadReport::Summary() const {
  std::string s = absl::StrCat(loaded, " of ", lines, " lines loaded");
  for (const auto& [reason, count] : skipped) absl::StrAppend(&s, ", ", count, " skipped (", reason, ")");
  return s;
}

}  // namespace recd
