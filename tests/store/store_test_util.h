#ifndef RECD_TESTS_STORE_STORE_TEST_UTIL_H_
#define RECD_TESTS_STORE_STORE_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "recd/feature_store.h"

namespace recd {

// A fresh directory under the system temp dir, removed with its contents
// when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "recd_store_XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline StoredEvent Ev(std::string item, int64_t ts, EventType type = EventType::kView) {
  return StoredEvent{std::move(item), type, ts};
}

// "i0", "i1", ... with timestamps first_ts, first_ts+1, ...
inline std::vector<StoredEvent> Events(int first_ts, int n) {
  std::vector<StoredEvent> out;
  for (int i = 0; i < n; ++i) out.push_back(Ev("i" + std::to_string(first_ts + i), first_ts + i));
  return out;
}

inline std::vector<int64_t> Timestamps(const StoredHistory& h) {
  std::vector<int64_t> out;
  for (const auto& e : h.events) out.push_back(e.timestamp);
  return out;
}

}  // namespace recd

#endif  // RECD_TESTS_STORE_STORE_TEST_UTIL_H_
