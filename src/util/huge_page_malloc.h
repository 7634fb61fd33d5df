#ifndef RECD_UTIL_HUGE_PAGE_MALLOC_H_
#define RECD_UTIL_HUGE_PAGE_MALLOC_H_

namespace recd {

// Puts the process's large allocations on transparent huge pages by
// re-executing it with glibc's malloc tunable glibc.malloc.hugetlb=1 set
// (glibc >= 2.35; tunables are read only at process start). Loading a
// 1M-item bundle faults in ~3 GB: on this machine's VM, 4 KB page faults
// were most of its 50 s, 2 MB ones cut it to 24 s. Call first thing in
// main(), before any thread starts; returns (and the process goes on with
// 4 KB pages) when GLIBC_TUNABLES already names the tunable (set it to 0 to
// opt out), when not built against glibc, or when the exec fails. The PID,
// process name, open descriptors and arguments stay the same. Under
// valgrind the new image runs outside the tool: set the tunable first.
void ReexecWithHugePageMalloc(char** argv);

}  // namespace recd

#endif  // RECD_UTIL_HUGE_PAGE_MALLOC_H_
