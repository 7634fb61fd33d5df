#include "util/huge_page_malloc.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace recd {

void ReexecWithHugePageMalloc(char** argv) {
#ifdef __GLIBC__
  constexpr char kTunable[] = "glibc.malloc.hugetlb";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string current = tunables != nullptr ? tunables : "";
  if (current.find(kTunable) != std::string::npos) return;  // set, by us or the operator
  const std::string wanted = current.empty() ? std::string(kTunable) + "=1" : current + ":" + kTunable + "=1";
  // The binary's own path, not /proc/self/exe: the process is named after
  // what it executes, and ps, pidof and the OOM log should say recd.
  char self[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return;
  self[length] = '\0';
  if (setenv("GLIBC_TUNABLES", wanted.c_str(), 1) != 0) return;
  execv(self, argv);
  // Still here: the exec failed. Go on as we are, without the tunable in
  // the environment of what we start.
  if (tunables != nullptr) {
    setenv("GLIBC_TUNABLES", current.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
#else
  (void)argv;
#endif
}

}  // namespace recd
