#include "abuse/quarantine_list.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class QuarantineListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* u : {"u0", "u1", "u2", "u3"}) users_.GetOrAdd(u);
    path_ = std::filesystem::temp_directory_path() /
            ("quarantine_list_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  IdMap users_;
  std::filesystem::path path_;
};

TEST_F(QuarantineListTest, ReadsIdsSkippingCommentsBlanksAndRepeats) {
  Write("# recd-cli quarantine-list\nu3\n\n  u1  # found by burst\nu3\nnobody\n");
  auto list = ReadQuarantineList(path_.string(), users_);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(list->users, ElementsAre(1, 3));
  EXPECT_EQ(list->listed, 3);
  EXPECT_EQ(list->unknown, 1);
}

TEST_F(QuarantineListTest, TwoIdsOnALineIsAnErrorNamingFileAndLine) {
  Write("u1\n# fine\nu2 u3\n");
  auto list = ReadQuarantineList(path_.string(), users_);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(list.status().message(), HasSubstr(path_.string() + ":3: more than one id"));
}

TEST_F(QuarantineListTest, OverlongIdIsAnError) {
  Write(std::string(300, 'x') + "\n");
  auto list = ReadQuarantineList(path_.string(), users_);
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr(":1: user id longer than 256 bytes"));
}

TEST_F(QuarantineListTest, MissingFileIsNotFoundNamingIt) {
  auto list = ReadQuarantineList((path_ / "missing").string(), users_);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(list.status().message(), HasSubstr("missing"));
}

}  // namespace
}  // namespace recd
