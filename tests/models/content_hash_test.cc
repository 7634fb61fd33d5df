#include "recd/content_hash.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace recd {
namespace {

// Reference values from the XXH64 specification's test vectors, i.e. what
// Python's xxhash.xxh64(data).hexdigest() prints.
TEST(ContentHashTest, MatchesXxh64ReferenceValues) {
  EXPECT_EQ(HashBytes("", 0), "ef46db3751d8e999");
  EXPECT_EQ(HashBytes("abc", 3), "44bc2cf5ad770999");
}

TEST(ContentHashTest, IsSixteenLowercaseHexDigits) {
  for (int i = 0; i < 50; ++i) {
    const std::string h = HashBytes(&i, sizeof(i));
    ASSERT_EQ(h.size(), 16u);
    for (char c : h) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << h;
  }
}

TEST(ContentHashTest, HashFileEqualsHashOfContent) {
  const std::string path = std::filesystem::path(::testing::TempDir()) /
                           ("recd_content_hash_" + std::to_string(getpid()));
  // Larger than HashFile's read buffer so the streaming path is exercised.
  std::string content(3 * (1 << 20) + 17, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 + 7);
  std::ofstream(path, std::ios::binary).write(content.data(), content.size());
  auto h = HashFile(path);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, HashBytes(content.data(), content.size()));
  std::filesystem::remove(path);
}

TEST(ContentHashTest, HashFileOfMissingFileIsNotFound) {
  auto h = HashFile("/nonexistent/recd/file");
  EXPECT_EQ(h.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(h.status().message()).find("/nonexistent/recd/file"), std::string::npos);
}

}  // namespace
}  // namespace recd
