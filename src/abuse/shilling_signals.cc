#include "abuse/shilling_signals.h"

namespace recd {

bool AnyWindowHolds(std::span<const int64_t> times, int32_t count, int64_t seconds) {
  if (count <= 0 || times.size() < static_cast<size_t>(count)) return false;
  for (size_t last = static_cast<size_t>(count) - 1; last < times.size(); ++last) {
    if (times[last] - times[last + 1 - static_cast<size_t>(count)] <= seconds) return true;
  }
  return false;
}

}  // namespace recd
