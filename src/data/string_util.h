#ifndef RECD_DATA_STRING_UTIL_H_
#define RECD_DATA_STRING_UTIL_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace recd {

// Debian's abseil has its own absl::string_view, distinct from
// std::string_view; the loaders work in std::string_view and cross over here.
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Drops leading and trailing ASCII whitespace.
inline std::string_view StripWhitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace recd

#endif  // RECD_DATA_STRING_UTIL_H_
