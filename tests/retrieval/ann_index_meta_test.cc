#include "retrieval/ann_index_meta.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

class AnnIndexMetaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("recd_ann_meta_" + std::to_string(getpid()) + ".json"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void WriteRaw(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }

  std::string path_;
};

AnnIndexMeta Sample() {
  AnnIndexMeta m;
  m.items = 100000;
  m.dim = 64;
  m.has_bias = true;
  m.equalize_norms = true;
  m.m = 16;
  m.ef_construction = 200;
  m.seed = 18446744073709551615ull;  // survives as a string, not a double
  m.items_checksum = "0123456789abcdef";
  m.bias_checksum = "fedcba9876543210";
  m.graph_bytes = 42;
  m.graph_checksum = "00000000deadbeef";
  return m;
}

TEST_F(AnnIndexMetaTest, RoundTrips) {
  ASSERT_TRUE(WriteAnnIndexMeta(path_, Sample()).ok());
  auto read = ReadAnnIndexMeta(path_);
  ASSERT_TRUE(read.ok()) << read.status();
  const AnnIndexMeta want = Sample();
  EXPECT_EQ(read->items, want.items);
  EXPECT_EQ(read->dim, want.dim);
  EXPECT_EQ(read->has_bias, want.has_bias);
  EXPECT_EQ(read->equalize_norms, want.equalize_norms);
  EXPECT_EQ(read->m, want.m);
  EXPECT_EQ(read->ef_construction, want.ef_construction);
  EXPECT_EQ(read->seed, want.seed);
  EXPECT_EQ(read->items_checksum, want.items_checksum);
  EXPECT_EQ(read->bias_checksum, want.bias_checksum);
  EXPECT_EQ(read->graph_bytes, want.graph_bytes);
  EXPECT_EQ(read->graph_checksum, want.graph_checksum);
}

TEST_F(AnnIndexMetaTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadAnnIndexMeta(path_).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AnnIndexMetaTest, BadJsonIsDataLossNamingTheFile) {
  WriteRaw("{\"items\": ");
  auto read = ReadAnnIndexMeta(path_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(path_));
}

TEST_F(AnnIndexMetaTest, BadFieldIsDataLossNamingTheField) {
  ASSERT_TRUE(WriteAnnIndexMeta(path_, Sample()).ok());
  std::ifstream in(path_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string bad = std::regex_replace(text, std::regex("\"dim\": 64"), "\"dim\": -3");
  WriteRaw(bad);
  auto read = ReadAnnIndexMeta(path_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("'dim'"));
}

TEST_F(AnnIndexMetaTest, NewerFormatIsRefused) {
  AnnIndexMeta m = Sample();
  m.format_version = kAnnIndexFormatVersion + 1;
  ASSERT_TRUE(WriteAnnIndexMeta(path_, m).ok());
  EXPECT_EQ(ReadAnnIndexMeta(path_).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace recd
