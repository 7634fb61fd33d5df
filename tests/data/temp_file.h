#ifndef RECD_TESTS_DATA_TEMP_FILE_H_
#define RECD_TESTS_DATA_TEMP_FILE_H_

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace recd::testing_util {

// A fresh directory per test (suite and test name), so tests never see each
// other's files.
inline std::filesystem::path TestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() / "recd_data_tests" /
             (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Writes `content` to `name` in a fresh test directory; returns the path.
inline std::string WriteTempFile(const std::string& name, const std::string& content) {
  const auto path = TestDir() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace recd::testing_util

#endif  // RECD_TESTS_DATA_TEMP_FILE_H_
