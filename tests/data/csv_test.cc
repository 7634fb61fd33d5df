#include "data/csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;

TEST(CsvTest, SplitsPlainFields) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine("a,b,,d", &f).ok());
  EXPECT_THAT(f, ElementsAre("a", "b", "", "d"));
}

TEST(CsvTest, TrailingCommaMeansEmptyLastField) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine("a,", &f).ok());
  EXPECT_THAT(f, ElementsAre("a", ""));
}

TEST(CsvTest, QuotedFieldsKeepCommasAndDoubledQuotes) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine(R"(1,"Mug, large","say ""hi""",x)", &f).ok());
  EXPECT_THAT(f, ElementsAre("1", "Mug, large", R"(say "hi")", "x"));
}

TEST(CsvTest, DropsCarriageReturn) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine("a,b\r", &f).ok());
  EXPECT_THAT(f, ElementsAre("a", "b"));
}

TEST(CsvTest, ReusedVectorShrinksToTheLine) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine("a,b,c,d", &f).ok());
  ASSERT_TRUE(SplitCsvLine("x", &f).ok());
  EXPECT_THAT(f, ElementsAre("x"));
}

TEST(CsvTest, RejectsUnterminatedQuote) {
  std::vector<std::string> f;
  auto s = SplitCsvLine(R"(a,"open)", &f);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.message()), "unterminated quote");
}

TEST(CsvTest, RejectsTextAfterClosingQuote) {
  std::vector<std::string> f;
  EXPECT_FALSE(SplitCsvLine(R"("a"b,c)", &f).ok());
}

TEST(CsvTest, AppendQuotesOnlyWhenNeeded) {
  std::string out;
  AppendCsvField("plain", &out);
  out += ',';
  AppendCsvField("a,b", &out);
  out += ',';
  AppendCsvField("q\"q", &out);
  EXPECT_EQ(out, R"(plain,"a,b","q""q")");
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvLine(out, &f).ok());
  EXPECT_THAT(f, ElementsAre("plain", "a,b", "q\"q"));
}

}  // namespace
}  // namespace recd
