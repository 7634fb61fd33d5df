#ifndef RECD_UTIL_FIELD_ERRORS_H_
#define RECD_UTIL_FIELD_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace recd {

// "FIELD: WHY" as InvalidArgument: how config and request errors name the
// field at fault.
inline absl::Status InvalidField(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// `s` C-escaped between single quotes, for ids and keys in error messages
// (a key may hold any bytes).
inline std::string Quoted(std::string_view s) {
  return absl::StrCat("'", absl::CEscape(absl::string_view(s.data(), s.size())), "'");
}

}  // namespace recd

#endif  // RECD_UTIL_FIELD_ERRORS_H_
