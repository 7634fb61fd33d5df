#ifndef RECD_TESTS_FUZZ_FUZZ_UTIL_H_
#define RECD_TESTS_FUZZ_FUZZ_UTIL_H_

// Helpers shared by the fuzz targets. The loaders under test read files, so
// each input is written to a private temporary directory first: the target
// then exercises the real open/read path, not a test-only entry point.
// Not thread-safe (libFuzzer and the replay main call targets on one thread).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace recd::fuzz {

// A directory of this process's own, removed at exit; aborts if it cannot be
// made (every later input would fail for a reason that is not the code's).
inline const std::string& TempDir() {
  // Never destroyed: the atexit handler below runs after static destructors
  // of objects constructed later, and must still see the path.
  static const std::string* const dir = [] {
    const char* base = std::getenv("TMPDIR");
    auto* path = new std::string(std::string(base && *base ? base : "/tmp") + "/recd-fuzz-XXXXXX");
    if (::mkdtemp(path->data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TempDir(), ec);
    });
    return path;
  }();
  return *dir;
}

// Writes `bytes` to TempDir()/name (replacing it) and returns the path.
inline std::string WriteTempFile(const std::string& name, std::string_view bytes) {
  const std::string path = TempDir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

// Splits an input holding two files at the first `separator` line; without
// one, the whole input is the first file and the second is empty.
inline std::pair<std::string_view, std::string_view> SplitInput(std::string_view input,
                                                                std::string_view separator) {
  const size_t at = input.find(separator);
  if (at == std::string_view::npos) return {input, {}};
  return {input.substr(0, at), input.substr(at + separator.size())};
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace recd::fuzz

#endif  // RECD_TESTS_FUZZ_FUZZ_UTIL_H_
