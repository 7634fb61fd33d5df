#ifndef RECD_UTIL_USABLE_CORES_H_
#define RECD_UTIL_USABLE_CORES_H_

#include <sched.h>

#include <algorithm>
#include <thread>

namespace recd {

// The cores this process may run on: its CPU affinity mask (taskset, a
// container's cpuset), not every core of the machine, which is what
// std::thread::hardware_concurrency() reports. At least 1.
inline int UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace recd

#endif  // RECD_UTIL_USABLE_CORES_H_
