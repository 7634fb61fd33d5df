// LoadCatalog: CSV and JSON-lines catalogs.

#include <cmath>

#include "data/temp_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/data_loaders.h"

namespace recd {
namespace {

using ::recd::testing_util::WriteTempFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

const ItemInfo& Info(const Dataset& d, const std::string& id) {
  return d.item_info[static_cast<size_t>(*d.items.Find(id))];
}

TEST(CatalogLoaderTest, CsvReadsKnownColumnsAndExtrasAsAttributes) {
  auto path = WriteTempFile(
      "catalog.csv",
      "item_id,title,category,brand,price,in_stock,color,size\n"
      "i1,\"Mug, large\",Home > Kitchen > Mugs,Acme,12.5,true,red,\n"
      "i2,Lamp,Home/Lighting,Lumo,,no,,XL\n");
  Dataset data;
  LoadReport report;
  ASSERT_TRUE(LoadCatalog(path, &data, &report).ok());
  EXPECT_EQ(report.loaded, 2);
  const ItemInfo& mug = Info(data, "i1");
  EXPECT_EQ(mug.title, "Mug, large");
  EXPECT_THAT(mug.category_path, ElementsAre("Home", "Kitchen", "Mugs"));
  EXPECT_EQ(mug.brand, "Acme");
  EXPECT_FLOAT_EQ(mug.price, 12.5f);
  EXPECT_TRUE(mug.in_stock);
  EXPECT_THAT(mug.attributes, ElementsAre("color=red"));
  const ItemInfo& lamp = Info(data, "i2");
  EXPECT_THAT(lamp.category_path, ElementsAre("Home", "Lighting"));
  EXPECT_TRUE(std::isnan(lamp.price));
  EXPECT_FALSE(lamp.in_stock);
  EXPECT_THAT(lamp.attributes, ElementsAre("size=XL"));
}

TEST(CatalogLoaderTest, CategoryWithGreaterThanKeepsSlashesInNames) {
  auto path = WriteTempFile("catalog.csv", "item_id,category\ni1,Tools > Nuts/Bolts\n");
  Dataset data;
  ASSERT_TRUE(LoadCatalog(path, &data, nullptr).ok());
  EXPECT_THAT(Info(data, "i1").category_path, ElementsAre("Tools", "Nuts/Bolts"));
}

TEST(CatalogLoaderTest, CsvOnlyNeedsItemId) {
  auto path = WriteTempFile("catalog.csv", "item_id\ni1\n");
  Dataset data;
  ASSERT_TRUE(LoadCatalog(path, &data, nullptr).ok());
  EXPECT_EQ(data.num_items(), 1);
  EXPECT_TRUE(Info(data, "i1").in_stock);
}

TEST(CatalogLoaderTest, CsvMissingItemIdColumnNamesFileAndLine) {
  auto path = WriteTempFile("catalog.csv", "sku,title\ni1,x\n");
  Dataset data;
  auto s = LoadCatalog(path, &data, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr(path + ":1: missing column 'item_id'"));
}

TEST(CatalogLoaderTest, FillsInfoOfItemsKnownFromTheLog) {
  Dataset data;
  data.items.GetOrAdd("i7");
  data.item_info.resize(1);
  auto path = WriteTempFile("catalog.jsonl",
                            R"({"item_id": "i8", "title": "new"})"
                            "\n"
                            R"({"item_id": "i7", "title": "known"})"
                            "\n");
  ASSERT_TRUE(LoadCatalog(path, &data, nullptr).ok());
  EXPECT_EQ(*data.items.Find("i7"), 0);
  EXPECT_EQ(data.item_info[0].title, "known");
  EXPECT_EQ(*data.items.Find("i8"), 1);
  EXPECT_EQ(data.item_info.size(), 2u);
}

TEST(CatalogLoaderTest, JsonlReadsArraysObjectsAndPathStrings) {
  auto path = WriteTempFile(
      "catalog.jsonl",
      R"({"item_id": "a", "title": "T", "category": ["Beauty", "Skin"], "brand": "B", )"
      R"("price": 9.99, "in_stock": false, "attributes": ["x", 7]})"
      "\n\n"
      R"({"item_id": 42, "category": "Home > Bath", "attributes": {"color": "red", "n": 2}, )"
      R"("price": null, "extra": "ignored"})"
      "\n");
  Dataset data;
  LoadReport report;
  ASSERT_TRUE(LoadCatalog(path, &data, &report).ok());
  EXPECT_EQ(report.lines, 2);
  const ItemInfo& a = Info(data, "a");
  EXPECT_THAT(a.category_path, ElementsAre("Beauty", "Skin"));
  EXPECT_FLOAT_EQ(a.price, 9.99f);
  EXPECT_FALSE(a.in_stock);
  EXPECT_THAT(a.attributes, ElementsAre("x", "7"));
  const ItemInfo& b = Info(data, "42");
  EXPECT_THAT(b.category_path, ElementsAre("Home", "Bath"));
  EXPECT_TRUE(std::isnan(b.price));
  EXPECT_THAT(b.attributes, ElementsAre("color=red", "n=2"));
}

struct BadCatalogLine {
  std::string file;  // catalog.csv or catalog.jsonl
  std::string header;
  std::string line;
  std::string reason;
};

class StrictCatalogTest : public ::testing::TestWithParam<BadCatalogLine> {};

TEST_P(StrictCatalogTest, FailsNamingFileLineAndReason) {
  const auto& c = GetParam();
  const bool csv = c.file.ends_with(".csv");
  const std::string good = csv ? "g,1.0" : R"({"item_id": "g"})";
  auto path = WriteTempFile(c.file, c.header + good + "\n" + c.line + "\n");
  const int bad_line = csv ? 3 : 2;
  Dataset data;
  LoadOptions options;
  options.strict = true;
  auto s = LoadCatalog(path, &data, nullptr, options);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr(path + ":" + std::to_string(bad_line) + ": " + c.reason));
}

const std::string kCsvHeader = "item_id,price\n";

INSTANTIATE_TEST_SUITE_P(
    Reasons, StrictCatalogTest,
    ::testing::Values(
        BadCatalogLine{"catalog.csv", kCsvHeader, "i1", "wrong field count"},
        BadCatalogLine{"catalog.csv", kCsvHeader, "i1,cheap", "bad price 'cheap'"},
        BadCatalogLine{"catalog.csv", kCsvHeader, "i1,-3", "bad price"},
        BadCatalogLine{"catalog.csv", kCsvHeader, ",3", "empty item_id"},
        BadCatalogLine{"catalog.csv", kCsvHeader, "g,2", "duplicate item_id 'g'"},
        BadCatalogLine{"catalog.jsonl", "", "{not json", "invalid JSON"},
        BadCatalogLine{"catalog.jsonl", "", "[1, 2]", "not a JSON object"},
        BadCatalogLine{"catalog.jsonl", "", R"({"title": "x"})", "missing item_id"},
        BadCatalogLine{"catalog.jsonl", "", R"({"item_id": "x", "price": "3"})", "bad price"},
        BadCatalogLine{"catalog.jsonl", "", R"({"item_id": "x", "in_stock": 1})",
                       "bad in_stock"},
        BadCatalogLine{"catalog.jsonl", "", R"({"item_id": "x", "category": 5})",
                       "bad category"},
        BadCatalogLine{"catalog.jsonl", "", R"({"item_id": "x", "attributes": "red"})",
                       "bad attributes"}));

TEST(CatalogLoaderTest, NonStrictSkipsBadLinesAndCountsThem) {
  auto path = WriteTempFile("catalog.csv",
                            "item_id,price,in_stock\n"
                            "i1,1.5,1\n"
                            "i2,abc,1\n"
                            "i3,2,maybe\n"
                            "i1,3,1\n"
                            "i4,4,0\n");
  Dataset data;
  LoadReport report;
  ASSERT_TRUE(LoadCatalog(path, &data, &report).ok());
  EXPECT_EQ(data.num_items(), 2);  // skipped lines add no ids
  EXPECT_FALSE(data.items.Find("i2").has_value());
  EXPECT_FLOAT_EQ(Info(data, "i1").price, 1.5f);  // the duplicate did not overwrite
  EXPECT_EQ(report.loaded, 2);
  EXPECT_EQ(report.skipped["bad price"], 1);
  EXPECT_EQ(report.skipped["bad in_stock"], 1);
  EXPECT_EQ(report.skipped["duplicate item_id"], 1);
}

TEST(CatalogLoaderTest, EmptyFileNamesTheFile) {
  auto path = WriteTempFile("catalog.jsonl", "\n\n");
  Dataset data;
  auto s = LoadCatalog(path, &data, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr(path + ": empty file"));
}

TEST(CatalogLoaderTest, UnknownExtensionIsAnError) {
  auto path = WriteTempFile("catalog.xml", "<items/>");
  Dataset data;
  auto s = LoadCatalog(path, &data, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("unknown catalog format"));
}

}  // namespace
}  // namespace recd
