#include "recd/id_map.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(IdMapTest, AssignsDenseIdsInFirstSeenOrder) {
  IdMap m;
  EXPECT_EQ(m.GetOrAdd("b"), 0);
  EXPECT_EQ(m.GetOrAdd("a"), 1);
  EXPECT_EQ(m.GetOrAdd("b"), 0);
  EXPECT_EQ(m.size(), 2);
  EXPECT_EQ(m.Name(1), "a");
  EXPECT_FALSE(m.Find("c").has_value());
}

TEST(IdMapTest, SaveLoadRoundTrip) {
  auto path = std::filesystem::temp_directory_path() / "recd_idmap_test.txt";
  IdMap m;
  m.GetOrAdd("x1");
  m.GetOrAdd("x2");
  ASSERT_TRUE(m.Save(path).ok());
  auto loaded = IdMap::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->names(), m.names());
  EXPECT_EQ(*loaded->Find("x2"), 1);
}

TEST(IdMapTest, LoadRejectsDuplicatesNamingTheLine) {
  auto path = std::filesystem::temp_directory_path() / "recd_idmap_dup.txt";
  std::ofstream(path) << "a\nb\na\n";
  auto loaded = IdMap::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(":3:"), std::string::npos) << loaded.status();
}

}  // namespace
}  // namespace recd
