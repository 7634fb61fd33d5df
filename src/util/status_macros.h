#ifndef RECD_UTIL_STATUS_MACROS_H_
#define RECD_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"

// Returns from the enclosing function with `expr`'s status unless it is OK.
// For long runs of fallible steps (parsers, validators) where an if per line
// would hide what is being checked.
#define RECD_RETURN_IF_ERROR(expr)                     \
  do {                                                 \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

#endif  // RECD_UTIL_STATUS_MACROS_H_
