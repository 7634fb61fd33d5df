#include "util/named_slots.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

using Counters = NamedSlots<std::atomic<int64_t>, 4>;

std::map<std::string, int64_t> Read(const Counters& c) {
  std::map<std::string, int64_t> out;
  c.ForEach([&](std::string_view name, const std::atomic<int64_t>& n) { out[std::string(name)] = n.load(); });
  return out;
}

TEST(NamedSlotsTest, ANameKeepsItsSlot) {
  Counters c;
  std::atomic<int64_t>* first = &c.Get("RecommendItems");
  c.Get("GetStatus");
  EXPECT_EQ(&c.Get("RecommendItems"), first);
  ++*first;
  EXPECT_EQ(Read(c), (std::map<std::string, int64_t>{{"GetStatus", 0}, {"RecommendItems", 1}}));
}

TEST(NamedSlotsTest, NamesPastTheCapacityShareTheOverflowSlot) {
  Counters c;
  for (int i = 0; i < 10; ++i) ++c.Get("m" + std::to_string(i));
  const auto counts = Read(c);
  EXPECT_EQ(counts.size(), 5u);  // four names and "other"
  EXPECT_EQ(counts.at("other"), 6);
  EXPECT_EQ(counts.at("m0"), 1);
}

TEST(NamedSlotsTest, ConcurrentCountsAreAllKept) {
  Counters c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 10000; ++i) c.Get(i % 2 == 0 ? "a" : "b" + std::to_string(t % 2)).fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  const auto counts = Read(c);
  EXPECT_EQ(counts.at("a"), 20000);
  EXPECT_EQ(counts.at("b0") + counts.at("b1"), 20000);
}

}  // namespace
}  // namespace recd
